import NIOCore
import Testing
@testable import KafkaProtocol

/// Mutates encoded messages at random and decodes them: every outcome must be a value or a typed
/// error, never a crash, a hang or an unbounded allocation.
@Suite struct DecodeFuzzTests {
    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var b = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !b.isEmpty: b[Int.random(in: 0..<b.count, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1 where !b.isEmpty: b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2 where !b.isEmpty: b.removeLast(Int.random(in: 0...b.count, using: &rng) / 2)
            case 3: b.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...b.count, using: &rng))
            case 4 where !b.isEmpty: b[Int.random(in: 0..<b.count, using: &rng)] = [0x00, 0x7F, 0x80, 0xFF].randomElement(using: &rng)!
            default:
                // A run of 0xFF: -1 lengths, huge varints and counts.
                let at = Int.random(in: 0...b.count, using: &rng)
                b.insert(contentsOf: repeatElement(0xFF, count: Int.random(in: 1...6, using: &rng)), at: at)
            }
        }
        return b
    }

    /// Decodes (and, when that works, re-encodes) without crashing; true when it decoded.
    static func survive<M: KafkaMessage>(_ type: M.Type, _ input: [UInt8], version: Int16) -> Bool {
        var buffer = ByteBuffer(bytes: input)
        guard let message = try? M(from: &buffer, version: version) else { return false }
        var out = ByteBuffer()
        if (try? message.write(to: &out, version: version)) != nil {
            #expect(out.readableBytes == message.size(version: version))
        }
        return true
    }

    @Test func mutatedSamplesOfEveryMessage() throws {
        var rng = SplitMix64(seed: 0x6772_6567_6F72)
        var decoded = 0
        var refused = 0
        for type in allGeneratedMessages {
            try fuzz(type, &rng, decoded: &decoded, refused: &refused)
        }
        #expect(refused > decoded / 10, "mutations were nearly all accepted: \(decoded) decoded, \(refused) refused")
    }

    func fuzz<M: SampledMessage>(_ type: M.Type, _ rng: inout SplitMix64, decoded: inout Int, refused: inout Int) throws {
        for version in M.validVersions {
            let original = Array(try encode(M.sample(version: version), version: version).readableBytesView)
            for _ in 0..<25 {
                if Self.survive(M.self, Self.mutate(original, &rng), version: version) { decoded += 1 } else { refused += 1 }
            }
        }
    }
}

extension DecodeFuzzTests {
    @Test func mutatedGoldenFramesFromRealClients() throws {
        var rng = SplitMix64(seed: 0x6B61_666B_61)
        var refused = 0
        for g in try GoldenFrameTests.load() {
            let key = ApiKey(rawValue: g.apiKey)
            guard let type = key.requestType, key.validVersions!.contains(g.version) else { continue }
            for _ in 0..<200 {
                var buffer = ByteBuffer(bytes: Self.mutate(g.bytes, &rng))
                guard (try? RequestHeader(from: &buffer, version: g.headerVersion)) != nil,
                    Self.survive(type, Array(buffer.readableBytesView), version: g.version)
                else { refused += 1; continue }
            }
        }
        #expect(refused > 1000)
    }
}

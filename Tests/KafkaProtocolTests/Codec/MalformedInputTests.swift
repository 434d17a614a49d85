import NIOCore
import Testing
@testable import KafkaProtocol

/// Lengths and counts are never trusted: every malformed input ends in a typed error naming the
/// message, the version and the field.
@Suite struct MalformedInputTests {
    /// A ProduceRequest v9 header-less body: transactional id null, acks 1, timeout, then `rest`.
    func produceV9(_ rest: [UInt8]) -> ByteBuffer {
        bytes([0x00, 0x00, 0x01, 0x00, 0x00, 0x75, 0x30] + rest)
    }

    @Test func arrayCountBeyondTheInput() {
        var b = produceV9([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])  // compact count 2^32-2
        #expect(throws: KafkaDecodingError(.lengthExceedsInput(length: Int(UInt32.max) - 1, available: 0),
            field: "TopicData", message: "ProduceRequest", version: 9)) {
            _ = try ProduceRequest(from: &b, version: 9)
        }
    }

    @Test func nestedFieldErrorsNameTheirPath() {
        // One topic whose name claims 100 bytes, with 1 left.
        var b = produceV9([0x02, 0x65, 0x61])
        do {
            _ = try ProduceRequest(from: &b, version: 9)
            Issue.record("decoded a truncated name")
        } catch let error as KafkaDecodingError {
            #expect(error.field == "TopicProduceData.Name")
            #expect(error.kind == .lengthExceedsInput(length: 100, available: 1))
            #expect(error.description.contains("ProduceRequest v9"))
        } catch {
            Issue.record("untyped error \(error)")
        }
    }

    @Test func negativeLengths() {
        var s = bytes([0xFF, 0xFE, 0x00, 0x01])  // TransactionalId length -2 (v3, int16)
        #expect(throws: KafkaDecodingError(.negativeLength(-2), field: "TransactionalId", message: "ProduceRequest", version: 3)) {
            _ = try ProduceRequest(from: &s, version: 3)
        }
        var a = bytes([0xFF, 0xFF, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00])
        #expect(throws: KafkaDecodingError(.negativeLength(Int(Int32.min)), field: "TopicData", message: "ProduceRequest", version: 3)) {
            _ = try ProduceRequest(from: &a, version: 3)
        }
    }

    @Test func invalidVarint() {
        var b = produceV9([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(throws: KafkaDecodingError(.invalidVarint, field: "TopicData", message: "ProduceRequest", version: 9)) {
            _ = try ProduceRequest(from: &b, version: 9)
        }
    }

    @Test func invalidUTF8() {
        var b = bytes([0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0xC3, 0x28])  // MetadataRequest v1 topic "\xC3("
        #expect(throws: KafkaDecodingError(.invalidUTF8, field: "MetadataRequestTopic.Name", message: "MetadataRequest", version: 1)) {
            _ = try MetadataRequest(from: &b, version: 1)
        }
    }

    /// Strings decode through an ASCII shortcut or UTF-8 validation: both give the string, and
    /// only the bytes of the field are taken.
    @Test func stringsDecodeWhetherASCIIOrNot() throws {
        for name in ["orders", "zürich-€", "", "a\u{0}b"] {
            let utf8 = Array(name.utf8)
            var b = bytes([0x00, 0x00, 0x00, 0x01, 0x00, UInt8(utf8.count)] + utf8)
            let request = try MetadataRequest(from: &b, version: 1)
            #expect(request.topics?.map(\.name) == [name])
            #expect(b.readableBytes == 0)
        }
        // A valid prefix does not make the string valid: the bad byte is inside the field.
        var b = bytes([0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 0x61, 0x62, 0xFF])
        #expect(throws: KafkaDecodingError(.invalidUTF8, field: "MetadataRequestTopic.Name", message: "MetadataRequest", version: 1)) {
            _ = try MetadataRequest(from: &b, version: 1)
        }
    }

    @Test func everyTruncationOfEveryMessageFails() throws {
        var failures = 0
        for type in allGeneratedMessages { failures += try truncations(type) }
        #expect(failures > 10_000)
    }

    func truncations<M: SampledMessage>(_ type: M.Type) throws -> Int {
        var failures = 0
        for version in M.validVersions {
            let full = try encode(M.sample(version: version), version: version)
            for cut in 0..<full.readableBytes {
                var part = full.getSlice(at: full.readerIndex, length: cut)!
                do {
                    _ = try M(from: &part, version: version)
                    Issue.record("\(M.messageName) v\(version) decoded from \(cut) of \(full.readableBytes) bytes")
                } catch let error as KafkaDecodingError {
                    #expect(error.message == M.messageName && error.version == version)
                    failures += 1
                }
            }
        }
        return failures
    }
}

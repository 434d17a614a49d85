import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker
@testable import GregorStorage

/// The sendfile layout must put exactly the bytes the codec would have written.
@Suite struct FetchResponseFrameTests {
    /// A file holding `bytes`, and regions over parts of it.
    final class TempFile {
        let path: String
        let file: OpenFile

        init(_ bytes: [UInt8]) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("fetch-frame-\(UUID().uuidString)").path
            file = try OpenFile(path: path, create: true)
            try file.write(ByteBuffer(bytes: bytes), at: 0)
        }

        func region(_ position: Int, _ length: Int) -> LogRegion {
            LogRegion(file: file, position: Int64(position), length: length)
        }

        deinit { unlink(path) }
    }

    static func response(version: Int16) -> FetchResponse {
        var r = FetchResponse(throttleTimeMs: 7, sessionId: version >= 7 ? 1234 : 0)
        for t in 0..<3 {
            var topic = FetchResponse.FetchableTopicResponse(
                topic: version < 13 ? "topic-\(t)" : "", topicId: version >= 13 ? KafkaUUID(high: 1, low: UInt64(t + 1)) : .zero)
            for p in 0..<3 {
                topic.partitions.append(FetchResponse.PartitionData(
                    partitionIndex: Int32(p), errorCode: p == 2 ? 1 : 0, highWatermark: 100, lastStableOffset: 99,
                    logStartOffset: 3, records: ByteBuffer()))
            }
            r.responses.append(topic)
        }
        if version >= 12 {
            // Tagged fields that cannot be spliced around: this partition is read into memory.
            r.responses[1].partitions[1].currentLeader = .init(leaderId: 1, leaderEpoch: 4)
        }
        if version >= 16 {
            r.nodeEndpoints = [.init(nodeId: 1, host: "localhost", port: 9092)]
        }
        return r
    }

    @Test(arguments: Array(Int16(4)...17))
    func splicedFrameEqualsEncodedFrame(version: Int16) throws {
        let file = try TempFile((0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let response = Self.response(version: version)
        // Regions on some partitions of topics 0 and 1; topic 2 has none. One region is 300 bytes
        // so its compact length takes two varint bytes.
        let regions: [LogRegion?] = [file.region(0, 10), nil, nil, file.region(100, 300), file.region(500, 1), nil, nil, nil, nil]
        let frame = try FetchResponseFrame.frame(response, regions: regions, correlationId: 42, version: version)
        let expected = try ResponseFrame.encode(
            FetchResponseFrame.materialize(response, regions: regions), correlationId: 42, apiKey: .fetch, version: version)
        #expect(try frame.materialized() == expected.materialized())
        let spliced = frame.parts.filter { if case .region = $0 { true } else { false } }.count
        #expect(spliced == (version >= 12 ? 2 : 3))
    }

    @Test func noRegionsIsTheCodecsFrame() throws {
        let response = Self.response(version: 12)
        let frame = try FetchResponseFrame.frame(response, regions: [], correlationId: 1, version: 12)
        let expected = try ResponseFrame.encode(response, correlationId: 1, apiKey: .fetch, version: 12)
        #expect(try frame.materialized() == expected.materialized())
    }
}

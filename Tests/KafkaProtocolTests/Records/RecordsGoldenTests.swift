import Foundation
import NIOCore
import Testing

@testable import KafkaProtocol

/// Decodes the record batches inside ProduceRequest frames captured from real clients
/// (`Fixtures/Golden`, see its README).
@Suite struct RecordsGoldenTests {
    static let directory = Bundle.module.url(forResource: "Golden", withExtension: nil, subdirectory: "Fixtures")!

    /// The manifest entries of captured ProduceRequest frames.
    static var produceEntries: [[String: Any]] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")),
            let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let files = manifest["files"] as? [[String: Any]]
        else { return [] }
        return files.filter { ($0["api_key"] as? Int) == 0 }
    }

    @Test func capturedProduceRequestsDecode() throws {
        #expect(Self.produceEntries.count >= 23)
        var checked = 0
        for entry in Self.produceEntries {
            let name = try #require(entry["file"] as? String)
            var frame = ByteBuffer(bytes: try Data(contentsOf: Self.directory.appendingPathComponent(name)))
            let fields = try Self.recordsFields(of: &frame)
            try #require(fields.count == 1, "\(name)")
            var reader = RecordBatchReader(fields[0])
            let batch = try #require(try reader.next(), "\(name)")
            #expect(try reader.next() == nil, "\(name)")
            try batch.validate()

            // The batch header as the capture tool decoded it.
            let decoded = try #require(
                ((((entry["decoded"] as? [String: Any])?["topics"] as? [[String: Any]])?.first?["partitions"]
                    as? [[String: Any]])?.first?["batches"] as? [[String: Any]])?.first, "\(name)")
            #expect(Int64(batch.crc) == (decoded["crc"] as? Int).map(Int64.init), "\(name)")
            #expect(Int(batch.attributes) == decoded["attributes"] as? Int, "\(name)")
            #expect(Int(batch.batchLength) == decoded["batch_length"] as? Int, "\(name)")
            #expect(Int(batch.producerId) == decoded["producer_id"] as? Int, "\(name)")
            #expect(Int(batch.producerEpoch) == decoded["producer_epoch"] as? Int, "\(name)")
            #expect(Int(batch.baseSequence) == decoded["base_sequence"] as? Int, "\(name)")
            #expect(Int(batch.lastOffsetDelta) == decoded["last_offset_delta"] as? Int, "\(name)")
            #expect(Int(batch.baseTimestamp) == decoded["base_timestamp"] as? Int, "\(name)")
            #expect(Int(batch.maxTimestamp) == decoded["max_timestamp"] as? Int, "\(name)")

            // The records the client was asked to send.
            let expected = try #require(entry["expected"] as? [String: Any], "\(name)")
            #expect(batch.compression.description == expected["compression"] as? String ?? "none", "\(name)")
            let expectedRecords = try #require(expected["records"] as? [[String: Any]], "\(name)")
            let records = try batch.records()
            try #require(records.count == expectedRecords.count, "\(name)")
            for (record, want) in zip(records, expectedRecords) {
                #expect(record.key.map { String(buffer: $0) } == want["key"] as? String, "\(name)")
                #expect(record.value.map { String(buffer: $0) } == want["value"] as? String, "\(name)")
                if let timestamp = want["timestamp"] as? Int { #expect(Int(record.timestamp) == timestamp, "\(name)") }
                let headers = (want["headers"] as? [[Any]] ?? []).map { pair in
                    RecordHeader(key: pair[0] as! String, value: (pair[1] as? String).map { ByteBuffer(string: $0) })
                }
                #expect(record.headers == headers, "\(name)")
            }
            checked += 1
        }
        #expect(checked == Self.produceEntries.count)
    }

    /// A real client's batch with one byte flipped anywhere past the CRC field fails its check.
    @Test func corruptedCapturedBatchesFailTheirCRC() throws {
        var rng = SplitMix64(seed: 0xC4C)
        for entry in Self.produceEntries {
            let name = try #require(entry["file"] as? String)
            var frame = ByteBuffer(bytes: try Data(contentsOf: Self.directory.appendingPathComponent(name)))
            var records = try Self.recordsFields(of: &frame)[0]
            let at = Int.random(in: RecordBatch.Offset.attributes..<records.readableBytes, using: &rng)
            records.setInteger(records.getInteger(at: records.readerIndex + at, as: UInt8.self)! ^ 0x20, at: records.readerIndex + at)
            var reader = RecordBatchReader(records)
            let batch = try #require(try reader.next(), "\(name)")
            #expect(!batch.verifyCRC(), "\(name): flip at \(at) not detected")
            #expect(throws: RecordsError.self) { try batch.validate() }
        }
    }

    /// The `Records` fields of a ProduceRequest frame (request header and body, without the size
    /// prefix), read with the generated codec.
    static func recordsFields(of frame: inout ByteBuffer) throws -> [ByteBuffer] {
        let version = try #require(frame.getInteger(at: frame.readerIndex + 2, as: Int16.self))
        _ = try RequestHeader(from: &frame, version: ApiKey.produce.requestHeaderVersion(version))
        let request = try ProduceRequest(from: &frame, version: version)
        return request.topicData.flatMap { $0.partitionData.compactMap(\.records) }
    }
}

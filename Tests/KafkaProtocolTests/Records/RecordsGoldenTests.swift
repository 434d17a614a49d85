import Foundation
import NIOCore
import Testing

@testable import KafkaProtocol

/// Decodes the record batches inside ProduceRequest frames captured from real clients
/// (`Fixtures/Golden`, see its README). The frames are walked by hand so this test does not
/// depend on the generated codec.
@Suite struct RecordsGoldenTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Golden")

    /// The manifest entries of captured ProduceRequest frames.
    static var produceEntries: [[String: Any]] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")),
            let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let files = manifest["files"] as? [[String: Any]]
        else { return [] }
        return files.filter { ($0["api_key"] as? Int) == 0 }
    }

    @Test(.enabled(if: !produceEntries.isEmpty, "no captured ProduceRequest frames yet"))
    func capturedProduceRequestsDecode() throws {
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

    @Test(arguments: [Int16(2), 3, 9, 13])
    func handParserFindsTheRecords(version: Int16) throws {
        var builder = RecordBatchBuilder(compression: .snappy)
        builder.append(timestamp: 1, key: nil, value: ByteBuffer(string: "golden"))
        let batch = try builder.build()
        let flexible = version >= 9
        var frame = ByteBuffer()
        frame.writeInteger(Int16(0))
        frame.writeInteger(version)
        frame.writeInteger(Int32(7))
        frame.writeInteger(Int16(6))
        frame.writeString("client")
        if flexible { frame.writeUnsignedVarInt(0) }
        if version >= 3 { if flexible { frame.writeUnsignedVarInt(0) } else { _ = frame.writeInteger(Int16(-1)) } }
        frame.writeInteger(Int16(-1))
        frame.writeInteger(Int32(30_000))
        if flexible { frame.writeUnsignedVarInt(2) } else { _ = frame.writeInteger(Int32(1)) }
        if version >= 13 {
            frame.writeRepeatingByte(0xAB, count: 16)
        } else if flexible {
            frame.writeUnsignedVarInt(6)
            frame.writeString("topic")
        } else {
            frame.writeInteger(Int16(5))
            frame.writeString("topic")
        }
        if flexible { frame.writeUnsignedVarInt(2) } else { _ = frame.writeInteger(Int32(1)) }
        frame.writeInteger(Int32(0))
        if flexible { frame.writeUnsignedVarInt(UInt32(batch.readableBytes + 1)) } else { _ = frame.writeInteger(Int32(batch.readableBytes)) }
        frame.writeImmutableBuffer(batch)
        if flexible {
            frame.writeUnsignedVarInt(0)
            frame.writeUnsignedVarInt(0)
            frame.writeUnsignedVarInt(0)
        }
        #expect(try Self.recordsFields(of: &frame) == [batch])
        #expect(frame.readableBytes == (flexible ? 1 : 0))
    }

    /// The `Records` byte fields of a ProduceRequest frame (request header and body, without the
    /// size prefix), for versions 0-13.
    static func recordsFields(of frame: inout ByteBuffer) throws -> [ByteBuffer] {
        let apiKey = try frame.readKafkaInt16("apiKey")
        #expect(apiKey == 0)
        let version = try frame.readKafkaInt16("apiVersion")
        let flexible = version >= 9
        _ = try frame.readKafkaInt32("correlationId")
        skip(&frame, try frame.readKafkaLength("clientId", flexible: false, wide: false))
        if flexible { try skipTaggedFields(&frame) }
        if version >= 3 {
            skip(&frame, try frame.readKafkaLength("transactionalId", flexible: flexible, wide: false))
        }
        _ = try frame.readKafkaInt16("acks")
        _ = try frame.readKafkaInt32("timeoutMs")
        var fields: [ByteBuffer] = []
        let topics = try frame.readKafkaLength("topics", flexible: flexible, wide: true) ?? 0
        for _ in 0..<topics {
            if version >= 13 {
                frame.moveReaderIndex(forwardBy: 16)  // topic id
            } else {
                skip(&frame, try frame.readKafkaLength("name", flexible: flexible, wide: false))
            }
            let partitions = try frame.readKafkaLength("partitions", flexible: flexible, wide: true) ?? 0
            for _ in 0..<partitions {
                _ = try frame.readKafkaInt32("index")
                if let length = try frame.readKafkaLength("records", flexible: flexible, wide: true) {
                    fields.append(frame.readSlice(length: length)!)
                }
                if flexible { try skipTaggedFields(&frame) }
            }
            if flexible { try skipTaggedFields(&frame) }
        }
        return fields
    }

    static func skip(_ frame: inout ByteBuffer, _ length: Int?) {
        if let length { frame.moveReaderIndex(forwardBy: length) }
    }

    static func skipTaggedFields(_ frame: inout ByteBuffer) throws {
        let count = try frame.readUnsignedVarInt("tags")
        for _ in 0..<count {
            _ = try frame.readUnsignedVarInt("tag")
            let size = Int(try frame.readUnsignedVarInt("size"))
            guard frame.readableBytes >= size else { throw RecordsError.truncated(needed: size, available: frame.readableBytes) }
            frame.moveReaderIndex(forwardBy: size)
        }
    }
}

import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct RecordsLegacyTests {
    static let messages: [(timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?)] = [
        (1_500_000_000_000, ByteBuffer(string: "k0"), ByteBuffer(string: "v0")),
        (1_500_000_000_300, nil, ByteBuffer(repeating: 0x61, count: 2000)),
        (1_500_000_000_200, ByteBuffer(string: "k2"), nil),
    ]

    static func build(magic: Int8, codec: CompressionCodec, baseOffset: Int64 = 40, logAppendTime: Int64? = nil) throws -> ByteBuffer {
        var builder = try LegacyMessageSetBuilder(magic: magic, compression: codec, logAppendTime: logAppendTime)
        for (i, message) in messages.enumerated() {
            builder.append(offset: baseOffset + Int64(i), timestamp: message.timestamp, key: message.key, value: message.value)
        }
        return try builder.build()
    }

    static func deepRecords(_ bytes: ByteBuffer) throws -> (entries: [LegacyRecord], records: [LegacyRecord]) {
        var reader = RecordBatchReader(bytes)
        var entries: [LegacyRecord] = []
        var records: [LegacyRecord] = []
        while let entry = try reader.nextEntry() {
            guard case .legacy(let message) = entry else {
                Issue.record("expected a legacy entry")
                continue
            }
            try message.validate()
            entries.append(message)
            records += try message.deepRecords()
        }
        return (entries, records)
    }

    @Test(arguments: [Int8(0), 1], [CompressionCodec.none, .gzip, .snappy, .lz4])
    func roundTrip(magic: Int8, codec: CompressionCodec) throws {
        let bytes = try Self.build(magic: magic, codec: codec)
        let (entries, records) = try Self.deepRecords(bytes)
        #expect(entries.count == (codec == .none ? 3 : 1))
        #expect(entries.allSatisfy { $0.magic == magic && $0.compression == codec })
        if codec != .none {
            // The wrapper holds the last offset, and for magic 1 the largest timestamp.
            #expect(entries[0].offset == 42)
            #expect(entries[0].key == nil)
            if magic == 1 { #expect(entries[0].timestamp == 1_500_000_000_300) }
        }
        #expect(records.map(\.offset) == [40, 41, 42])
        for (record, message) in zip(records, Self.messages) {
            #expect(record.magic == magic)
            #expect(record.compression == .none)
            #expect(record.key == message.key)
            #expect(record.value == message.value)
            #expect(record.timestamp == (magic == 0 ? -1 : message.timestamp))
            #expect(record.timestampType == (magic == 0 ? nil : .createTime))
            #expect(record.verifyCRC())
        }
    }

    @Test func magicOneRelativeInnerOffsets() throws {
        let bytes = try Self.build(magic: 1, codec: .gzip, baseOffset: 1000)
        let wrapper = try LegacyRecord(bytes)
        let inner = try Compression.decompress(wrapper.value!, codec: .gzip)
        var reader = RecordBatchReader(inner)
        var stored: [Int64] = []
        while case .legacy(let message)? = try reader.nextEntry() { stored.append(message.offset) }
        #expect(stored == [0, 1, 2])
        #expect(try wrapper.deepRecords().map(\.offset) == [1000, 1001, 1002])

        // Some librdkafka versions send a wrapper offset of 0 in produce requests.
        var zeroWrapper = bytes
        zeroWrapper.setInteger(Int64(0), at: 0)
        #expect(try LegacyRecord(zeroWrapper).deepRecords().map(\.offset) == [0, 1, 2])
        // A wrapper offset below the last inner offset is invalid.
        var lowWrapper = bytes
        lowWrapper.setInteger(Int64(1), at: 0)
        #expect(throws: RecordsError.self) { try LegacyRecord(lowWrapper).deepRecords() }
    }

    @Test func logAppendTimeWrapperOverridesInnerTimestamps() throws {
        let bytes = try Self.build(magic: 1, codec: .snappy, logAppendTime: 1_600_000_000_000)
        let (entries, records) = try Self.deepRecords(bytes)
        #expect(entries[0].timestampType == .logAppendTime)
        #expect(entries[0].timestamp == 1_600_000_000_000)
        #expect(records.allSatisfy { $0.timestamp == 1_600_000_000_000 && $0.timestampType == .logAppendTime })
    }

    @Test func magicZeroLZ4UsesTheBrokenHeaderChecksum() throws {
        let wrapper = try LegacyRecord(try Self.build(magic: 0, codec: .lz4))
        // KAFKA-3160: a strict reader rejects the value; the magic-0 path accepts it.
        #expect(throws: RecordsError.self) { try Compression.decompress(wrapper.value!, codec: .lz4) }
        #expect(try wrapper.deepRecords().count == 3)
        // Magic 1 uses the correct checksum.
        let v1 = try LegacyRecord(try Self.build(magic: 1, codec: .lz4))
        #expect(try Compression.decompress(v1.value!, codec: .lz4).readableBytes > 0)
    }

    @Test func corruptionAndBadInput() throws {
        let bytes = try Self.build(magic: 1, codec: .none)
        var damaged = bytes
        damaged.setInteger(UInt8(0x7F), at: 30)
        #expect(throws: RecordsError.self) { try LegacyRecord(damaged).validate() }

        // next() only yields v2 batches.
        var reader = RecordBatchReader(bytes)
        #expect(throws: RecordsError.unsupportedMagic(1)) { try reader.next() }

        // A key length beyond the message.
        var longKey = bytes
        longKey.setInteger(Int32(1000), at: 12 + 4 + 1 + 1 + 8)
        #expect(throws: RecordsError.self) { try LegacyRecord(longKey) }

        // zstd does not exist before magic 2.
        #expect(throws: RecordsError.unsupportedCompression(4)) { try LegacyMessageSetBuilder(magic: 1, compression: .zstd) }
        var zstdAttribute = bytes
        zstdAttribute.setInteger(Int8(4), at: 17)
        #expect(throws: RecordsError.unsupportedCompression(4)) { try LegacyRecord(zstdAttribute) }

        // A size too small for magic 1.
        var small = bytes
        small.setInteger(Int32(15), at: 8)
        #expect(throws: RecordsError.invalidBatchSize(15)) { try LegacyRecord(small) }

        // Truncations never crash.
        let compressed = try Self.build(magic: 0, codec: .gzip)
        for cut in 1..<compressed.readableBytes {
            var prefix = RecordBatchReader(compressed.getSlice(at: 0, length: cut)!)
            #expect(throws: RecordsError.self) { try prefix.nextEntry() }
        }
    }

    @Test func wrapperValidation() throws {
        // A wrapper whose inner message is itself compressed.
        let innerWrapper = try Self.build(magic: 1, codec: .gzip)
        var outer = ByteBuffer()
        var value = ByteBuffer()
        try Compression.compress(innerWrapper, codec: .gzip, into: &value)
        LegacyMessageSetBuilder.writeMessage(
            into: &outer, offset: 5, magic: 1, attributes: 1, timestamp: 0, key: nil, value: value)
        #expect(throws: RecordsError.invalidRecord("inner messages must not be compressed")) {
            try LegacyRecord(outer).deepRecords()
        }

        // Inner magic must match the wrapper's.
        let magic0 = try Self.build(magic: 0, codec: .none)
        var mixed = ByteBuffer()
        var mixedValue = ByteBuffer()
        try Compression.compress(magic0, codec: .snappy, into: &mixedValue)
        LegacyMessageSetBuilder.writeMessage(
            into: &mixed, offset: 2, magic: 1, attributes: 2, timestamp: 0, key: nil, value: mixedValue)
        #expect(throws: RecordsError.self) { try LegacyRecord(mixed).deepRecords() }

        // A compressed wrapper with a null value.
        var nullValue = ByteBuffer()
        LegacyMessageSetBuilder.writeMessage(
            into: &nullValue, offset: 2, magic: 1, attributes: 2, timestamp: 0, key: nil, value: nil)
        #expect(throws: RecordsError.self) { try LegacyRecord(nullValue).deepRecords() }
    }
}

import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct MessageSetDownConversionTests {
    typealias Input = (timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader])

    static let inputs: [Input] = [
        (1_600_000_000_100, ByteBuffer(string: "k0"), ByteBuffer(string: "v0"), [RecordHeader(key: "h", value: ByteBuffer(string: "x"))]),
        (1_600_000_000_300, nil, ByteBuffer(repeating: 0x61, count: 3000), []),
        (1_600_000_000_200, ByteBuffer(string: "k2"), nil, []),
    ]

    static func batch(
        at baseOffset: Int64, _ codec: CompressionCodec = .none, inputs: [Input] = inputs, logAppendTime: Int64? = nil
    ) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(baseOffset: baseOffset, compression: codec, logAppendTime: logAppendTime)
        for input in inputs {
            builder.append(timestamp: input.timestamp, key: input.key, value: input.value, headers: input.headers)
        }
        return try builder.build()
    }

    static func controlBatch(at offset: Int64) -> ByteBuffer {
        RecordBatchBuilder.endTransactionMarkerBatch(
            EndTransactionMarker(type: .commit, coordinatorEpoch: 3), producerId: 9, producerEpoch: 0,
            baseOffset: offset, timestamp: 1_600_000_000_999)
    }

    static func concat(_ parts: ByteBuffer...) -> ByteBuffer {
        var all = ByteBuffer()
        for var part in parts { all.writeBuffer(&part) }
        return all
    }

    /// Top-level entries (all legacy, CRCs checked) and their records with absolute offsets.
    static func read(_ bytes: ByteBuffer, magic: Int8) throws -> (entries: [LegacyRecord], records: [LegacyRecord]) {
        var reader = RecordBatchReader(bytes, allowPartialTrailingBatch: true)
        var entries: [LegacyRecord] = []
        var records: [LegacyRecord] = []
        while let entry = try reader.nextEntry() {
            guard case .legacy(let message) = entry else {
                Issue.record("expected a legacy entry, got magic \(entry.magic)")
                continue
            }
            #expect(message.magic == magic)
            try message.validate()
            entries.append(message)
            records += try message.deepRecords(verifyCRC: true)
        }
        return (entries, records)
    }

    static func convert(_ bytes: ByteBuffer, toMagic: Int8, firstOffset: Int64 = 0, maxBytes: Int? = nil) throws -> DownConvertedRecords {
        try MessageSetDownConversion.downConvert(bytes, toMagic: toMagic, firstOffset: firstOffset, maxBytes: maxBytes)
    }

    @Test(arguments: [Int8(0), 1])
    func uncompressedBatchesBecomeOneMessagePerRecord(magic: Int8) throws {
        let result = try Self.convert(Self.batch(at: 100), toMagic: magic, firstOffset: 100)
        let (entries, records) = try Self.read(result.records, magic: magic)
        #expect(entries.count == 3)
        #expect(entries.map(\.offset) == [100, 101, 102])
        #expect(result.convertedRecordCount == 3)
        #expect(result.droppedRecords)  // the header
        for (record, input) in zip(records, Self.inputs) {
            #expect(record.compression == .none)
            #expect(record.key == input.key)
            #expect(record.value == input.value)
            #expect(record.timestamp == (magic == 0 ? -1 : input.timestamp))
            #expect(record.timestampType == (magic == 0 ? nil : .createTime))
            #expect(record.attributes == 0)
        }
    }

    @Test(arguments: [Int8(0), 1], [CompressionCodec.gzip, .snappy, .lz4])
    func compressedBatchesBecomeOneWrapper(magic: Int8, codec: CompressionCodec) throws {
        let result = try Self.convert(Self.batch(at: 100, codec), toMagic: magic, firstOffset: 101)
        let (entries, records) = try Self.read(result.records, magic: magic)
        #expect(entries.count == 1)
        let wrapper = try #require(entries.first)
        #expect(wrapper.compression == codec)
        #expect(wrapper.offset == 102)  // the last offset
        #expect(wrapper.key == nil)
        if magic == 1 {
            #expect(wrapper.timestamp == 1_600_000_000_300)
            #expect(wrapper.timestampType == .createTime)
        }
        // Compressed batches keep records below firstOffset, as Kafka does.
        #expect(records.map(\.offset) == [100, 101, 102])
        #expect(records.map(\.key) == Self.inputs.map(\.key))
        #expect(records.map(\.value) == Self.inputs.map(\.value))
        #expect(records.map(\.timestamp) == Self.inputs.map { magic == 0 ? -1 : $0.timestamp })

        // Inner offsets as stored: relative for magic 1 (KIP-31), absolute for magic 0.
        var inner = try Compression.decompress(wrapper.value!, codec: codec, legacyLZ4HeaderChecksum: true)
        var stored: [Int64] = []
        while inner.readableBytes > 0 {
            let message = try LegacyRecord(inner)
            inner.moveReaderIndex(forwardBy: message.sizeInBytes)
            stored.append(message.offset)
        }
        #expect(stored == (magic == 1 ? [0, 1, 2] : [100, 101, 102]))
    }

    @Test(arguments: [Int8(0), 1])
    func lz4WrappersUseTheFramingOldConsumersExpect(magic: Int8) throws {
        let result = try Self.convert(Self.batch(at: 0, .lz4), toMagic: magic, firstOffset: 0)
        let value = try #require(try Self.read(result.records, magic: magic).entries.first?.value)
        let bytes = Array(value.readableBytesView)
        // KAFKA-3160: magic 0 hashes magic number and descriptor; magic 1 only the descriptor.
        let broken = bytes.withUnsafeBytes { UInt8(truncatingIfNeeded: XXHash32.hash(UnsafeRawBufferPointer(rebasing: $0[0..<6])) >> 8) }
        let correct = bytes.withUnsafeBytes { UInt8(truncatingIfNeeded: XXHash32.hash(UnsafeRawBufferPointer(rebasing: $0[4..<6])) >> 8) }
        #expect(broken != correct)
        #expect(bytes[6] == (magic == 0 ? broken : correct))
    }

    @Test(arguments: [CompressionCodec.none, .gzip])
    func logAppendTimeIsKeptForMagic1AndDroppedForMagic0(codec: CompressionCodec) throws {
        let appendTime: Int64 = 1_700_000_000_000
        let stored = try Self.batch(at: 7, codec, logAppendTime: appendTime)

        let v1 = try Self.read(Self.convert(stored, toMagic: 1).records, magic: 1)
        #expect(v1.entries.allSatisfy { $0.attributes & LegacyRecord.timestampTypeMask != 0 })
        #expect(v1.entries.allSatisfy { $0.timestamp == appendTime })
        #expect(v1.records.map(\.offset) == [7, 8, 9])
        #expect(v1.records.allSatisfy { $0.timestamp == appendTime && $0.timestampType == .logAppendTime })

        let v0 = try Self.read(Self.convert(stored, toMagic: 0).records, magic: 0)
        #expect(v0.entries.allSatisfy { $0.attributes & LegacyRecord.timestampTypeMask == 0 })
        #expect(v0.records.map(\.offset) == [7, 8, 9])
        #expect(v0.records.allSatisfy { $0.timestamp == -1 && $0.timestampType == nil })
    }

    @Test func controlBatchesAreDropped() throws {
        let bytes = Self.concat(try Self.batch(at: 0), Self.controlBatch(at: 3), try Self.batch(at: 4, .gzip))
        let result = try Self.convert(bytes, toMagic: 1)
        let (entries, records) = try Self.read(result.records, magic: 1)
        #expect(entries.map(\.offset) == [0, 1, 2, 6])
        #expect(records.map(\.offset) == [0, 1, 2, 4, 5, 6])
        #expect(result.convertedRecordCount == 6)
        #expect(result.droppedRecords)

        // Nothing but a marker: nothing to send.
        let onlyMarker = try Self.convert(Self.controlBatch(at: 3), toMagic: 0)
        #expect(onlyMarker.records.readableBytes == 0 && onlyMarker.droppedRecords)
    }

    @Test func uncompressedRecordsBelowTheFetchOffsetAreSkipped() throws {
        let bytes = Self.concat(try Self.batch(at: 10), try Self.batch(at: 13))
        let result = try Self.convert(bytes, toMagic: 0, firstOffset: 12)
        #expect(try Self.read(result.records, magic: 0).records.map(\.offset) == [12, 13, 14, 15])
        #expect(result.convertedRecordCount == 4)

        // A batch wholly below the fetch offset leaves nothing.
        let before = try Self.convert(Self.batch(at: 10), toMagic: 1, firstOffset: 20)
        #expect(before.records.readableBytes == 0 && before.convertedRecordCount == 0 && before.droppedRecords)

        // No headers and nothing skipped: nothing dropped.
        let plain = try Self.batch(at: 0, inputs: [(5, nil, ByteBuffer(string: "v"), [])])
        #expect(try !Self.convert(plain, toMagic: 1).droppedRecords)
    }

    @Test func aTruncatedTrailingBatchIsIgnored() throws {
        let second = try Self.batch(at: 3, .snappy)
        for cut in [1, 10, 20, second.readableBytes / 2, second.readableBytes - 1] {
            let bytes = Self.concat(try Self.batch(at: 0), second.getSlice(at: second.readerIndex, length: cut)!)
            let result = try Self.convert(bytes, toMagic: 1)
            #expect(try Self.read(result.records, magic: 1).records.map(\.offset) == [0, 1, 2])
            #expect(result.droppedRecords)
        }
    }

    @Test func zstdCannotBeDownConverted() throws {
        let zstd = try Self.batch(at: 5, .zstd)
        #expect(throws: DownConversionError.unsupportedCompression(.zstd, baseOffset: 5)) {
            try Self.convert(zstd, toMagic: 1)
        }
        // A dropped marker before it converts nothing, so the error stands.
        #expect(throws: DownConversionError.unsupportedCompression(.zstd, baseOffset: 5)) {
            try Self.convert(Self.concat(Self.controlBatch(at: 4), zstd), toMagic: 0)
        }
        // After converted output, conversion stops at it; the next fetch gets the error.
        let result = try Self.convert(Self.concat(try Self.batch(at: 2), zstd, try Self.batch(at: 8)), toMagic: 0)
        #expect(try Self.read(result.records, magic: 0).records.map(\.offset) == [2, 3, 4])
        #expect(result.stoppedAtUnconvertibleOffset == 5)
    }

    @Test func maxBytesAlwaysKeepsTheFirstConvertedBatch() throws {
        // Small records: legacy messages (34 bytes of overhead each) outgrow the v2 batches.
        let small: [Input] = (0..<6).map { (Int64($0), ByteBuffer(string: "k"), ByteBuffer(string: "v"), []) }
        let bytes = Self.concat(
            Self.controlBatch(at: 0), try Self.batch(at: 1, inputs: small), try Self.batch(at: 7, inputs: small),
            try Self.batch(at: 13, inputs: small))
        let full = try Self.convert(bytes, toMagic: 1)
        #expect(try Self.read(full.records, magic: 1).records.map(\.offset) == Array(1...18))
        #expect(full.records.readableBytes > bytes.readableBytes)

        // A limit below the first converted batch still yields that batch whole.
        let tiny = try Self.convert(bytes, toMagic: 1, maxBytes: 10)
        #expect(try Self.read(tiny.records, magic: 1).records.map(\.offset) == Array(1...6))
        #expect(tiny.droppedRecords)

        // Kafka sends at most the unconverted size; the cut leaves a partial message.
        let cut = try Self.convert(bytes, toMagic: 1, maxBytes: bytes.readableBytes)
        #expect(cut.records.readableBytes == bytes.readableBytes)
        let records = try Self.read(cut.records, magic: 1).records
        #expect(records.count > 6 && records.count < 18)
        #expect(records.map(\.offset) == Array(1...Int64(records.count)))
    }

    @Test func legacyEntriesAreCopiedOrConverted() throws {
        var v1 = try LegacyMessageSetBuilder(magic: 1, compression: .gzip)
        v1.append(offset: 20, timestamp: 1_600_000_000_000, key: ByteBuffer(string: "a"), value: ByteBuffer(string: "b"))
        v1.append(offset: 21, timestamp: 1_600_000_000_001, key: nil, value: ByteBuffer(string: "c"))
        let stored = try v1.build()
        // At or below the target magic: the bytes as stored.
        #expect(try Self.convert(stored, toMagic: 1).records == stored)
        // Above it: re-encoded.
        let v0 = try Self.read(Self.convert(stored, toMagic: 0).records, magic: 0)
        #expect(v0.entries.count == 1 && v0.entries[0].compression == .gzip && v0.entries[0].offset == 21)
        #expect(v0.records.map(\.offset) == [20, 21])
        #expect(v0.records.map(\.value) == [ByteBuffer(string: "b"), ByteBuffer(string: "c")])
    }

    @Test func onlyLegacyTargetsAreAccepted() throws {
        #expect(throws: DownConversionError.records(.unsupportedMagic(2))) {
            try Self.convert(Self.batch(at: 0), toMagic: 2)
        }
    }
}

import NIOCore
import Testing

@testable import KafkaProtocol

@Suite struct RecordsBatchTests {
    struct Input {
        var timestamp: Int64
        var key: ByteBuffer?
        var value: ByteBuffer?
        var headers: [RecordHeader] = []
    }

    static let inputs: [Input] = [
        Input(timestamp: 1_700_000_000_000, key: ByteBuffer(string: "key-0"), value: ByteBuffer(string: "value-0")),
        Input(timestamp: 1_700_000_000_005, key: nil, value: ByteBuffer(string: "no key")),
        Input(timestamp: 1_699_999_999_990, key: ByteBuffer(string: "tombstone"), value: nil),
        Input(
            timestamp: 1_700_000_000_100, key: ByteBuffer(), value: ByteBuffer(repeating: 0x41, count: 5000),
            headers: [
                RecordHeader(key: "trace-id", value: ByteBuffer(string: "abc")),
                RecordHeader(key: "null-header", value: nil),
                RecordHeader(key: "ünïcödé", value: ByteBuffer()),
            ]),
    ]

    static func build(
        _ codec: CompressionCodec, baseOffset: Int64 = 100, inputs: [Input] = inputs,
        producerId: Int64 = 4000, baseSequence: Int32 = 17
    ) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(
            baseOffset: baseOffset, compression: codec, producerId: producerId, producerEpoch: 3,
            baseSequence: baseSequence, partitionLeaderEpoch: 9)
        for input in inputs {
            builder.append(timestamp: input.timestamp, key: input.key, value: input.value, headers: input.headers)
        }
        return try builder.build()
    }

    @Test(arguments: CompressionCodec.allCases)
    func buildThenParse(codec: CompressionCodec) throws {
        let bytes = try Self.build(codec)
        let batch = try RecordBatch(bytes)
        #expect(batch.sizeInBytes == bytes.readableBytes)
        #expect(Int(batch.batchLength) == bytes.readableBytes - 12)
        #expect(batch.baseOffset == 100)
        #expect(batch.partitionLeaderEpoch == 9)
        #expect(batch.magic == 2)
        #expect(batch.compression == codec)
        #expect(batch.timestampType == .createTime)
        #expect(!batch.isTransactional && !batch.isControl && !batch.hasDeleteHorizonMs)
        #expect(batch.lastOffsetDelta == 3)
        #expect(batch.lastOffset == 103)
        #expect(batch.baseTimestamp == 1_700_000_000_000)
        #expect(batch.maxTimestamp == 1_700_000_000_100)
        #expect(batch.producerId == 4000)
        #expect(batch.producerEpoch == 3)
        #expect(batch.baseSequence == 17)
        #expect(batch.lastSequence == 20)
        #expect(batch.recordCount == 4)
        #expect(batch.verifyCRC())
        try batch.validate()

        let records = try batch.records()
        #expect(records.count == 4)
        for (i, (record, input)) in zip(records, Self.inputs).enumerated() {
            #expect(record.offset == 100 + Int64(i))
            #expect(record.offsetDelta == Int32(i))
            #expect(record.timestamp == input.timestamp)
            #expect(record.sequence == 17 + Int32(i))
            #expect(record.key == input.key)
            #expect(record.value == input.value)
            #expect(record.headers == input.headers)
        }
        // Sizes add up to the uncompressed records section.
        if codec == .none {
            #expect(records.map(\.sizeInBytes).reduce(0, +) == bytes.readableBytes - RecordBatch.headerSize)
        }
    }

    @Test func uncompressedRecordsAreSlicesOfTheBatch() throws {
        let bytes = try Self.build(.none)
        let batch = try RecordBatch(bytes)
        var iterator = try batch.makeRecordIterator()
        let first = try #require(try iterator.next())
        // A slice shares storage: its bytes sit inside the batch's bytes.
        let key = try #require(first.key)
        let inBatch = bytes.withUnsafeReadableBytes { whole in
            key.withUnsafeReadableBytes { part in
                part.baseAddress! >= whole.baseAddress! && part.baseAddress! + part.count <= whole.baseAddress! + whole.count
            }
        }
        #expect(inBatch)
        #expect(iterator.remainingCount == 3)
    }

    @Test func brokerPatchesKeepTheCRCValid() throws {
        var batch = try RecordBatch(try Self.build(.lz4))
        let crc = batch.crc
        batch.baseOffset = 5_000
        batch.partitionLeaderEpoch = 42
        #expect(batch.crc == crc)
        #expect(batch.verifyCRC())
        batch.setLastOffset(9_003)
        #expect(batch.baseOffset == 9_000)

        batch.setMaxTimestamp(1_800_000_000_000, type: .logAppendTime)
        #expect(batch.timestampType == .logAppendTime)
        #expect(batch.maxTimestamp == 1_800_000_000_000)
        #expect(batch.compression == .lz4)
        #expect(batch.crc != crc)
        #expect(batch.verifyCRC())
        // Under LogAppendTime every record takes the batch's max timestamp.
        let records = try batch.records()
        #expect(records.allSatisfy { $0.timestamp == 1_800_000_000_000 })
        #expect(records.map(\.offset) == [9_000, 9_001, 9_002, 9_003])
    }

    @Test func patchingInsideALargerBuffer() throws {
        var joined = try Self.build(.none, baseOffset: 0)
        joined.writeImmutableBuffer(try Self.build(.zstd, baseOffset: 0))
        var reader = RecordBatchReader(joined)
        var nextOffset: Int64 = 1000
        while let batch = try reader.next() {
            RecordBatch.setBaseOffset(nextOffset, in: &joined, batchAt: reader.lastEntryIndex)
            RecordBatch.setPartitionLeaderEpoch(7, in: &joined, batchAt: reader.lastEntryIndex)
            RecordBatch.setMaxTimestamp(123, type: .logAppendTime, in: &joined, batchAt: reader.lastEntryIndex)
            nextOffset += Int64(batch.lastOffsetDelta) + 1
        }
        reader = RecordBatchReader(joined)
        let first = try #require(try reader.next())
        let second = try #require(try reader.next())
        #expect(try reader.next() == nil)
        #expect(first.baseOffset == 1000 && second.baseOffset == 1004)
        #expect(first.partitionLeaderEpoch == 7 && second.maxTimestamp == 123)
        #expect(first.verifyCRC() && second.verifyCRC())
    }

    @Test func corruptionIsDetected() throws {
        let bytes = try Self.build(.none)
        for index in [RecordBatch.Offset.attributes + 1, RecordBatch.Offset.producerId, 70, bytes.readableBytes - 1] {
            var damaged = bytes
            damaged.setInteger(damaged.getInteger(at: index, as: UInt8.self)! ^ 0x01, at: index)
            let batch = try RecordBatch(damaged)
            #expect(!batch.verifyCRC())
            #expect(throws: RecordsError.self) { try batch.validate() }
        }
    }

    @Test func controlBatches() throws {
        let bytes = RecordBatchBuilder.endTransactionMarkerBatch(
            EndTransactionMarker(type: .commit, coordinatorEpoch: 12), producerId: 77, producerEpoch: 2,
            baseOffset: 50, timestamp: 1_700_000_000_000)
        let batch = try RecordBatch(bytes)
        #expect(batch.isControl && batch.isTransactional)
        #expect(batch.producerId == 77 && batch.producerEpoch == 2 && batch.baseSequence == -1)
        #expect(batch.verifyCRC())
        let records = try batch.records()
        #expect(records.count == 1)
        let record = records[0]
        #expect(record.key.map { Array($0.readableBytesView) } == [0, 0, 0, 1])
        #expect(record.value.map { Array($0.readableBytesView) } == [0, 0, 0, 0, 0, 12])
        #expect(try ControlRecordType(key: record.key!) == .commit)
        #expect(try EndTransactionMarker(record: record) == EndTransactionMarker(type: .commit, coordinatorEpoch: 12))

        let abort = RecordBatchBuilder.endTransactionMarkerBatch(
            EndTransactionMarker(type: .abort, coordinatorEpoch: 1), producerId: 1, producerEpoch: 0, timestamp: 0)
        #expect(try EndTransactionMarker(record: try RecordBatch(abort).records()[0]).type == .abort)

        #expect(try ControlRecordType(key: ByteBuffer(bytes: [0, 0, 0, 99])) == .unknown(99))
        #expect(try ControlRecordType(key: ByteBuffer(bytes: [0, 1, 0, 2])) == .leaderChange)
        #expect(throws: RecordsError.self) { try ControlRecordType(key: ByteBuffer(bytes: [0, 0, 0])) }
        #expect(throws: RecordsError.self) { try ControlRecordType(key: ByteBuffer(bytes: [0xFF, 0xFF, 0, 0])) }
    }

    @Test func readerWalksConsecutiveBatches() throws {
        var joined = ByteBuffer()
        for codec in CompressionCodec.allCases { joined.writeImmutableBuffer(try Self.build(codec)) }
        var reader = RecordBatchReader(joined)
        var codecs: [CompressionCodec] = []
        while let batch = try reader.next() {
            codecs.append(batch.compression)
            #expect(try batch.records().count == 4)
        }
        #expect(codecs == CompressionCodec.allCases)
        #expect(reader.remainingBytes == 0)
    }

    @Test func truncatedInputNeverCrashes() throws {
        let bytes = try Self.build(.none)
        for cut in 0..<bytes.readableBytes {
            let prefix = bytes.getSlice(at: 0, length: cut)!
            var reader = RecordBatchReader(prefix)
            if cut == 0 {
                #expect(try reader.next() == nil)
                continue
            }
            #expect(throws: RecordsError.self) { try reader.next() }
            var lenient = RecordBatchReader(prefix, allowPartialTrailingBatch: true)
            #expect(try lenient.next() == nil)
            #expect(lenient.remainingBytes == cut)
        }
    }

    @Test func bogusLengths() throws {
        let bytes = try Self.build(.none)
        func withLength(_ length: Int32) -> ByteBuffer {
            var copy = bytes
            copy.setInteger(length, at: RecordBatch.Offset.batchLength)
            return copy
        }
        var reader = RecordBatchReader(withLength(-1))
        #expect(throws: RecordsError.invalidBatchSize(-1)) { try reader.next() }
        #expect(try reader.next() == nil)  // stays at the end after a failure
        reader = RecordBatchReader(withLength(Int32.min))
        #expect(throws: RecordsError.invalidBatchSize(Int(Int32.min))) { try reader.next() }
        reader = RecordBatchReader(withLength(Int32.max))
        #expect(throws: RecordsError.truncated(needed: Int(Int32.max) + 12, available: bytes.readableBytes)) {
            try reader.next()
        }
        reader = RecordBatchReader(bytes, maxBatchSize: 100)
        #expect(throws: RecordsError.batchTooLarge(size: bytes.readableBytes, limit: 100)) { try reader.next() }
        // Large enough for a legacy message but not a v2 batch header.
        reader = RecordBatchReader(withLength(20))
        #expect(throws: RecordsError.invalidBatchSize(20)) { try reader.next() }
        var badMagic = bytes
        badMagic.setInteger(Int8(3), at: RecordBatch.Offset.magic)
        reader = RecordBatchReader(badMagic)
        #expect(throws: RecordsError.unsupportedMagic(3)) { try reader.next() }
        var badCodec = bytes
        badCodec.setInteger(Int16(6), at: RecordBatch.Offset.attributes)
        #expect(throws: RecordsError.unsupportedCompression(6)) { try RecordBatch(badCodec) }
    }

    @Test func lyingRecordCounts() throws {
        for codec in [CompressionCodec.none, .gzip] {
            let bytes = try Self.build(codec)
            func withCount(_ count: Int32) throws -> RecordBatch {
                var copy = bytes
                copy.setInteger(count, at: RecordBatch.Offset.recordCount)
                return try RecordBatch(copy)
            }
            #expect(throws: RecordsError.invalidRecordCount(-1)) { try withCount(-1).records() }
            #expect(throws: RecordsError.invalidRecordCount(Int32.max)) { try withCount(Int32.max).records() }
            #expect(throws: RecordsError.self) { try withCount(3).records() }  // bytes left over
            #expect(throws: RecordsError.self) { try withCount(5).records() }  // runs out
            #expect(try withCount(0).records().isEmpty)
        }
    }

    @Test func malformedRecordsFailCleanly() throws {
        let bytes = try Self.build(.none)
        var generator = SplitMix64(seed: 1234)
        var failures = 0
        for _ in 0..<3000 {
            var damaged = bytes
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                let index = RecordBatch.headerSize + Int(generator.next() % UInt64(bytes.readableBytes - RecordBatch.headerSize))
                damaged.setInteger(UInt8(truncatingIfNeeded: generator.next()), at: index)
            }
            do { _ = try RecordBatch(damaged).records() } catch { failures += 1 }
        }
        #expect(failures > 0)
    }

    @Test func explicitOffsetDeltasAndEmptyBatches() throws {
        var builder = RecordBatchBuilder(baseOffset: 10)
        builder.append(offsetDelta: 0, timestamp: 5, key: nil, value: ByteBuffer(string: "a"))
        builder.append(offsetDelta: 4, timestamp: 3, key: nil, value: ByteBuffer(string: "b"))
        let batch = try RecordBatch(try builder.build())
        #expect(batch.lastOffsetDelta == 4)
        #expect(batch.maxTimestamp == 5)
        #expect(try batch.records().map(\.offset) == [10, 14])
        #expect(try batch.records().map(\.timestamp) == [5, 3])
        #expect(builder.recordCount == 0)

        let empty = try RecordBatch(try builder.build())
        #expect(empty.recordCount == 0)
        #expect(try empty.records().isEmpty)
    }

    @Test func sequenceWrapsAtInt32Max() throws {
        let bytes = try Self.build(.none, baseSequence: Int32.max - 1)
        let batch = try RecordBatch(bytes)
        #expect(batch.lastSequence == 1)
        #expect(try batch.records().map(\.sequence) == [Int32.max - 1, Int32.max, 0, 1])
    }
}

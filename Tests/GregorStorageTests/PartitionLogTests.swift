import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import GregorStorage

@Suite struct PartitionLogTests {
    @Test func appendAssignsOffsetsAndReadsReturnWholeBatches() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        let a = try log.append(makeBatch(count: 3), now: 1)
        let b = try log.append(makeBatch(count: 2, firstValue: 3), now: 2)
        #expect(a.firstOffset == 0 && a.lastOffset == 2 && b.firstOffset == 3 && b.lastOffset == 4)
        #expect(log.logEndOffset == 5 && log.highWatermark == 5)
        // An offset inside the first batch returns that whole batch and what follows.
        let read = try log.read(from: 1, maxBytes: 1 << 20)
        #expect(try records(in: read).map(\.offset) == [0, 1, 2, 3, 4])
        // A tiny limit still returns one whole batch.
        #expect(try records(in: try log.read(from: 3, maxBytes: 1)).map(\.value) == ["value-3", "value-4"])
        #expect(try log.read(from: 5, maxBytes: 100).region == nil)
        #expect(throws: StorageError.self) { _ = try log.read(from: 6, maxBytes: 100) }
        // The segment file holds the batches byte for byte, offsets assigned.
        let file = try String(contentsOfFile: dir.path + "/t-0/00000000000000000000.log", encoding: .isoLatin1)
        #expect(file.contains("value-4"))
    }

    @Test func rollsAtSegmentBytesAndReopensCleanly() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 1000
        config.indexIntervalBytes = 100
        do {
            let (log, _) = try openLog(dir, config: config)
            for i in 0..<20 { _ = try log.append(makeBatch(count: 2, firstValue: 2 * i, valueSize: 100), now: Int64(i)) }
            #expect(log.segmentCount > 4)
            try log.close(flush: true)
        }
        let (log, report) = try openLog(dir, config: config, clean: true)
        #expect(report.segmentsRecovered == 0 && report.bytesTruncated == 0)
        #expect(log.logEndOffset == 40)
        var next: Int64 = 0
        while next < 40 {
            let got = try records(in: try log.read(from: next, maxBytes: 500))
            #expect(got.first?.offset ?? -1 <= next && !got.isEmpty)
            for r in got where r.offset >= next { #expect(r.value.split(separator: ".").first.map(String.init) == "value-\(r.offset)") }
            next = got.last!.offset + 1
        }
    }

    @Test func corruptTailIsTruncatedOnUncleanStart() throws {
        let dir = TempDir()
        do {
            let (log, _) = try openLog(dir)
            for i in 0..<5 { _ = try log.append(makeBatch(count: 1, firstValue: i), now: 0) }
            try log.close(flush: false)
        }
        // Flip a byte inside the fourth batch's records.
        let path = dir.path + "/t-0/00000000000000000000.log"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let batchSize = bytes.count / 5
        bytes[3 * batchSize + 70] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (log, report) = try openLog(dir)
        #expect(report.bytesTruncated == Int64(2 * batchSize))
        #expect(log.logEndOffset == 3)
        #expect(try log.append(makeBatch(count: 1), now: 0).firstOffset == 3)
    }

    @Test func retentionDeletesWholeOldSegments() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 300
        config.retentionMs = 1000
        let (log, _) = try openLog(dir, config: config)
        for i in 0..<10 { _ = try log.append(makeBatch(count: 1, firstValue: i, timestamp: Int64(i * 100)), now: Int64(i * 100)) }
        let before = log.segmentCount
        #expect(try log.applyRetention(now: 1450) > 0)
        #expect(log.segmentCount < before)
        #expect(log.logStartOffset > 0)
        #expect(throws: StorageError.self) { _ = try log.read(from: 0, maxBytes: 100) }
    }

    @Test func offsetsByTimestamp() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        _ = try log.append(makeBatch(count: 3, timestamp: 1000), now: 0)  // 1000, 1001, 1002
        _ = try log.append(makeBatch(count: 3, firstValue: 3, timestamp: 2000), now: 0)
        #expect(try log.offset(forTimestamp: 1001)?.offset == 1)
        #expect(try log.offset(forTimestamp: 1500)?.offset == 3)
        #expect(try log.offset(forTimestamp: 5000) == nil)
        #expect(log.maxTimestampAndOffset?.timestamp == 2002)
    }

    @Test func oversizedAndCorruptBatchesAreRefused() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.maxMessageBytes = 200
        let (log, _) = try openLog(dir, config: config)
        #expect(throws: StorageError(.recordTooLarge(size: makeBatch(count: 1, valueSize: 500).readableBytes, limit: 200))) {
            _ = try log.append(makeBatch(count: 1, valueSize: 500), now: 0)
        }
        var bad = makeBatch(count: 2)
        bad.setInteger(UInt8(0xAA), at: bad.writerIndex - 1)
        #expect(throws: StorageError.self) { _ = try log.append(bad, now: 0) }
        #expect(log.logEndOffset == 0)
    }
}

extension PartitionLogTests {
    @Test func missingOrCorruptIndexesAreRebuilt() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.indexIntervalBytes = 64
        do {
            let (log, _) = try openLog(dir, config: config)
            for i in 0..<50 { _ = try log.append(makeBatch(count: 2, firstValue: 2 * i), now: 0) }
            try log.close(flush: true)
        }
        let index = dir.path + "/t-0/00000000000000000000.index"
        let built = try Data(contentsOf: URL(fileURLWithPath: index))
        #expect(built.count > 8 * 10)
        // Deleted: rebuilt on a clean start too.
        try FileManager.default.removeItem(atPath: index)
        do {
            let (log, _) = try openLog(dir, config: config, clean: true)
            #expect(log.logEndOffset == 100)
            #expect(try records(in: try log.read(from: 77, maxBytes: 1)).map(\.offset) == [76, 77])
            try log.close(flush: true)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == built)
        // Torn (not a whole number of entries): rebuilt.
        try Data(built.prefix(built.count - 3)).write(to: URL(fileURLWithPath: index))
        let (log, _) = try openLog(dir, config: config, clean: true)
        #expect(try records(in: try log.read(from: 99, maxBytes: 1)).map(\.offset) == [98, 99])
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == built)
    }
}

extension PartitionLogTests {
    /// KIP-734 with KAFKA-16310: the record with the largest timestamp, not its batch's last offset.
    @Test func maxTimestampNamesTheRecordInsideItsBatch() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        var builder = RecordBatchBuilder()
        for ts in [10, 50, 20, 30] as [Int64] { builder.append(timestamp: ts, key: nil, value: ByteBuffer(string: "x")) }
        _ = try log.append(try builder.build(), now: 0)
        #expect(log.maxTimestampAndOffset?.timestamp == 50 && log.maxTimestampAndOffset?.offset == 1)
    }
}

import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorStorage

/// The epoch cache as the log keeps it: filled by appends, written to `leader-epoch-checkpoint`,
/// loaded (or rebuilt from the batches) at open, trimmed when either end of the log moves.
@Suite struct LeaderEpochLogTests {
    func entries(_ pairs: (Int32, Int64)...) -> [EpochEntry] { pairs.map { EpochEntry(epoch: $0.0, startOffset: $0.1) } }

    @Test func appendsWithRisingEpochsFillTheCacheAndARestartKeepsIt() throws {
        let dir = TempDir()
        do {
            let (log, _) = try openLog(dir)
            _ = try log.append(makeBatch(count: 3), now: 0, leaderEpoch: 0)               // 0-2
            _ = try log.append(makeBatch(count: 2), now: 0, leaderEpoch: 0)               // 3-4
            _ = try log.append(makeBatch(count: 2), now: 0, leaderEpoch: 2)               // 5-6
            _ = try log.appendFromClient(makeBatch(count: 1), now: 1_700_000_000_000, leaderEpoch: 5)  // 7
            #expect(log.leaderEpochEntries == entries((0, 0), (2, 5), (5, 7)))
            #expect(log.latestEpoch == 5)
            #expect(try fileText(dir, "leader-epoch-checkpoint") == "0\n3\n0 0\n2 5\n5 7\n")
            // OffsetForLeaderEpoch: each epoch ends where the next starts, the latest at the log end.
            #expect(log.endOffset(forEpoch: 0) == (0, 5) && log.endOffset(forEpoch: 1) == (0, 5))
            #expect(log.endOffset(forEpoch: 2) == (2, 7) && log.endOffset(forEpoch: 5) == (5, 8))
            #expect(log.endOffset(forEpoch: 6) == (-1, -1) && log.endOffset(forEpoch: -1) == (-1, -1))
            #expect(log.leaderEpoch(forOffset: 6) == 2)
            // An older epoch (a caller left at the default 0) does not rewrite the history.
            _ = try log.append(makeBatch(count: 1), now: 0)                               // 8
            #expect(log.leaderEpochEntries == entries((0, 0), (2, 5), (5, 7)))
            try log.close(flush: true)
        }
        let (log, _) = try openLog(dir, clean: true)
        #expect(log.leaderEpochEntries == entries((0, 0), (2, 5), (5, 7)))
        #expect(try log.append(makeBatch(count: 1), now: 0, leaderEpoch: 5).firstOffset == 9)
        #expect(log.leaderEpochEntries.count == 3)
    }

    @Test func aLogWithoutTheFileGetsItsCacheRebuiltFromTheBatches() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 400
        do {
            let (log, _) = try openLog(dir, config: config)
            // Several segments; one of them changes epoch in its middle.
            for (i, epoch) in [0, 0, 0, 0, 0, 3, 3, 3, 7, 7, 7, 7].enumerated() {
                _ = try log.append(makeBatch(count: 2, firstValue: 2 * i, valueSize: 60), now: 0, leaderEpoch: Int32(epoch))
            }
            #expect(log.segmentCount > 3)
            #expect(log.leaderEpochEntries == entries((0, 0), (3, 10), (7, 16)))
            try log.close(flush: true)
        }
        // A log written before Gregor kept the file.
        try FileManager.default.removeItem(atPath: dir.path + "/t-0/leader-epoch-checkpoint")
        let (log, _) = try openLog(dir, config: config, clean: true)
        #expect(log.leaderEpochEntries == entries((0, 0), (3, 10), (7, 16)))
        #expect(try fileText(dir, "leader-epoch-checkpoint") == "0\n3\n0 0\n3 10\n7 16\n")
        // An unreadable file is rebuilt too.
        try log.close(flush: true)
        try "garbage".write(toFile: dir.path + "/t-0/leader-epoch-checkpoint", atomically: false, encoding: .utf8)
        #expect(try openLog(dir, config: config, clean: true).0.leaderEpochEntries == entries((0, 0), (3, 10), (7, 16)))
    }

    @Test func aTornTailTakesItsEpochWithIt() throws {
        let dir = TempDir()
        do {
            let (log, _) = try openLog(dir)
            _ = try log.append(makeBatch(count: 2), now: 0, leaderEpoch: 1)
            _ = try log.append(makeBatch(count: 2, firstValue: 2), now: 0, leaderEpoch: 4)
            #expect(log.leaderEpochEntries == entries((1, 0), (4, 2)))
            try log.close(flush: false)
        }
        // The second batch is torn: the file's entry for epoch 4 outlives it.
        let path = dir.path + "/t-0/00000000000000000000.log"
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(size - 5))
        try handle.close()
        let (log, report) = try openLog(dir)
        #expect(report.bytesTruncated > 0 && log.logEndOffset == 2)
        #expect(log.leaderEpochEntries == entries((1, 0)))
        #expect(try fileText(dir, "leader-epoch-checkpoint") == "0\n1\n1 0\n")
    }

    @Test func aMovingLogStartMovesTheFirstEpoch() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 300
        let (log, _) = try openLog(dir, config: config)
        for (i, epoch) in [0, 0, 0, 2, 2, 2].enumerated() {
            _ = try log.append(makeBatch(count: 2, firstValue: 2 * i, valueSize: 60), now: 0, leaderEpoch: Int32(epoch))
        }
        #expect(log.leaderEpochEntries == entries((0, 0), (2, 6)))
        try log.deleteRecords(before: 3)
        #expect(log.leaderEpochEntries == entries((0, 3), (2, 6)))
        try log.deleteRecords(before: 7)
        #expect(log.leaderEpochEntries == entries((2, 7)))
        try log.applyRetention(now: 0)
        #expect(log.leaderEpochEntries.first?.startOffset == log.logStartOffset)
        #expect(try fileText(dir, "leader-epoch-checkpoint") == "0\n1\n2 \(log.logStartOffset)\n")
    }

    @Test func aNewLeaderRecordsItsEpochAtTheLogEndAndLosesItIfItWroteNothing() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        _ = try log.append(makeBatch(count: 3), now: 0, leaderEpoch: 0)
        // Partition.makeLeader: epoch 4 starts at the log end before it writes anything.
        try log.assignEpochStartOffset(leaderEpoch: 4, startOffset: log.logEndOffset)
        #expect(log.endOffset(forEpoch: 0) == (0, 3) && log.endOffset(forEpoch: 4) == (4, 3))
        // Another broker became leader first: truncating at the log end drops the empty epoch
        // (UnifiedLog.truncateTo), and nothing else.
        #expect(try !log.truncate(to: 3, now: 0))
        #expect(log.leaderEpochEntries == entries((0, 0)) && log.logEndOffset == 3)
    }
}

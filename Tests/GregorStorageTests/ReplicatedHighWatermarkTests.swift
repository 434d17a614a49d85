import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorStorage

/// The high watermark under replication: appends leave it, the leader moves it forward, a
/// follower sets it, consumers stop at it, and `replication-offset-checkpoint` keeps it.
@Suite struct ReplicatedHighWatermarkTests {
    @Test func appendsLeaveItAndTheLeaderMovesItOnlyForward() throws {
        let dir = TempDir()
        let log = try openReplica(dir)
        _ = try log.append(makeBatch(count: 3), now: 0)                                         // 0-2
        _ = try log.append(makeBatch(count: 2, firstValue: 3, timestamp: 1_800_000_000_000), now: 0)  // 3-4
        #expect(log.highWatermark == 0 && log.lastStableOffset == 0)
        #expect(try log.read(from: 0, maxBytes: 1 << 20).region == nil)
        // A follower's fetch reads past it.
        #expect(try records(in: log.read(from: 0, maxBytes: 1 << 20, maxOffset: Int64.max)).count == 5)
        #expect(try log.maybeIncrementHighWatermark(3) == 0)
        #expect(try log.maybeIncrementHighWatermark(2) == nil && log.highWatermark == 3)
        #expect(throws: StorageError.self) { try log.maybeIncrementHighWatermark(6) }
        #expect(try records(in: log.read(from: 0, maxBytes: 1 << 20)).map(\.offset) == [0, 1, 2])
        #expect(log.lastStableOffset == 3)
        // ListOffsets: a record past the high watermark is no answer yet; DeleteRecords may not pass it.
        #expect(try log.offset(forTimestamp: 1_800_000_000_000) == nil)
        #expect(throws: StorageError.self) { try log.deleteRecords(before: 4) }
        #expect(try log.maybeIncrementHighWatermark(5) == 3)
        #expect(try log.offset(forTimestamp: 1_800_000_000_000)?.offset == 3)
        // A follower may be sent back.
        #expect(log.updateHighWatermark(1) == 1 && log.highWatermark == 1)
    }

    @Test func retentionNeverDeletesPastIt() throws {
        var config = LogConfig()
        config.segmentBytes = 300
        config.retentionMs = 10
        let dir = TempDir()
        let log = try openReplica(dir, config: config)
        for i in 0..<4 { _ = try log.append(makeBatch(count: 2, firstValue: 2 * i, timestamp: 0, valueSize: 60), now: 0) }
        #expect(log.segmentCount == 4)
        #expect(try log.applyRetention(now: 1_000_000) == 0)
        try log.maybeIncrementHighWatermark(4)
        #expect(try log.applyRetention(now: 1_000_000) == 2 && log.logStartOffset == 4)
    }

    @Test func itSurvivesARestartInReplicationOffsetCheckpoint() throws {
        let root = TempDir()
        let clock = ManualClock(1_000_000)
        let tp = TopicPartition("t", 0)
        do {
            let manager = LogManager(logDirs: [root.path], highWatermarkMode: .replicated, logger: testLogger, clock: clock.function)
            try manager.startup { _ in LogConfig() }
            let log = try manager.getOrCreate(tp, config: LogConfig())
            #expect(log.highWatermarkMode == .replicated)
            _ = try log.append(makeBatch(count: 5), now: 0)
            #expect(log.highWatermark == 0)
            try log.maybeIncrementHighWatermark(3)
            try manager.shutdown()
        }
        #expect(try String(contentsOfFile: root.path + "/" + LogManager.highWatermarkFile, encoding: .utf8) == "0\n1\nt 0 3\n")
        do {
            let manager = LogManager(logDirs: [root.path], highWatermarkMode: .replicated, logger: testLogger, clock: clock.function)
            try manager.startup { _ in LogConfig() }
            #expect(manager.log(tp)?.highWatermark == 3 && manager.log(tp)?.logEndOffset == 5)
            try manager.shutdown()
        }
        // The only replica commits everything it has, and checkpoints that too.
        let single = LogManager(logDirs: [root.path], logger: testLogger, clock: clock.function)
        try single.startup { _ in LogConfig() }
        #expect(single.log(tp)?.highWatermark == 5)
        try single.checkpoint()
        #expect(OffsetCheckpoint.read(root.path + "/" + LogManager.highWatermarkFile) == [tp: 5])
    }

    @Test func withoutACheckpointAReplicaStartsAtItsLogStart() throws {
        let dir = TempDir()
        do {
            let (log, _) = try openLog(dir)
            _ = try log.append(makeBatch(count: 5), now: 0)
            #expect(log.highWatermark == 5)
            try log.close(flush: true)
        }
        #expect(try openReplica(dir).highWatermark == 0)
        #expect(try openReplica(dir, highWatermark: 2).highWatermark == 2)
        let log = try openReplica(dir, highWatermark: 99)
        #expect(log.highWatermark == 5)
        // Back to a single replica: the whole log is committed at once.
        log.updateHighWatermark(1)
        log.setHighWatermarkMode(.logEnd)
        #expect(log.highWatermark == 5 && log.highWatermarkMode == .logEnd)
        #expect(try log.append(makeBatch(count: 1), now: 0).firstOffset == 5 && log.highWatermark == 6)
    }
}

import Synchronization
import Foundation
import KafkaProtocol
import Testing
@testable import GregorStorage

/// Appends with `deferFlush` leave the fsync to `makeDurable`, which shares one fsync among the
/// appends that wait on it (issue 13's group commit for `flush.messages=1`).
@Suite struct GroupCommitTests {
    /// makeBatch's timestamps, so the appends pass the timestamp checks.
    let now: Int64 = 1_700_000_000_000

    func flushEveryMessage() -> LogConfig {
        var config = LogConfig()
        config.flushMessages = 1
        return config
    }

    @Test func deferredAppendLeavesTheFsyncToMakeDurable() async throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: flushEveryMessage())
        let appended = try log.appendFromClient(makeBatch(count: 3), now: now, deferFlush: true)
        #expect(appended.flushRequested)
        #expect(log.recoveryPoint == 0)
        try await log.makeDurable(upTo: appended.lastOffset + 1)
        #expect(log.recoveryPoint == 3)
        // Already durable: returns at once, and a plain append still flushes inside itself.
        try await log.makeDurable(upTo: 3)
        let plain = try log.appendFromClient(makeBatch(count: 1, firstValue: 3), now: now)
        #expect(!plain.flushRequested)
        #expect(log.recoveryPoint == 4)
    }

    @Test func withoutFlushMessagesNothingIsRequested() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        let appended = try log.appendFromClient(makeBatch(count: 3), now: now, deferFlush: true)
        #expect(!appended.flushRequested)
        #expect(log.recoveryPoint == 0)
    }

    /// KAFKA-15046: a roll's fsync goes to the log's `RollFlusher`, and the append does not wait
    /// for it, whichever path appended.
    @Test(arguments: [true, false]) func aRollIsLeftToTheRollFlusher(deferFlush: Bool) throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 300
        let scheduled = Scheduled()
        let (log, _) = try PartitionLog.open(
            TopicPartition("t", 0), directory: dir.path + "/t-0", config: config, cache: FileCache(capacity: 64), logger: testLogger,
            rollFlusher: RollFlusher { work in scheduled.works.withLock { $0.append(work) } }, now: now)
        var requested = false
        var last: Int64 = 0
        for i in 0..<6 {
            let r = try log.appendFromClient(makeBatch(count: 1, firstValue: i, valueSize: 120), now: now + Int64(i), deferFlush: deferFlush)
            requested = requested || r.flushRequested
            last = r.lastOffset
        }
        #expect(log.segmentCount > 2)
        #expect(!requested)
        #expect(log.recoveryPoint == 0)
        let rolls = scheduled.works.withLock { $0 }
        #expect(rolls.count == log.segmentCount - 1)
        // The roll's producer snapshot is written but left for that flush to fsync.
        let snapshot = try #require(log.state.withLock { $0.unsyncedSnapshot })
        #expect(FileManager.default.fileExists(atPath: snapshot))
        // As Kafka's flushUptoOffsetExclusive: the segments below the roll, not the new one.
        for work in rolls { work() }
        #expect(log.recoveryPoint == log.segmentBaseOffsets.last)
        #expect(log.state.withLock { $0.unsyncedSnapshot } == nil)
        try log.flushOutsideLock()
        #expect(log.recoveryPoint == last + 1)
    }

    /// Without deferFlush the roll's fsync runs before the append returns, after the lock.
    @Test func aPlainAppendThatRollsFlushesBeforeItReturns() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 300
        let (log, _) = try openLog(dir, config: config)
        var rolledAt: Int64?
        for i in 0..<6 {
            let before = log.segmentCount
            let r = try log.appendFromClient(makeBatch(count: 1, firstValue: i, valueSize: 120), now: now + Int64(i))
            #expect(!r.flushRequested)
            if log.segmentCount > before, rolledAt == nil { rolledAt = r.firstOffset }
        }
        let rolled = try #require(rolledAt)
        #expect(log.recoveryPoint >= rolled)
    }

    @Test func concurrentWaitersAreAllAnsweredAndTheRecoveryPointCoversThem() async throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: flushEveryMessage())
        try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<50 {
                group.addTask {
                    let r = try log.appendFromClient(makeBatch(count: 1, firstValue: i), now: now, deferFlush: true)
                    try await log.makeDurable(upTo: r.lastOffset + 1)
                    // Every waiter sees its own batch durable when it is answered.
                    #expect(log.recoveryPoint >= r.lastOffset + 1)
                    return r.lastOffset
                }
            }
            var offsets: [Int64] = []
            for try await o in group { offsets.append(o) }
            #expect(offsets.sorted() == Array(0..<50))
        }
        #expect(log.recoveryPoint == 50)
    }

    @Test func aClosedLogAnswersWaitersInsteadOfHanging() async throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: flushEveryMessage())
        let r = try log.appendFromClient(makeBatch(count: 1), now: now, deferFlush: true)
        try log.close(flush: false)
        try await log.makeDurable(upTo: r.lastOffset + 1)
    }
}

/// What a test's `RollFlusher` was given, to run when the test says.
private final class Scheduled: Sendable {
    let works = Mutex<[@Sendable () -> Void]>([])
}

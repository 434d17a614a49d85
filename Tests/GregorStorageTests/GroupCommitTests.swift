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

    @Test func aRollUnderDeferFlushIsReportedNotSynced() async throws {
        let dir = TempDir()
        var config = flushEveryMessage()
        config.flushMessages = Int64.max
        config.segmentBytes = 300
        let (log, _) = try openLog(dir, config: config)
        var requested = false
        var last: Int64 = 0
        for i in 0..<6 {
            let r = try log.appendFromClient(makeBatch(count: 1, firstValue: i, valueSize: 120), now: now + Int64(i), deferFlush: true)
            requested = requested || r.flushRequested
            last = r.lastOffset
        }
        #expect(log.segmentCount > 1)
        #expect(requested)
        #expect(log.recoveryPoint == 0)
        try await log.makeDurable(upTo: last + 1)
        #expect(log.recoveryPoint == 6)
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

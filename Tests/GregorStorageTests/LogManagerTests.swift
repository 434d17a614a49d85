import Foundation
import KafkaProtocol
import NIOCore
import Synchronization
import Testing
@testable import GregorStorage

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let value: Atomic<Int64>
    init(_ start: Int64) { value = Atomic(start) }
    var now: Int64 { value.load(ordering: .relaxed) }
    func advance(by ms: Int64) { value.add(ms, ordering: .relaxed) }
    var function: @Sendable () -> Int64 { { self.now } }
}

private func makeManager(_ dirs: [String], clock: ManualClock = ManualClock(1_000_000), capacity: Int = 4096) -> LogManager {
    LogManager(logDirs: dirs, fileCacheCapacity: capacity, logger: testLogger, clock: clock.function)
}

private func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

private func entries(_ path: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: path).sorted()) ?? [] }

@Suite struct LogManagerTests {
    @Test func cleanShutdownMarkerSkipsRecoveryOnTheNextStart() throws {
        let root = TempDir()
        let dirs = [root.path + "/a", root.path + "/b"]
        do {
            let manager = makeManager(dirs)
            #expect(try manager.startup { _ in LogConfig() }.isEmpty)
            for p in 0..<4 {
                let log = try manager.getOrCreate(TopicPartition("orders", Int32(p)), config: LogConfig())
                _ = try log.append(makeBatch(count: p + 1), now: 0)
            }
            try manager.shutdown()
            for dir in dirs { #expect(FileManager.default.fileExists(atPath: dir + "/" + LogManager.cleanShutdownFile)) }
        }
        let manager = makeManager(dirs)
        let reports = try manager.startup { _ in LogConfig() }
        #expect(reports.count == 4)
        #expect(reports.allSatisfy { $0.segmentsRecovered == 0 && $0.bytesTruncated == 0 })
        #expect(reports.sorted { $0.topicPartition < $1.topicPartition }.map(\.logEndOffset) == [1, 2, 3, 4])
        // The marker vouched for one shutdown only: a crash from here on must recover.
        for dir in dirs { #expect(!FileManager.default.fileExists(atPath: dir + "/" + LogManager.cleanShutdownFile)) }
        #expect(try manager.log(TopicPartition("orders", 3))!.append(makeBatch(count: 1), now: 0).firstOffset == 4)
    }

    @Test func uncleanStartRecoversFromTheRecoveryPoint() throws {
        let root = TempDir()
        var config = LogConfig()
        config.segmentBytes = 400
        let tp = TopicPartition("t", 0)
        let idle = TopicPartition("idle", 0)
        let bases: [Int64]
        let recoveryPoint: Int64
        do {
            let manager = makeManager([root.path])
            try manager.startup { _ in config }
            let log = try manager.getOrCreate(tp, config: config)
            let other = try manager.getOrCreate(idle, config: config)
            for i in 0..<10 { _ = try log.append(makeBatch(count: 2, firstValue: 2 * i, valueSize: 60), now: 0) }
            _ = try other.append(makeBatch(count: 1), now: 0)
            try log.flush()
            try other.flush()
            try manager.checkpoint()
            recoveryPoint = log.recoveryPoint
            for i in 10..<20 { _ = try log.append(makeBatch(count: 2, firstValue: 2 * i, valueSize: 60), now: 0) }
            bases = log.segmentBaseOffsets
            #expect(bases.count > 4)
            // A crash: no flush, no checkpoint, no marker.
            try log.close(flush: false)
            try other.close(flush: false)
        }
        #expect(OffsetCheckpoint.read(root.path + "/" + LogManager.recoveryPointFile) == [tp: 20, idle: 1])
        let manager = makeManager([root.path])
        let reports = Dictionary(uniqueKeysWithValues: try manager.startup { _ in config }.map { ($0.topicPartition, $0) })
        let firstToRecover = bases.last { $0 <= recoveryPoint }!
        #expect(reports[tp]?.segmentsRecovered == bases.filter { $0 >= firstToRecover }.count)
        #expect(reports[tp]!.segmentsRecovered < bases.count)
        #expect(reports[tp]?.logEndOffset == 40 && reports[tp]?.bytesTruncated == 0)
        #expect(reports[idle]?.segmentsRecovered == 1 && reports[idle]?.logEndOffset == 1)
        let got = try records(in: try manager.log(tp)!.read(from: 38, maxBytes: 1 << 20))
        #expect(got.map(\.offset) == [38, 39])
    }

    @Test func checkpointsAreWrittenInKafkasFormatAndReadBack() throws {
        let root = TempDir()
        let manager = makeManager([root.path])
        try manager.startup { _ in LogConfig() }
        let a = try manager.getOrCreate(TopicPartition("orders", 0), config: LogConfig())
        let b = try manager.getOrCreate(TopicPartition("orders", 1), config: LogConfig())
        let c = try manager.getOrCreate(TopicPartition("a-b.c", 3), config: LogConfig())
        _ = try a.append(makeBatch(count: 5), now: 0)
        _ = try b.append(makeBatch(count: 2), now: 0)
        _ = try c.append(makeBatch(count: 7), now: 0)
        try a.flush()
        try c.flush()
        try c.deleteRecords(before: 4)
        try manager.checkpoint()
        // Kafka's OffsetCheckpointFile: version 0, the entry count, then `topic partition offset`.
        #expect(try text(root.path + "/recovery-point-offset-checkpoint") == "0\n3\na-b.c 3 7\norders 0 5\norders 1 0\n")
        #expect(try text(root.path + "/log-start-offset-checkpoint") == "0\n3\na-b.c 3 4\norders 0 0\norders 1 0\n")
        #expect(OffsetCheckpoint.read(root.path + "/log-start-offset-checkpoint")
                == [TopicPartition("a-b.c", 3): 4, TopicPartition("orders", 0): 0, TopicPartition("orders", 1): 0])
        try manager.shutdown()

        // The log start offset survives a restart through its checkpoint.
        let again = makeManager([root.path])
        try again.startup { _ in LogConfig() }
        #expect(again.partitions == [TopicPartition("a-b.c", 3), TopicPartition("orders", 0), TopicPartition("orders", 1)])
        #expect(again.log(TopicPartition("a-b.c", 3))?.logStartOffset == 4)
        #expect(throws: StorageError.self) { _ = try again.log(TopicPartition("a-b.c", 3))!.read(from: 3, maxBytes: 100) }

        // A torn or foreign checkpoint reads as empty rather than as wrong offsets.
        try "0\n2\norders 0 5\n".write(toFile: root.path + "/bad", atomically: false, encoding: .utf8)
        #expect(OffsetCheckpoint.read(root.path + "/bad").isEmpty)
        try "1\n1\norders 0 5\n".write(toFile: root.path + "/bad", atomically: false, encoding: .utf8)
        #expect(OffsetCheckpoint.read(root.path + "/bad").isEmpty)
    }

    @Test func deleteRenamesAtOnceAndRemovesInTheBackground() async throws {
        let root = TempDir()
        let manager = makeManager([root.path])
        try manager.startup { _ in LogConfig() }
        let tp = TopicPartition("doomed", 2)
        let log = try manager.getOrCreate(tp, config: LogConfig())
        _ = try log.append(makeBatch(count: 3), now: 0)
        let inFlight = try log.read(from: 0, maxBytes: 1 << 20).region!
        try manager.delete(tp)
        // Gone from the broker's view at once; the renamed directory (if the background task has
        // not removed it yet) has Kafka's `<topic>-<partition>.<id>-delete` form.
        #expect(manager.log(tp) == nil && !manager.partitions.contains(tp))
        #expect(!FileManager.default.fileExists(atPath: root.path + "/doomed-2"))
        let pattern = try Regex("^doomed-2\\.[0-9a-f]{1,32}-delete$")
        for name in entries(root.path) where name.hasSuffix("-delete") { #expect(name.wholeMatch(of: pattern) != nil, "\(name)") }
        var waited = 0
        while entries(root.path).contains(where: { $0.hasSuffix("-delete") }) && waited < 5000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 10
        }
        #expect(!entries(root.path).contains { $0.hasSuffix("-delete") }, "not removed within 5 s")
        // A fetch already under way still reads the unlinked file.
        #expect(try records(in: ReadResult(region: inFlight, highWatermark: 3, logStartOffset: 0, logEndOffset: 3, lastStableOffset: 3)).count == 3)
        // A closed log refuses further use.
        #expect(throws: StorageError(.closed, path: log.directory)) { _ = try log.append(makeBatch(count: 1), now: 0) }

        // A new partition of the same name starts empty.
        let fresh = try manager.getOrCreate(tp, config: LogConfig())
        #expect(fresh !== log && fresh.logEndOffset == 0 && fresh.logStartOffset == 0)
        #expect(try fresh.read(from: 0, maxBytes: 100).region == nil)
        try manager.checkpoint()
        #expect(OffsetCheckpoint.read(root.path + "/" + LogManager.recoveryPointFile) == [tp: 0])
    }

    @Test func startupRemovesDirectoriesLeftMidDeletion() throws {
        let root = TempDir()
        let leftover = root.path + "/gone-0.0123456789abcdef0123456789abcdef-delete"
        try FileManager.default.createDirectory(atPath: leftover, withIntermediateDirectories: true)
        try "x".write(toFile: leftover + "/00000000000000000000.log", atomically: false, encoding: .utf8)
        let manager = makeManager([root.path])
        #expect(try manager.startup { _ in LogConfig() }.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(manager.partitions.isEmpty)
    }

    @Test func newPartitionsSpreadOverTheLogDirs() throws {
        let root = TempDir()
        let dirs = (0..<3).map { root.path + "/d\($0)" }
        do {
            let manager = makeManager(dirs)
            try manager.startup { _ in LogConfig() }
            for p in 0..<9 { _ = try manager.getOrCreate(TopicPartition("spread", Int32(p)), config: LogConfig()) }
            // Asking again returns the same log, in place.
            let first = manager.log(TopicPartition("spread", 0))
            #expect(try manager.getOrCreate(TopicPartition("spread", 0), config: LogConfig()) === first)
            for dir in dirs { #expect(entries(dir).filter { $0.hasPrefix("spread-") }.count == 3, "\(dir): \(entries(dir))") }
            try manager.shutdown()
        }
        let manager = makeManager(dirs)
        #expect(try manager.startup { _ in LogConfig() }.count == 9)
        #expect(manager.partitions == (0..<9).map { TopicPartition("spread", Int32($0)) })
        // The next new partition goes to a dir holding the fewest.
        _ = try manager.getOrCreate(TopicPartition("spread", 9), config: LogConfig())
        #expect(dirs.filter { entries($0).contains("spread-9") }.count == 1)
    }

    /// flush.ms counts from the last flush (Kafka's `lastFlushTime`), not from the oldest
    /// unflushed append: a log idle past flush.ms is flushed at the first pass after an append.
    @Test func flushMsCountsFromTheLastFlush() throws {
        let root = TempDir()
        let clock = ManualClock(1_000_000)
        var config = LogConfig()
        config.flushMs = 1000
        let manager = makeManager([root.path], clock: clock)
        try manager.startup { _ in config }
        let log = try manager.getOrCreate(TopicPartition("f", 0), config: config)
        try manager.maintenance()
        #expect(log.recoveryPoint == 0)  // nothing to flush, however long ago the last flush
        clock.advance(by: 5000)
        _ = try log.append(makeBatch(count: 2, timestamp: clock.now), now: clock.now)
        #expect(log.recoveryPoint == 0)
        try manager.maintenance()
        #expect(log.recoveryPoint == 2)
        clock.advance(by: 10)
        _ = try log.append(makeBatch(count: 1, timestamp: clock.now), now: clock.now)
        clock.advance(by: 500)
        try manager.maintenance()  // 510 ms after the last flush
        #expect(log.recoveryPoint == 2)
        clock.advance(by: 490)
        try manager.maintenance()  // 1,000 ms after it
        #expect(log.recoveryPoint == 3)
    }

    @Test func maintenanceFlushesPerFlushMsAndAppliesRetention() throws {
        let root = TempDir()
        let clock = ManualClock(1_000_000)
        var config = LogConfig()
        config.flushMs = 1000
        config.retentionMs = 5000
        config.segmentBytes = 300
        let manager = makeManager([root.path], clock: clock)
        try manager.startup { _ in config }
        let tp = TopicPartition("m", 0)
        let log = try manager.getOrCreate(tp, config: config)
        for i in 0..<6 {
            _ = try log.append(makeBatch(count: 2, firstValue: 2 * i, timestamp: clock.now, valueSize: 50), now: clock.now)
            clock.advance(by: 100)
        }
        // Each roll flushed what came before it: only the active segment is unflushed.
        let rolledAt = log.segmentBaseOffsets.last!
        #expect(log.segmentCount > 2 && rolledAt > 0 && log.recoveryPoint == rolledAt)
        clock.advance(by: 300)  // 900 ms after the first append
        try manager.maintenance()
        #expect(log.recoveryPoint == rolledAt)
        clock.advance(by: 600)  // 1,000 ms after the last append, so after the last roll's flush too: flush.ms is due
        try manager.maintenance()
        #expect(log.recoveryPoint == 12)
        #expect(OffsetCheckpoint.read(root.path + "/" + LogManager.recoveryPointFile) == [tp: 12])
        // Nothing is older than retention.ms yet.
        #expect(log.logStartOffset == 0)
        clock.advance(by: 4000)  // the first batches are now 5,500 ms old, the last 5,000 ms
        try manager.maintenance()
        let start = log.logStartOffset
        #expect(start > 0 && start < 12)
        #expect(OffsetCheckpoint.read(root.path + "/" + LogManager.logStartFile) == [tp: start])
        clock.advance(by: 1000)
        try manager.maintenance()
        // Every segment expired: the active one is rolled and all are deleted, as an idle topic ages out.
        #expect(log.logStartOffset == 12 && log.logEndOffset == 12 && log.segmentCount == 1)
        #expect(OffsetCheckpoint.read(root.path + "/" + LogManager.logStartFile) == [tp: 12])
        #expect(try log.append(makeBatch(count: 1, timestamp: clock.now), now: clock.now).firstOffset == 12)
    }

    /// Deletion racing re-creation (found by this test: the new log opened in the directory being
    /// renamed away, and failed with ENOENT on first use).
    @Test func deleteRacingCreateNeverLeavesALogWithoutItsDirectory() async throws {
        let root = TempDir()
        let manager = makeManager([root.path])
        try manager.startup { _ in LogConfig() }
        let tp = TopicPartition("race", 0)
        for _ in 0..<100 {
            _ = try manager.getOrCreate(tp, config: LogConfig()).append(makeBatch(count: 1), now: 0)
            async let deleted: Void = Task.detached { try manager.delete(tp) }.value
            async let created = Task.detached { try manager.getOrCreate(tp, config: LogConfig()) }.value
            let log = try await created
            try await deleted
            if manager.log(tp) === log {
                _ = try log.append(makeBatch(count: 1), now: 0)
                try log.flush()
                #expect(FileManager.default.fileExists(atPath: log.directory))
            }
            try manager.delete(tp)
        }
    }

    /// A reference kept across deletion (a fetch or a replica fetcher) must not reach the files
    /// of the partition re-created under the same name.
    @Test func aDeletedLogsStaleHandleCannotTouchItsSuccessor() throws {
        let root = TempDir()
        let manager = makeManager([root.path])
        try manager.startup { _ in LogConfig() }
        let tp = TopicPartition("reused", 0)
        let old = try manager.getOrCreate(tp, config: LogConfig())
        _ = try old.append(makeBatch(count: 3), now: 0)
        try manager.delete(tp)
        // Unflushed data and renamed files: flushing a closed log is a no-op, not an error.
        try old.flush()
        #expect(!FileManager.default.fileExists(atPath: old.directory))
        let new = try manager.getOrCreate(tp, config: LogConfig())
        _ = try new.append(makeBatch(count: 5, firstValue: 100), now: 0)
        #expect(throws: StorageError(.closed, path: old.directory)) { try old.truncate(to: 0, now: 0) }
        #expect(throws: StorageError(.closed, path: old.directory)) { try old.roll(now: 0) }
        try old.flush()
        #expect(try records(in: try new.read(from: 0, maxBytes: 1 << 20)).map(\.value) == (100..<105).map { "value-\($0)" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: new.directory).sorted()
                == ["00000000000000000000.index", "00000000000000000000.log", "00000000000000000000.timeindex", "leader-epoch-checkpoint"])
    }
}

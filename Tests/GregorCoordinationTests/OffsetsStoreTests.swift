import Foundation
import GregorStorage
import KafkaProtocol
import Logging
import NIOCore
import Testing
@testable import GregorCoordination

/// A temporary log dir for offset store tests, removed when released.
final class OffsetsTempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "gregor-offsets-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

let offsetsTestLogger: Logger = {
    var l = Logger(label: "gregor.offsets.test")
    l.logLevel = .critical
    return l
}()

/// Opens a log manager on `dir` as the broker would, and an offset store loaded from it.
func openOffsetStore(_ dir: OffsetsTempDir, config: OffsetStoreConfig = OffsetStoreConfig(), now: Int64 = 0)
    throws -> (LogManager, OffsetStore, OffsetLoadReport)
{
    let manager = LogManager(logDirs: [dir.path], logger: offsetsTestLogger, clock: { now })
    try manager.startup { _ in config.logConfig }
    let store = OffsetStore(logManager: manager, config: config, logger: offsetsTestLogger)
    let report = try store.load()
    return (manager, store, report)
}

func entry(_ topic: String, _ partition: Int32, _ offset: Int64, epoch: Int32? = nil, metadata: String = "", at ts: Int64 = 0,
           expire: Int64? = nil) -> OffsetCommitEntry {
    OffsetCommitEntry(topic: topic, partition: partition, offset: offset, leaderEpoch: epoch, metadata: metadata,
                      commitTimestamp: ts, expireTimestamp: expire)
}

let tp0 = TopicPartition("orders", 0)
let tp1 = TopicPartition("orders", 1)
let tpX = TopicPartition("audit", 0)

@Suite struct OffsetsStoreTests {
    @Test func commitThenFetch() throws {
        let dir = OffsetsTempDir()
        let (_, store, _) = try openOffsetStore(dir)
        #expect(try store.commit(group: "g", offsets: [entry("orders", 0, 10, epoch: 3, metadata: "m"), entry("orders", 1, 20)], now: 5) == [.none, .none])
        #expect(store.fetch(group: "g", partitions: [tp1, tp0, tpX]) == [
            FetchedOffset(tp1, CommittedOffset(offset: 20, commitTimestamp: 0)),
            FetchedOffset(tp0, CommittedOffset(offset: 10, leaderEpoch: 3, metadata: "m", commitTimestamp: 0)),
            FetchedOffset(tpX, nil),
        ])
        #expect(store.fetch(group: "g", partitions: nil).map(\.topicPartition) == [tp0, tp1])
        #expect(store.fetch(group: "other", partitions: nil).isEmpty)
        #expect(store.groups == ["g"])
        #expect(store.topics(group: "g") == ["orders"])
    }

    @Test func oneBatchPerCommitInTheGroupsPartition() throws {
        let dir = OffsetsTempDir()
        let (manager, store, _) = try openOffsetStore(dir)
        _ = try store.commit(group: "my-group", offsets: [entry("orders", 0, 10), entry("orders", 1, 20), entry("audit", 0, 1)], now: 7)
        #expect(manager.partitions == [TopicPartition("__consumer_offsets", 12)])
        let log = try #require(manager.log(TopicPartition("__consumer_offsets", 12)))
        let read = try log.read(from: 0, maxBytes: 1 << 20)
        var reader = RecordBatchReader(try #require(read.region).read())
        let batch = try #require(try reader.next())
        #expect(try reader.next() == nil)
        #expect(batch.recordCount == 3 && !batch.isTransactional && batch.producerId == -1)
        let first = try #require(try batch.records().first)
        #expect(first.timestamp == 7)
        #expect(first.key == (try OffsetRecords.offsetCommitKey(group: "my-group", tp0)))
        #expect(first.value == (try OffsetRecords.offsetCommitValue(CommittedOffset(offset: 10, commitTimestamp: 0))))
    }

    @Test func overwriteKeepsTheLastCommit() throws {
        let dir = OffsetsTempDir()
        let (_, store, _) = try openOffsetStore(dir)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 10)], now: 1)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 15, at: 2), entry("orders", 0, 17, at: 2)], now: 2)
        #expect(store.committed(group: "g", tp0) == CommittedOffset(offset: 17, commitTimestamp: 2))
    }

    @Test func metadataOverTheLimitIsRefusedPerPartition() throws {
        let dir = OffsetsTempDir()
        let (_, store, _) = try openOffsetStore(dir)
        let long = String(repeating: "a", count: 4097)
        // Kafka counts UTF-16 code units: 2048 emoji are 4096 units (8192 UTF-8 bytes) and pass.
        let emoji = String(repeating: "😀", count: 2048)
        let answer = try store.commit(group: "g", offsets: [
            entry("orders", 0, 1, metadata: long), entry("orders", 1, 2, metadata: emoji),
            entry("audit", 0, 3, metadata: String(repeating: "a", count: 4096)),
        ], now: 0)
        #expect(answer == [.offsetMetadataTooLarge, .none, .none])
        #expect(store.committed(group: "g", tp0) == nil)
        #expect(store.committed(group: "g", tp1)?.metadata == emoji)
        #expect(try store.commit(group: "h", offsets: [entry("orders", 0, 1, metadata: long)], now: 0) == [.offsetMetadataTooLarge])
        #expect(!store.hasOffsets(group: "h"))
    }

    @Test func aFailedAppendCommitsNothing() throws {
        let dir = OffsetsTempDir()
        var config = OffsetStoreConfig()
        config.metadataMaxBytes = 100_000
        let (manager, store, _) = try openOffsetStore(dir, config: config)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 1)], now: 0)
        let log = try #require(manager.log(TopicPartition("__consumer_offsets", config.partition(for: "g"))))
        let end = log.logEndOffset
        // 300 × 4000 bytes is past max.message.bytes (1048588): the one batch is refused whole.
        let big = (0..<300).map { entry("big", Int32($0), 1, metadata: String(repeating: "x", count: 4000)) } + [entry("orders", 0, 99)]
        let error = #expect(throws: OffsetStoreError.self) { try store.commit(group: "g", offsets: big, now: 0) }
        #expect(error?.errorCode == .unknownServerError)
        #expect(log.logEndOffset == end)
        #expect(store.committed(group: "g", tp0)?.offset == 1)
        #expect(store.topics(group: "g") == ["orders"])
    }

    @Test func deleteOffsetsWritesTombstones() throws {
        let dir = OffsetsTempDir()
        let (manager, store, _) = try openOffsetStore(dir)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 10), entry("orders", 1, 20)], now: 0)
        #expect(try store.deleteOffsets(group: "g", partitions: [tp0, tpX, tp0], now: 1) == [tp0])
        #expect(store.fetch(group: "g", partitions: nil) == [FetchedOffset(tp1, CommittedOffset(offset: 20, commitTimestamp: 0))])
        #expect(try store.deleteOffsets(group: "nobody", partitions: [tp0], now: 1).isEmpty)
        // The tombstone is the key with a null value.
        let log = try #require(manager.log(TopicPartition("__consumer_offsets", store.partition(for: "g"))))
        let last = try lastRecord(log)
        #expect(last.key == (try OffsetRecords.offsetCommitKey(group: "g", tp0)))
        #expect(last.value == nil)
    }

    @Test func deleteGroupRemovesEverythingAndTheGroupRecord() throws {
        let dir = OffsetsTempDir()
        let (manager, store, _) = try openOffsetStore(dir)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 10), entry("orders", 1, 20)], now: 0)
        _ = try store.commit(group: "h", offsets: [entry("orders", 0, 5)], now: 0)
        #expect(try store.deleteGroup("g", now: 1) == 2)
        #expect(!store.hasOffsets(group: "g"))
        #expect(store.groups == ["h"])
        let log = try #require(manager.log(TopicPartition("__consumer_offsets", store.partition(for: "g"))))
        let last = try lastRecord(log)
        #expect(last.key == (try OffsetRecords.groupMetadataKey(group: "g")))
        #expect(last.value == nil)
    }

    @Test func deletedTopicsLoseTheirOffsetsInEveryGroup() throws {
        let dir = OffsetsTempDir()
        let (manager, store, _) = try openOffsetStore(dir)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 10), entry("audit", 0, 1)], now: 0)
        _ = try store.commit(group: "my-group", offsets: [entry("orders", 1, 5)], now: 0)
        #expect(try store.deleteTopics(["orders"], now: 1) == 2)
        #expect(store.groups == ["g"])
        #expect(store.topics(group: "g") == ["audit"])
        try manager.shutdown()
        let (_, reopened, _) = try openOffsetStore(dir)
        #expect(reopened.groups == ["g"])
        #expect(reopened.topics(group: "g") == ["audit"])
    }

    @Test func expiryWaitsForRetentionFromCommitTimestamp() throws {
        let dir = OffsetsTempDir()
        let (_, store, _) = try openOffsetStore(dir)
        let retention: Int64 = 1000
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 10, at: 100), entry("orders", 1, 20, at: 600)], now: 600)
        _ = try store.commit(group: "busy", offsets: [entry("orders", 0, 10, at: 100)], now: 600)
        #expect(try store.expire(now: 1099, retentionMs: retention, isEmpty: { _ in true }).isEmpty)
        #expect(try store.expire(now: 1100, retentionMs: retention, isEmpty: { $0 == "g" }).isEmpty)
        #expect(store.fetch(group: "g", partitions: nil).map(\.topicPartition) == [tp1])
        #expect(try store.expire(now: 1600, retentionMs: retention, isEmpty: { $0 == "g" }) == ["g"])
        #expect(!store.hasOffsets(group: "g"))
        // KIP-211: a group with members keeps its offsets however old.
        #expect(store.hasOffsets(group: "busy"))
    }

    @Test func expiryCountsFromWhenTheGroupBecameEmpty() throws {
        let dir = OffsetsTempDir()
        let (_, store, _) = try openOffsetStore(dir)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 10, at: 0)], now: 0)
        #expect(try store.expire(now: 5000, retentionMs: 1000, condition: { _ in .fromEmptySince(4500) }).isEmpty)
        #expect(try store.expire(now: 5000, retentionMs: 1000, condition: { _ in .never }).isEmpty)
        #expect(try store.expire(now: 5500, retentionMs: 1000, condition: { _ in .fromEmptySince(4500) }) == ["g"])
    }

    @Test func explicitExpireTimestampAndSubscribedTopics() throws {
        let dir = OffsetsTempDir()
        let (_, store, _) = try openOffsetStore(dir)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 10, at: 0, expire: 50), entry("audit", 0, 1, at: 0)], now: 0)
        // The v1 expire timestamp wins over the retention, whatever the base.
        #expect(try store.expire(now: 50, retentionMs: 1_000_000, condition: { _ in .fromCommit }).isEmpty)
        #expect(store.fetch(group: "g", partitions: nil).map(\.topicPartition) == [tpX])
        // A consumer-protocol group keeps the offsets of topics it is subscribed to.
        #expect(try store.expire(now: 2_000_000, retentionMs: 1000, condition: { _ in .fromCommit },
                                 isSubscribed: { _, topic in topic == "audit" }).isEmpty)
        #expect(store.hasOffsets(group: "g"))
    }

    @Test func restartGivesTheSameAnswers() throws {
        let dir = OffsetsTempDir()
        let (manager, store, _) = try openOffsetStore(dir)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 10, epoch: 2, metadata: "a"), entry("orders", 1, 20)], now: 0)
        _ = try store.commit(group: "g", offsets: [entry("orders", 0, 11, epoch: 3, metadata: "b", at: 5, expire: 99)], now: 5)
        _ = try store.commit(group: "my-group", offsets: [entry("audit", 0, 1)], now: 5)
        _ = try store.commit(group: "gone", offsets: [entry("audit", 0, 1)], now: 5)
        try store.deleteOffsets(group: "g", partitions: [tp1], now: 6)
        try store.deleteGroup("gone", now: 6)
        let before = store.groups.map { store.fetch(group: $0, partitions: nil) }
        try manager.shutdown()

        let (_, reopened, report) = try openOffsetStore(dir)
        #expect(reopened.groups == ["g", "my-group"])
        #expect(reopened.groups.map { reopened.fetch(group: $0, partitions: nil) } == before)
        #expect(reopened.committed(group: "g", tp0) == CommittedOffset(offset: 11, metadata: "b", commitTimestamp: 5, expireTimestamp: 99))
        #expect(report.offsets == 2)
        #expect(report.skipped == 0)  // the GroupMetadata tombstone is replayed (it deletes nothing here)
        #expect(report.groups == 0)
        #expect(report.unreadable == 0)
        // The reopened store keeps appending to the same logs.
        _ = try reopened.commit(group: "g", offsets: [entry("orders", 0, 12)], now: 7)
        #expect(reopened.committed(group: "g", tp0)?.offset == 12)
    }

    /// A crash leaves no clean-shutdown marker and nothing fsynced: the log is recovered from
    /// the page cache's bytes, a torn trailing write is truncated, and every acknowledged
    /// commit is back.
    @Test func acknowledgedCommitsSurviveAnUncleanStop() throws {
        let dir = OffsetsTempDir()
        let (manager, store, _) = try openOffsetStore(dir)
        for i in 0..<50 { _ = try store.commit(group: "g", offsets: [entry("orders", Int32(i % 3), Int64(i))], now: Int64(i)) }
        let tp = TopicPartition("__consumer_offsets", store.partition(for: "g"))
        let log = try #require(manager.log(tp))
        #expect(log.recoveryPoint == 0)  // nothing flushed
        // Half a batch written when the process died.
        let segment = log.directory + "/00000000000000000000.log"
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        handle.write(Data([0, 0, 0, 0, 0, 0, 0, 99, 0, 0, 0, 80, 0, 0]))
        handle.closeFile()
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/" + LogManager.cleanShutdownFile))

        let (_, reopened, report) = try openOffsetStore(dir)
        #expect(report.records == 50)
        #expect(reopened.fetch(group: "g", partitions: [tp0, tp1, TopicPartition("orders", 2)]).map { $0.committed?.offset } == [48, 49, 47])
    }

    @Test func emptyTopicLoadsAtOnce() throws {
        let dir = OffsetsTempDir()
        let clock = ContinuousClock()
        let start = clock.now
        let (_, store, report) = try openOffsetStore(dir)
        let elapsed = clock.now - start
        #expect(report.partitions == 0 && report.records == 0)
        #expect(store.groups.isEmpty)
        #expect(elapsed < .milliseconds(100))
    }

    /// Load time with many commits; GREGOR_OFFSETS_BENCH=<records> sets how many (default 10k).
    @Test func loadOfManyCommits() throws {
        let total = Int(ProcessInfo.processInfo.environment["GREGOR_OFFSETS_BENCH"] ?? "") ?? 10_000
        let dir = OffsetsTempDir()
        let (manager, store, _) = try openOffsetStore(dir)
        let perCommit = 10
        let writeStart = ContinuousClock.now
        for i in 0..<(total / perCommit) {
            let group = "group-\(i % 200)"
            let offsets = (0..<perCommit).map { entry("topic-\(i % 7)", Int32($0), Int64(i), metadata: "meta", at: Int64(i)) }
            _ = try store.commit(group: group, offsets: offsets, now: Int64(i))
        }
        let writeTime = ContinuousClock.now - writeStart
        let expected = store.groups.map { store.fetch(group: $0, partitions: nil) }
        try manager.shutdown()
        let (_, reopened, report) = try openOffsetStore(dir)
        print("offsets load: \(report.records) records, \(report.batches) batches, \(report.partitions) partitions, "
            + "\(report.offsets) offsets in \(Double(report.elapsedNanoseconds) / 1e6) ms (written in \(writeTime))")
        #expect(report.records == total / perCommit * perCommit)
        #expect(reopened.groups.map { reopened.fetch(group: $0, partitions: nil) } == expected)
    }

    private func lastRecord(_ log: PartitionLog) throws -> Record {
        let read = try log.read(from: 0, maxBytes: 1 << 20)
        var reader = RecordBatchReader(try #require(read.region).read())
        var last: Record?
        while let batch = try reader.next() { last = try batch.records().last }
        return try #require(last)
    }
}

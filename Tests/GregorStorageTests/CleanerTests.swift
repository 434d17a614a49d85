import Foundation
import KafkaProtocol
import NIOCore
import Synchronization
import Testing
@testable import GregorStorage

/// One record as read back from a log.
private struct Stored: Hashable {
    var offset: Int64
    var key: String?
    var value: String?
}

/// A record to append: key and value (nil value: a tombstone).
private typealias KV = (key: String?, value: String?)

private func kvBatch(_ records: [KV], codec: CompressionCodec = .none, timestamp: Int64 = 1_000, producerId: Int64 = -1) -> ByteBuffer {
    var builder = RecordBatchBuilder(compression: codec, producerId: producerId, producerEpoch: producerId >= 0 ? 0 : -1,
                                     baseSequence: producerId >= 0 ? 0 : -1)
    for (i, r) in records.enumerated() {
        builder.append(timestamp: timestamp + Int64(i), key: r.key.map { ByteBuffer(string: $0) }, value: r.value.map { ByteBuffer(string: $0) })
    }
    return try! builder.build()
}

/// Every batch from the log start to the high watermark.
private func batches(_ log: PartitionLog) throws -> [RecordBatch] {
    var out: [RecordBatch] = []
    var next = log.logStartOffset
    let end = log.highWatermark
    while next < end {
        guard let region = try log.read(from: next, maxBytes: 1 << 16).region else { break }
        var reader = RecordBatchReader(try region.read())
        while let batch = try reader.next() {
            #expect(batch.verifyCRC())
            if batch.nextOffset > next { out.append(batch) }
            next = max(next, batch.nextOffset)
        }
    }
    return out
}

private func storedRecords(_ log: PartitionLog) throws -> [Stored] {
    try batches(log).flatMap { b in
        try b.records().map { Stored(offset: $0.offset, key: $0.key.map { String(buffer: $0) }, value: $0.value.map { String(buffer: $0) }) }
    }
}

private func compactConfig(segmentBytes: Int64 = 1 << 20, deleteRetentionMs: Int64 = 10_000) -> LogConfig {
    var config = LogConfig()
    config.cleanupPolicy = .compact
    config.segmentBytes = segmentBytes
    config.indexIntervalBytes = 256
    config.deleteRetentionMs = deleteRetentionMs
    config.retentionMs = -1
    return config
}

private func fileBytes(_ path: String) -> Data { (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data() }

/// A deterministic generator, so a failing sequence can be replayed.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let cleaner = LogCleaner(logger: testLogger)

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

@Suite struct CleanerTests {
    /// Random appends, tombstones and rolls against a model of every record appended: after each
    /// cleaning, every record read is the one appended at its offset, offsets increase, the last
    /// record of each key is the model's latest, the cleaned part holds each key once, and the
    /// active segment's bytes are untouched.
    @Test(arguments: [1, 2, 3])
    func matchesModelOfLatestPerKey(seed: UInt64) throws {
        var rng = SplitMix64(state: seed)
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: compactConfig(segmentBytes: 1500))
        let cleaner = LogCleaner(logger: testLogger)
        var appended: [Int64: Stored] = [:]
        var now: Int64 = 0
        var segmentsCleaned = 0
        let codecs: [CompressionCodec] = [.none, .none, .gzip, .lz4, .zstd, .snappy]
        for step in 0..<160 {
            now += 1
            let count = Int.random(in: 1...4, using: &rng)
            let records: [KV] = (0..<count).map { i in
                let key = "k\(Int.random(in: 0..<12, using: &rng))"
                return (key, Int.random(in: 0..<8, using: &rng) == 0 ? nil : "v\(step)-\(i)")
            }
            let result = try log.append(kvBatch(records, codec: codecs.randomElement(using: &rng)!), now: now)
            for (i, r) in records.enumerated() {
                appended[result.firstOffset + Int64(i)] = Stored(offset: result.firstOffset + Int64(i), key: r.key, value: r.value)
            }
            if Int.random(in: 0..<10, using: &rng) == 0 { try log.roll(now: now) }
            if step % 25 == 24 {
                let activePath = log.state.withLock { $0.active.log.path }
                let activeBefore = fileBytes(activePath)
                let stats = try cleaner.clean(log, now: now)
                #expect(!stats.aborted)
                segmentsCleaned += stats.segmentsCleaned
                #expect(fileBytes(activePath) == activeBefore)
                try check(log, appended: appended, cleanedBelow: stats.endOffset)
            }
        }
        // Reopened, cleanly and not, the log reads the same.
        let before = try storedRecords(log)
        #expect(segmentsCleaned > 0 && before.count < appended.count / 2)
        try log.close(flush: true)
        let (reopened, _) = try openLog(dir, config: compactConfig(segmentBytes: 1500), clean: true)
        #expect(try storedRecords(reopened) == before)
        try reopened.close(flush: false)
        let (recovered, report) = try openLog(dir, config: compactConfig(segmentBytes: 1500))
        #expect(report.bytesTruncated == 0 && report.segmentsDropped == 0)
        #expect(try storedRecords(recovered) == before)
    }

    private func check(_ log: PartitionLog, appended: [Int64: Stored], cleanedBelow end: Int64) throws {
        let read = try storedRecords(log)
        #expect(zip(read, read.dropFirst()).allSatisfy { $0.offset < $1.offset })
        for r in read { #expect(appended[r.offset] == r, "record at \(r.offset) is not the one appended there") }
        // The last record of each key is the latest appended (tombstones are within delete.retention.ms).
        var latest: [String: Stored] = [:]
        for r in appended.values.sorted(by: { $0.offset < $1.offset }) { latest[r.key!] = r }
        var lastRead: [String: Stored] = [:]
        for r in read { lastRead[r.key!] = r }
        #expect(lastRead == latest)
        // Below the cleaned offset, each key once: its latest record below that offset.
        var latestBelow: [String: Int64] = [:]
        for r in appended.values where r.offset < end { latestBelow[r.key!] = max(latestBelow[r.key!] ?? -1, r.offset) }
        let cleaned = read.filter { $0.offset < end }
        #expect(Set(cleaned.map(\.offset)) == Set(latestBelow.values))
    }

    @Test func tombstonesStayUntilTheirDeleteHorizonThenGo() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: compactConfig(deleteRetentionMs: 5_000))
        _ = try log.append(kvBatch([("a", "a1"), ("b", "b1")]), now: 0)
        _ = try log.append(kvBatch([("a", nil)]), now: 0)
        try log.roll(now: 0)
        _ = try log.append(kvBatch([("c", "c1")]), now: 0)

        // The first cleaning keeps the tombstone and stamps its batch (KIP-534).
        try _ = cleaner.clean(log, now: 1_000)
        #expect(try storedRecords(log) == [Stored(offset: 1, key: "b", value: "b1"), Stored(offset: 2, key: "a", value: nil),
                                           Stored(offset: 3, key: "c", value: "c1")])
        let stamped = try batches(log).first { $0.baseOffset == 2 }!
        #expect(stamped.hasDeleteHorizonMs && stamped.deleteHorizonMs == 6_000)
        #expect(try stamped.records().first?.timestamp == 1_000)

        // Before the horizon it stays; at the horizon it goes, and nothing older comes back.
        try _ = cleaner.clean(log, now: 5_999)
        #expect(try storedRecords(log).map(\.offset) == [1, 2, 3])
        let stats = try cleaner.clean(log, now: 6_000)
        #expect(stats.tombstonesRemoved == 1)
        #expect(try storedRecords(log) == [Stored(offset: 1, key: "b", value: "b1"), Stored(offset: 3, key: "c", value: "c1")])
        // The emptied batch ends the cleaned segment, so its header stays and the offsets stay put.
        #expect(log.segmentBaseOffsets == [0, 3])
        #expect(try batches(log).map { [$0.baseOffset, $0.lastOffset, Int64($0.recordCount)] } == [[0, 1, 1], [2, 2, 0], [3, 3, 1]])
    }

    @Test(arguments: [CompressionCodec.gzip, .lz4, .zstd, .snappy])
    func compressedBatchesKeepTheirCodec(codec: CompressionCodec) throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: compactConfig())
        _ = try log.append(kvBatch([("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")], codec: codec), now: 0)
        _ = try log.append(kvBatch([("b", "5"), ("d", nil)], codec: codec, timestamp: 2_000), now: 0)
        try log.roll(now: 0)
        _ = try log.append(kvBatch([("e", "6")], codec: codec), now: 0)
        try _ = cleaner.clean(log, now: 0)
        let all = try batches(log)
        #expect(all.allSatisfy { $0.compression == codec })
        // Kept records keep their offsets; the first batch keeps its offset range (0...3).
        #expect(all.map(\.lastOffset) == [3, 5, 6])
        #expect(try all[0].records().map(\.offsetDelta) == [0, 2])
        #expect(try storedRecords(log) == [
            Stored(offset: 0, key: "a", value: "1"), Stored(offset: 2, key: "c", value: "3"),
            Stored(offset: 4, key: "b", value: "5"), Stored(offset: 5, key: "d", value: nil), Stored(offset: 6, key: "e", value: "6"),
        ])
        #expect(try all[0].records().map(\.timestamp) == [1_000, 1_002])
    }

    @Test func emptiedBatchesOfAProducerKeepTheirHeaderAndSequence() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: compactConfig())
        _ = try log.append(kvBatch([("a", "1"), ("b", "2")], producerId: 7), now: 0)
        _ = try log.append(kvBatch([("c", "x")]), now: 0)
        _ = try log.append(kvBatch([("a", "3"), ("b", "4"), ("c", "y")]), now: 0)
        try log.roll(now: 0)
        _ = try log.append(kvBatch([("z", "0")]), now: 0)
        try _ = cleaner.clean(log, now: 0)
        let all = try batches(log)
        // Producer 7's only batch lost its records but keeps its header (Kafka's RETAIN_EMPTY);
        // the plain batch emptied in the middle goes.
        #expect(all.map(\.baseOffset) == [0, 3, 6])
        #expect(all[0].recordCount == 0 && all[0].producerId == 7 && all[0].lastOffset == 1 && all[0].lastSequence == 1)
        #expect(all[1].lastOffset == 5 && all[1].recordCount == 3)
    }

    /// Aborted transactions' records are discarded (the producer's last batch stays as an empty
    /// header); a marker whose transaction left nothing goes once its delete horizon passed.
    @Test func abortedRecordsGoAndTheirMarkerFollowsAfterTheDeleteHorizon() throws {
        let dir = TempDir()
        var config = compactConfig()
        config.deleteRetentionMs = 1000
        let (log, _) = try openLog(dir, config: config)
        var txn = RecordBatchBuilder(producerId: 3, producerEpoch: 0, baseSequence: 0, isTransactional: true)
        txn.append(timestamp: 0, key: ByteBuffer(string: "a"), value: ByteBuffer(string: "t1"))
        _ = try log.appendFromClient(try txn.build(), now: 0)
        _ = try log.appendMarker(producerId: 3, producerEpoch: 0, committed: false, coordinatorEpoch: 0, now: 0)
        _ = try log.append(kvBatch([("a", "x"), ("a", "y")]), now: 0)
        try log.roll(now: 0)
        _ = try log.append(kvBatch([("z", "0")]), now: 0)
        try _ = cleaner.clean(log, now: 0)
        var all = try batches(log)
        #expect(all.map(\.baseOffset) == [0, 1, 2, 4])
        #expect(all[0].isTransactional && all[0].recordCount == 0)
        #expect(all[1].isControl && all[1].deleteHorizonMs == 1000)
        #expect(try all[2].records().map(\.offset) == [3])
        try _ = cleaner.clean(log, now: 999)
        #expect(try batches(log).map(\.baseOffset) == [0, 1, 2, 4])
        #expect(log.abortedTransactions(from: 0, upTo: 5).map(\.lastOffset) == [1])
        try _ = cleaner.clean(log, now: 1000)
        all = try batches(log)
        #expect(all.map(\.baseOffset) == [0, 2, 4])
        // With its marker gone, the abort is no longer reported: a consumer would otherwise skip
        // the producer's later records waiting for a marker that never comes.
        #expect(log.abortedTransactions(from: 0, upTo: 5).isEmpty)
        // A read_committed reader still skips nothing it should see.
        #expect(try log.read(from: 0, maxBytes: 1 << 20, readCommitted: true).region != nil)
    }

    /// A committed transaction's records are compacted like any others, and its marker stays
    /// while one of them does. Nothing at or past an open transaction is cleaned.
    @Test func committedTransactionsAreCompactedAndOpenOnesWait() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: compactConfig())
        func txn(_ pid: Int64, _ records: [(String, String)], sequence: Int32 = 0) throws -> ByteBuffer {
            var b = RecordBatchBuilder(producerId: pid, producerEpoch: 0, baseSequence: sequence, isTransactional: true)
            for (k, v) in records { b.append(timestamp: 0, key: ByteBuffer(string: k), value: ByteBuffer(string: v)) }
            return try b.build()
        }
        _ = try log.appendFromClient(try txn(5, [("a", "1"), ("b", "1")]), now: 0)       // 0-1
        _ = try log.appendMarker(producerId: 5, producerEpoch: 0, committed: true, coordinatorEpoch: 0, now: 0)  // 2
        _ = try log.append(kvBatch([("a", "2")]), now: 0)                                  // 3
        try log.roll(now: 0)
        _ = try log.appendFromClient(try txn(6, [("b", "2")]), now: 0)                    // 4, open
        try log.roll(now: 0)
        _ = try log.append(kvBatch([("z", "0")]), now: 0)                                  // 5
        try _ = cleaner.clean(log, now: 0)
        // "a"=1 is superseded by "a"=2; "b"=1 stays (the open transaction's "b"=2 is not mapped).
        #expect(try storedRecords(log).map(\.offset) == [1, 2, 3, 4, 5])
        #expect(try batches(log).first { $0.isControl }?.deleteHorizonMs == nil)
        #expect(cleaner.firstDirtyOffset(of: log) == 4)
    }

    @Test func keylessRecordsAreKept() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: compactConfig())
        _ = try log.append(kvBatch([(nil, "n1"), ("a", "1"), (nil, "n2"), ("a", "2")]), now: 0)
        try log.roll(now: 0)
        try _ = cleaner.clean(log, now: 0)
        #expect(try storedRecords(log).map(\.offset) == [0, 2, 3])
    }

    /// A map too small for the dirty part cleans up to where it reaches; later cleanings go on.
    @Test func smallOffsetMapCleansInSeveralPasses() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: compactConfig(segmentBytes: 4_000))
        let small = LogCleaner(offsetMapMemory: 4096, logger: testLogger)
        for round in 0..<3 {
            for k in stride(from: 0, to: 300, by: 10) {
                _ = try log.append(kvBatch((k..<k + 10).map { ("key-\($0)", "r\(round)") }), now: 0)
            }
        }
        try log.roll(now: 0)
        let end = log.logEndOffset
        var passes = 0
        while (small.firstDirtyOffset(of: log) ?? 0) < end {
            let stats = try small.clean(log, now: 0)
            #expect(stats.endOffset > stats.firstDirtyOffset)
            passes += 1
        }
        #expect(passes > 1)
        let read = try storedRecords(log)
        #expect(read.count == 300 && read.allSatisfy { $0.value == "r2" })
    }

    @Test func cleanDirtiestHonoursTheDirtyRatio() throws {
        let dirA = TempDir()
        let dirB = TempDir()
        var config = compactConfig()
        config.minCleanableDirtyRatio = 0.5
        let (a, _) = try openLog(dirA, config: config)
        let (b, _) = try openLog(dirB, config: config)
        let cleaner = LogCleaner(logger: testLogger)
        for log in [a, b] {
            _ = try log.append(kvBatch([("k", "1")]), now: 0)
            try log.roll(now: 0)
        }
        _ = try b.append(kvBatch([("k", "2")]), now: 0)
        try b.roll(now: 0)
        #expect(try cleaner.clean(a, now: 0).segmentsCleaned == 1)
        _ = try a.append(kvBatch([("k", "3")]), now: 0)  // active: not cleanable
        // a is all clean, b all dirty.
        #expect(try cleaner.cleanableRatio(of: a) == 0 && cleaner.cleanableRatio(of: b) == 1)
        let stats = cleaner.cleanDirtiest(logs: [a, b], now: 0)
        #expect(stats?.segmentsCleaned == 2 && stats?.segmentsWritten == 1)
        #expect(try storedRecords(b).map(\.value) == ["2"])
        #expect(cleaner.cleanDirtiest(logs: [a, b], now: 0) == nil)
        // Not a compacted topic: never picked.
        config.cleanupPolicy = .delete
        b.update(config: config)
        _ = try b.append(kvBatch([("k", "3")]), now: 0)
        try b.roll(now: 0)
        #expect(cleaner.cleanDirtiest(logs: [b], now: 0) == nil)
    }

    /// The swap gives up when retention or truncation changed the segments meanwhile.
    @Test func swapChecksTheSegmentsAreUnchanged() throws {
        let dir = TempDir()
        var config = compactConfig()
        config.cleanupPolicy = [.compact, .delete]
        config.retentionMs = 1_000
        let (log, _) = try openLog(dir, config: config)
        _ = try log.append(kvBatch([("a", "1")], timestamp: 0), now: 0)
        try log.roll(now: 0)
        _ = try log.append(kvBatch([("a", "2")], timestamp: 5_000), now: 0)
        let view = try #require(try log.compactionView())
        #expect(view.cleanable.count == 1)
        #expect(try log.applyRetention(now: 2_000) == 1)
        #expect(try log.replaceSegments(view.cleanable, withCleaned: 0, transactions: CleanedTransactions()) == false)
        #expect(try storedRecords(log).map(\.value) == ["2"])
    }

    /// Reads and appends go on while the cleaner works; every read sees records as appended.
    @Test func readsAndAppendsDuringCleaning() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: compactConfig(segmentBytes: 8_000))
        let cleaner = LogCleaner(logger: testLogger)
        @Sendable func batch(_ i: Int, _ codec: CompressionCodec = .none) -> ByteBuffer {
            kvBatch([("k\(i % 40)", "v\(i)"), ("k\((i + 7) % 40)", "w\(i)")], codec: codec)
        }
        for i in 0..<600 { _ = try log.append(batch(i, i % 2 == 0 ? .lz4 : .none), now: 0) }
        try log.roll(now: 0)
        // Threads of their own: the cooperative pool may have fewer threads than there are tasks.
        let done = Flag()
        let reads = Counter()
        let appends = Counter()
        let failures = Mutex<[String]>([])
        let workers = DispatchGroup()
        DispatchQueue.global().async(group: workers) {
            while !done.value.load(ordering: .sequentiallyConsistent) {
                do {
                    for r in try storedRecords(log) where r.value != (r.offset % 2 == 0 ? "v\(r.offset / 2)" : "w\(r.offset / 2)") {
                        failures.withLock { $0.append("offset \(r.offset) read \(r.value ?? "null")") }
                    }
                } catch { failures.withLock { $0.append("read: \(error)") } }
                reads.value.add(1, ordering: .sequentiallyConsistent)
            }
        }
        DispatchQueue.global().async(group: workers) {
            while !done.value.load(ordering: .sequentiallyConsistent) {
                let i = 600 + appends.value.load(ordering: .sequentiallyConsistent)
                do { _ = try log.append(batch(i), now: 0) } catch { failures.withLock { $0.append("append: \(error)") } }
                appends.value.add(1, ordering: .sequentiallyConsistent)
            }
        }
        while reads.value.load(ordering: .sequentiallyConsistent) == 0 || appends.value.load(ordering: .sequentiallyConsistent) == 0 {
            usleep(100)
        }
        var cleaned = 0
        for _ in 0..<3 { cleaned += try cleaner.clean(log, now: 0).segmentsCleaned }
        let readsDuring = reads.value.load(ordering: .sequentiallyConsistent)
        done.value.store(true, ordering: .sequentiallyConsistent)
        workers.wait()
        #expect(cleaned > 0 && readsDuring > 1)
        #expect(failures.withLock { $0 } == [])
        let read = try storedRecords(log)
        #expect(zip(read, read.dropFirst()).allSatisfy { $0.offset < $1.offset })
        #expect(read.last?.offset == log.logEndOffset - 1)
    }

    /// A crash in the middle of a swap is finished at the next open (Kafka's LogLoader).
    @Test func interruptedSwapIsCompletedOnOpen() throws {
        let fm = FileManager.default
        let dir = TempDir()
        let path = dir.path + "/t-0"
        let config = compactConfig()
        do {
            let (log, _) = try openLog(dir, config: compactConfig(segmentBytes: 400))
            for i in 0..<30 { _ = try log.append(kvBatch([("k\(i % 5)", "v\(i)")]), now: 0) }
            try log.close(flush: true)
        }
        let before = TempDir()
        try fm.copyItem(atPath: path, toPath: before.path + "/t-0")
        let (log, _) = try openLog(dir, config: config, clean: true)
        let original = try storedRecords(log)
        let stats = try cleaner.clean(log, now: 0)
        #expect(stats.segmentsWritten == 1 && stats.segmentsCleaned > 1)
        let cleaned = try storedRecords(log)
        try log.close(flush: true)
        let name = Segment.name(0, ".log")

        // Crashed after .cleaned → .swap, with one old segment already renamed to .deleted.
        let crashed = TempDir()
        try fm.copyItem(atPath: before.path + "/t-0", toPath: crashed.path + "/t-0")
        try fm.copyItem(atPath: path + "/" + name, toPath: crashed.path + "/t-0/" + name + ".swap")
        try fm.copyItem(atPath: path + "/" + Segment.name(0, ".index"), toPath: crashed.path + "/t-0/" + Segment.name(0, ".index") + ".swap")
        try fm.moveItem(atPath: crashed.path + "/t-0/" + name, toPath: crashed.path + "/t-0/" + name + ".deleted")
        let (recovered, report) = try openLog(crashed, config: config, clean: true)
        #expect(report.segmentsRecovered == 1)
        #expect(try storedRecords(recovered) == cleaned)
        #expect(try fm.contentsOfDirectory(atPath: crashed.path + "/t-0").allSatisfy { !$0.hasSuffix(".swap") && !$0.hasSuffix(".deleted") })

        // Crashed before the log file became .swap: the orphan index .swap goes, the old log stays.
        let early = TempDir()
        try fm.copyItem(atPath: before.path + "/t-0", toPath: early.path + "/t-0")
        try fm.copyItem(atPath: path + "/" + Segment.name(0, ".index"), toPath: early.path + "/t-0/" + Segment.name(0, ".index") + ".swap")
        try fm.copyItem(atPath: path + "/" + name, toPath: early.path + "/t-0/" + name + ".cleaned")
        let (untouched, _) = try openLog(early, config: config, clean: true)
        #expect(try storedRecords(untouched) == original)
        #expect(try fm.contentsOfDirectory(atPath: early.path + "/t-0").allSatisfy { !$0.hasSuffix(".swap") && !$0.hasSuffix(".cleaned") })
    }
}

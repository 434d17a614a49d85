#if canImport(Glibc)
import Glibc
#endif
import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import GregorStorage

/// SplitMix64, seeded, so a failing sequence replays from its seed.
struct ModelRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
}

/// What the log should hold: every batch still on disk (from the first segment's base), and the
/// three offsets. Segment boundaries are read from the log; the model predicts what depends on them.
struct LogModel {
    struct Batch {
        var base: Int64
        var records: [(value: String, timestamp: Int64)]
        var size: Int
        var last: Int64 { base + Int64(records.count) - 1 }
        var maxTimestamp: Int64 { records.map(\.timestamp).max()! }
    }

    var batches: [Batch] = []
    var logStartOffset: Int64 = 0
    var logEndOffset: Int64 = 0
    var highWatermark: Int64 = 0
    var highWatermarkFollowsAppends = true

    /// Index of the batch holding `offset` (or the first after it).
    func batchIndex(holding offset: Int64) -> Int? { batches.firstIndex { $0.last >= offset } }

    func batches(inSegment i: Int, of bases: [Int64]) -> ArraySlice<Batch> {
        let end = i + 1 < bases.count ? bases[i + 1] : Int64.max
        let lo = batches.firstIndex { $0.base >= bases[i] } ?? batches.count
        let hi = batches.firstIndex { $0.base >= end } ?? batches.count
        return batches[lo..<max(lo, hi)]
    }

    mutating func drop(below base: Int64) { batches.removeAll { $0.base < base } }
    mutating func drop(from offset: Int64) { batches.removeAll { $0.base >= offset } }
}

struct ModelMismatch: Error, CustomStringConvertible {
    let description: String
}

/// One random run: a log, its model, and the operations applied so far (for the failure message).
final class ModelRun {
    let seed: UInt64
    var rng: ModelRandom
    let dir = TempDir()
    let cache = FileCache(capacity: 8)  // the minimum: every few operations evict and reopen files
    var log: PartitionLog
    var model = LogModel()
    var config = LogConfig()
    var now: Int64 = 1_000_000
    var nextValue = 0
    var step = 0
    var trace: [String] = []

    var partitionDir: String { dir.path + "/t-0" }

    init(seed: UInt64) throws {
        self.seed = seed
        rng = ModelRandom(seed: seed)
        config.segmentBytes = 2000
        config.indexIntervalBytes = 100
        config.retentionMs = -1
        log = try PartitionLog.open(TopicPartition("t", 0), directory: dir.path + "/t-0", config: config, cache: cache,
                                    logger: testLogger, now: now).0
    }

    func check(_ condition: Bool, _ what: @autoclosure () -> String) throws {
        guard !condition else { return }
        throw ModelMismatch(description: "seed \(seed), step \(step): \(what())\nlast operations:\n  "
            + trace.suffix(12).joined(separator: "\n  "))
    }

    func run(steps: Int) throws {
        try checkInvariants()
        for s in 0..<steps {
            step = s
            now += Int64(rng.int(0...40))
            let dice = rng.int(0...99)
            switch dice {
            case 0..<34: try append()
            case 34..<56: try read()
            case 56..<63: try offsetForTimestamp()
            case 63..<66: try roll()
            case 66..<69: try reopen(clean: true)
            case 69..<73: try reopen(clean: false)
            case 73..<77: try truncate()
            case 77..<81: try deleteRecords()
            case 81..<87: try retention()
            case 87..<92: try updateConfig()
            case 92..<96: try updateHighWatermark()
            default: try flush()
            }
            try checkInvariants()
        }
        try scanAll()
    }

    // MARK: operations

    func append() throws {
        let batchCount = rng.chance(15) ? rng.int(2...8) : 1
        var buffer = ByteBuffer()
        var appended: [LogModel.Batch] = []
        var base = model.logEndOffset
        for _ in 0..<batchCount {
            let count = rng.chance(25) ? 1 : rng.int(1...20)
            let codec: CompressionCodec = rng.chance(10) ? .gzip : rng.chance(5) ? .lz4 : .none
            var builder = RecordBatchBuilder(compression: codec)
            var records: [(value: String, timestamp: Int64)] = []
            var ts = now + Int64(rng.int(-30...5))
            for _ in 0..<count {
                // Mostly non-decreasing, sometimes a step back (clock skew between producers).
                ts += rng.chance(10) ? -Int64(rng.int(0...50)) : Int64(rng.int(0...3))
                ts = max(ts, 0)
                let value = "v\(nextValue)." + String(repeating: "x", count: rng.chance(5) ? rng.int(200...900) : rng.int(0...60))
                nextValue += 1
                builder.append(timestamp: ts, key: nil, value: ByteBuffer(string: value))
                records.append((value, ts))
            }
            let bytes = try builder.build()
            appended.append(.init(base: base, records: records, size: bytes.readableBytes))
            base += Int64(count)
            buffer.writeImmutableBuffer(bytes)
        }
        trace.append("append \(appended.map { $0.records.count }) at \(now)")
        let bases = log.segmentBaseOffsets
        let activeSize = model.batches(inSegment: bases.count - 1, of: bases).reduce(0) { $0 + $1.size }
        let result = try log.append(buffer, now: now)
        try check(result.firstOffset == model.logEndOffset && result.lastOffset == base - 1,
                  "append got \(result.firstOffset)...\(result.lastOffset), expected \(model.logEndOffset)...\(base - 1)")
        if activeSize > 0 && Int64(activeSize + buffer.readableBytes) > config.segmentBytes {
            try check(log.segmentBaseOffsets.last == result.firstOffset, "a full segment (\(activeSize) bytes) did not roll")
        }
        model.batches += appended
        model.logEndOffset = base
        if model.highWatermarkFollowsAppends { model.highWatermark = base }
    }

    func randomOffset() -> Int64 {
        switch rng.int(0...9) {
        case 0: return model.logStartOffset - Int64(rng.int(1...5))
        case 1: return model.logEndOffset + Int64(rng.int(1...5))
        case 2: return model.logEndOffset
        default:
            return model.logStartOffset + Int64(rng.int(0...Int(max(0, model.logEndOffset - model.logStartOffset))))
        }
    }

    func read() throws {
        let offset = randomOffset()
        let maxBytes = rng.chance(20) ? 1 << 20 : rng.int(1...3000)
        trace.append("read \(offset) max \(maxBytes)")
        try checkRead(offset: offset, maxBytes: maxBytes)
    }

    /// Reads at `offset` and checks the answer against the model; returns the next offset to read.
    @discardableResult
    func checkRead(offset: Int64, maxBytes: Int) throws -> Int64? {
        let m = model
        guard offset >= m.logStartOffset, offset <= m.logEndOffset else {
            do {
                _ = try log.read(from: offset, maxBytes: maxBytes)
                try check(false, "read at \(offset) outside [\(m.logStartOffset), \(m.logEndOffset)] did not throw")
            } catch let error as StorageError {
                try check(error.kind == .offsetOutOfRange(requested: offset, logStart: m.logStartOffset, logEnd: m.logEndOffset),
                          "read at \(offset) threw \(error)")
            }
            return nil
        }
        let result = try log.read(from: offset, maxBytes: maxBytes)
        try check(result.highWatermark == m.highWatermark && result.logStartOffset == m.logStartOffset
                  && result.logEndOffset == m.logEndOffset, "read result offsets \(result)")
        guard offset < m.highWatermark else {
            try check(result.region == nil, "read at \(offset) at or above the high watermark \(m.highWatermark) returned data")
            return nil
        }
        guard let region = result.region else {
            try check(false, "read at \(offset) below the high watermark \(m.highWatermark) returned nothing")
            return nil
        }
        var reader = RecordBatchReader(try region.read())
        var i = m.batchIndex(holding: offset)!
        var total = 0
        var count = 0
        while let batch = try reader.next() {
            try check(i < m.batches.count, "read returned a batch past the model's end")
            let expected = m.batches[i]
            try check(batch.baseOffset == expected.base && batch.verifyCRC(),
                      "read at \(offset): batch \(count) starts at \(batch.baseOffset), expected \(expected.base)")
            try check(expected.last < m.highWatermark, "read returned batch \(expected.base)...\(expected.last) past the high watermark \(m.highWatermark)")
            let records = try batch.records()
            try check(records.map(\.offset) == Array(expected.base...expected.last)
                      && records.map { String(buffer: $0.value!) } == expected.records.map(\.value)
                      && records.map(\.timestamp) == expected.records.map(\.timestamp),
                      "batch \(expected.base) contents differ from the model")
            total += batch.sizeInBytes
            count += 1
            i += 1
        }
        try check(total == region.length, "region of \(region.length) bytes held \(total) bytes of batches")
        try check(count == 1 || total <= maxBytes, "read returned \(count) batches, \(total) bytes, over maxBytes \(maxBytes)")
        // Within one segment, the read stops only where the next batch would not fit or is not committed.
        let bases = log.segmentBaseOffsets
        if i < m.batches.count {
            let next = m.batches[i]
            let lastBase = m.batches[i - 1].base
            let sameSegment = bases.last(where: { $0 <= next.base }) == bases.last(where: { $0 <= lastBase })
            if sameSegment && next.last < m.highWatermark {
                try check(total + next.size > maxBytes, "read stopped at \(next.base) with \(total) of \(maxBytes) bytes used")
            }
        }
        return m.batches[i - 1].last + 1
    }

    func offsetForTimestamp() throws {
        let timestamps = model.batches.flatMap { $0.records.map(\.timestamp) }
        let target = Int64(rng.int(Int(timestamps.min() ?? now) - 5...Int(timestamps.max() ?? now) + 5))
        trace.append("offsetForTimestamp \(target)")
        var expected: (offset: Int64, timestamp: Int64)?
        search: for b in model.batches {
            for (j, r) in b.records.enumerated() where b.base + Int64(j) >= model.logStartOffset && r.timestamp >= target {
                expected = (b.base + Int64(j), r.timestamp)
                break search
            }
        }
        if let e = expected, e.offset >= model.highWatermark { expected = nil }
        let got = try log.offset(forTimestamp: target)
        try check(got?.offset == expected?.offset && got?.timestamp == expected?.timestamp,
                  "offset(forTimestamp: \(target)) = \(String(describing: got)), expected \(String(describing: expected))")
        // KIP-734: the largest timestamp of the segments still holding offsets at or above the log start.
        let bases = log.segmentBaseOffsets
        var best: (timestamp: Int64, offset: Int64)?
        for i in bases.indices {
            var segmentMax: (timestamp: Int64, offset: Int64)?
            for b in model.batches(inSegment: i, of: bases) where segmentMax == nil || b.maxTimestamp > segmentMax!.timestamp {
                segmentMax = (b.maxTimestamp, b.last)
            }
            if let s = segmentMax, s.offset >= model.logStartOffset, best == nil || s.timestamp > best!.timestamp {
                // KAFKA-16310: the first record at or above the log start holding that timestamp.
                let exact = model.batches(inSegment: i, of: bases).lazy.flatMap { b in
                    b.records.indices.map { (offset: b.base + Int64($0), timestamp: b.records[$0].timestamp) }
                }.first { $0.offset >= model.logStartOffset && $0.timestamp == s.timestamp }
                best = exact.map { (s.timestamp, $0.offset) } ?? (s.timestamp, -1)
            }
        }
        if best?.offset == -1 { best = nil }
        let max = log.maxTimestampAndOffset
        try check(max?.timestamp == best?.timestamp && max?.offset == best?.offset,
                  "maxTimestampAndOffset = \(String(describing: max)), expected \(String(describing: best))")
    }

    func roll() throws {
        trace.append("roll")
        let before = log.segmentBaseOffsets
        try log.roll(now: now)
        let activeEmpty = model.batches(inSegment: before.count - 1, of: before).isEmpty
        try check(log.segmentBaseOffsets == (activeEmpty ? before : before + [model.logEndOffset]), "roll: segments \(log.segmentBaseOffsets)")
    }

    func reopen(clean: Bool) throws {
        enum Damage { case none, torn, corrupt, zeros }
        let bases = log.segmentBaseOffsets
        let recoveryPoint = log.recoveryPoint
        var damage = Damage.none
        var expectedTruncated: Int64 = 0
        try log.close(flush: clean)
        if !clean {
            let lastPath = partitionDir + "/" + Segment.name(bases.last!, ".log")
            let lastBatch = model.batches(inSegment: bases.count - 1, of: bases).last
            let size = Int64(try OpenFile(path: lastPath, create: false).size())
            switch rng.int(0...3) {
            case 1 where lastBatch != nil:
                damage = .torn
                let cut = Int64(rng.int(1...(lastBatch!.size - 1)))
                guard Glibc.truncate(lastPath, off_t(size - cut)) == 0 else { throw ModelMismatch(description: "truncate failed") }
                expectedTruncated = Int64(lastBatch!.size) - cut
            case 2 where lastBatch != nil:
                damage = .corrupt
                let at = size - Int64(lastBatch!.size) + Int64(RecordBatch.headerSize + rng.int(0...(lastBatch!.size - RecordBatch.headerSize - 1)))
                let file = try OpenFile(path: lastPath, create: false)
                var byte = try file.read(at: at, length: 1)
                let flipped = byte.readInteger(as: UInt8.self)! ^ 0x5A
                try file.write(ByteBuffer(bytes: [flipped]), at: at)
                expectedTruncated = Int64(lastBatch!.size)
            case 3:
                damage = .zeros
                let n = rng.int(1...100)
                try OpenFile(path: lastPath, create: false).write(ByteBuffer(repeating: 0, count: n), at: size)
                expectedTruncated = Int64(n)
            default:
                break
            }
        }
        trace.append("reopen \(clean ? "clean" : "unclean") recoveryPoint \(recoveryPoint) damage \(damage)")
        let (reopened, report) = try PartitionLog.open(
            TopicPartition("t", 0), directory: partitionDir, config: config, cache: cache, logger: testLogger,
            recoveryPoint: recoveryPoint, logStartOffset: model.logStartOffset, cleanShutdown: clean, now: now)
        log = reopened
        if damage == .torn || damage == .corrupt {
            model.batches.removeLast()
            model.logEndOffset = model.batches.last?.last.advanced(by: 1) ?? bases.last!
        }
        let firstToRecover = bases.last(where: { $0 <= recoveryPoint }) ?? bases[0]
        try check(report.segmentsRecovered == (clean ? 0 : bases.filter { $0 >= firstToRecover }.count)
                  && report.bytesTruncated == expectedTruncated && report.segmentsDropped == 0
                  && report.logEndOffset == model.logEndOffset && report.segments == bases.count,
                  "reopen report \(report), expected \(expectedTruncated) bytes truncated, end \(model.logEndOffset)")
        model.logStartOffset = min(model.logStartOffset, model.logEndOffset)
        model.highWatermark = model.logEndOffset
        model.highWatermarkFollowsAppends = true
        try scanAll()
    }

    func truncate() throws {
        let offset = max(0, model.logStartOffset - 3) + Int64(rng.int(0...Int(model.logEndOffset - max(0, model.logStartOffset - 3)) + 2))
        trace.append("truncate to \(offset)")
        var bases = log.segmentBaseOffsets
        try log.truncate(to: offset, now: now)
        guard offset < model.logEndOffset else { return }
        while bases.count > 1, bases.last! >= offset { bases.removeLast() }
        if bases[0] >= offset {
            // As Kafka's truncateFullyAndStartAt: every record goes and the log restarts at `offset`.
            model.batches = []
            model.logEndOffset = offset
        } else {
            // As Kafka's LogSegment.truncateTo: the batch holding `offset` goes whole.
            let cut = model.batches[model.batchIndex(holding: offset)!].base
            model.drop(from: cut)
            model.logEndOffset = cut
        }
        model.highWatermark = min(model.highWatermark, model.logEndOffset)
        model.logStartOffset = min(model.logStartOffset, model.logEndOffset)
        try scanAll()
    }

    func deleteRecords() throws {
        let offset = model.logStartOffset - 2 + Int64(rng.int(0...Int(model.highWatermark - model.logStartOffset) + 4))
        trace.append("deleteRecords before \(offset)")
        guard offset >= 0, offset <= model.highWatermark else {
            do {
                _ = try log.deleteRecords(before: offset)
                try check(false, "deleteRecords(before: \(offset)) past the high watermark \(model.highWatermark) did not throw")
            } catch is StorageError {}
            return
        }
        model.logStartOffset = max(model.logStartOffset, offset)
        let got = try log.deleteRecords(before: offset)
        try check(got == model.logStartOffset, "deleteRecords returned \(got), expected \(model.logStartOffset)")
    }

    /// Predicts which segments retention deletes (Kafka's rules: oldest first, whole segments,
    /// never past the high watermark), then checks the log deleted exactly those.
    func retention() throws {
        trace.append("retention at \(now) (ms \(config.retentionMs), bytes \(config.retentionBytes))")
        var bases = log.segmentBaseOffsets
        func size(_ i: Int) -> Int64 { Int64(model.batches(inSegment: i, of: bases).reduce(0) { $0 + $1.size }) }
        func expired(_ i: Int) -> Bool {
            guard config.retentionMs >= 0 else { return false }
            let newest = model.batches(inSegment: i, of: bases).map(\.maxTimestamp).max()
                ?? FS.mtimeMs(partitionDir + "/" + Segment.name(bases[i], ".log"))!
            return now - newest > config.retentionMs
        }
        if size(bases.count - 1) > 0, model.logEndOffset <= model.highWatermark, bases.indices.allSatisfy(expired) {
            bases.append(model.logEndOffset)
        }
        var total = bases.indices.reduce(0) { $0 + size($1) }
        var deleted = 0
        while bases.count > 1, bases[1] <= model.highWatermark {
            let tooBig = config.retentionBytes >= 0 && total - size(0) >= config.retentionBytes
            guard bases[1] <= model.logStartOffset || tooBig || expired(0) else { break }
            total -= size(0)
            bases.removeFirst()
            deleted += 1
        }
        let got = try log.applyRetention(now: now)
        try check(got == deleted && log.segmentBaseOffsets == bases,
                  "retention deleted \(got), segments \(log.segmentBaseOffsets); expected \(deleted), \(bases)")
        model.drop(below: bases[0])
        model.logStartOffset = max(model.logStartOffset, bases[0])
    }

    func updateConfig() throws {
        var c = config
        c.segmentBytes = rng.chance(15) ? 1 << 20 : Int64(rng.int(200...4000))
        c.indexIntervalBytes = rng.int(1...600)
        c.segmentIndexBytes = rng.chance(30) ? rng.int(8...200) : 10 * 1024 * 1024
        c.segmentMs = rng.chance(20) ? Int64(rng.int(50...2000)) : LogConfig().segmentMs
        c.retentionMs = rng.chance(50) ? -1 : Int64(rng.int(100...3000))
        c.retentionBytes = rng.chance(50) ? -1 : Int64(rng.int(300...6000))
        c.flushMessages = rng.chance(20) ? Int64(rng.int(1...50)) : Int64.max
        trace.append("config segment.bytes \(c.segmentBytes) index.interval \(c.indexIntervalBytes) index.bytes \(c.segmentIndexBytes)"
            + " segment.ms \(c.segmentMs) retention \(c.retentionMs) ms / \(c.retentionBytes) B flush.messages \(c.flushMessages)")
        config = c
        log.update(config: c)
    }

    func updateHighWatermark() throws {
        // Replication moves the high watermark to batch boundaries only.
        let candidates = model.batches.map(\.base).filter { $0 >= model.logStartOffset } + [model.logEndOffset]
        let hw = candidates[rng.int(0...(candidates.count - 1))]
        trace.append("updateHighWatermark \(hw)")
        log.setHighWatermarkMode(.replicated)
        log.updateHighWatermark(hw)
        model.highWatermark = min(max(hw, model.logStartOffset), model.logEndOffset)
        model.highWatermarkFollowsAppends = false
    }

    func flush() throws {
        trace.append("flush")
        try log.flush()
        try check(log.recoveryPoint == model.logEndOffset, "after flush the recovery point is \(log.recoveryPoint)")
    }

    // MARK: checks

    func checkInvariants() throws {
        let m = model
        try check(log.logEndOffset == m.logEndOffset && log.logStartOffset == m.logStartOffset && log.highWatermark == m.highWatermark,
                  "offsets: log start \(log.logStartOffset) end \(log.logEndOffset) hw \(log.highWatermark); model \(m.logStartOffset) \(m.logEndOffset) \(m.highWatermark)")
        try check(log.recoveryPoint <= m.logEndOffset, "recovery point \(log.recoveryPoint) past the log end")
        let bases = log.segmentBaseOffsets
        try check(zip(bases, bases.dropFirst()).allSatisfy { $0 < $1 } && bases[0] <= m.logStartOffset, "segment bases \(bases)")
        let batchBases = Set(m.batches.map(\.base))
        for (i, b) in bases.enumerated() {
            try check(batchBases.contains(b) || (i == bases.count - 1 && b == m.logEndOffset), "segment base \(b) is not a batch boundary")
        }
        try check(m.batches.first.map { $0.base == bases[0] } ?? true, "first segment \(bases[0]) but first batch \(m.batches[0].base)")
        try check(log.size == Int64(m.batches.reduce(0) { $0 + $1.size }), "log size \(log.size)")
        // What retention and ListOffsets rely on: each segment's largest timestamp and its offset.
        let maxima = log.state.withLock { $0.segments.map { [$0.maxTimestamp, $0.offsetOfMaxTimestamp] } }
        for i in bases.indices {
            var expected: [Int64] = [-1, -1]
            for b in m.batches(inSegment: i, of: bases) where b.maxTimestamp > expected[0] { expected = [b.maxTimestamp, b.last] }
            try check(maxima[i] == expected, "segment \(bases[i]): largest timestamp \(maxima[i]), expected \(expected)")
        }
    }

    /// Reads everything from the log start to the high watermark with random limits.
    func scanAll() throws {
        var next = model.logStartOffset
        while next < model.highWatermark {
            guard let after = try checkRead(offset: next, maxBytes: rng.int(1...4000)) else {
                try check(false, "scan stopped at \(next)")
                return
            }
            next = after
        }
    }
}

/// More seeds or longer runs on demand: `GREGOR_MODEL_SEEDS=1000 GREGOR_MODEL_STEPS=2000 swift test ...`.
private let modelSeeds = Int(ProcessInfo.processInfo.environment["GREGOR_MODEL_SEEDS"] ?? "") ?? 30
private let modelSteps = Int(ProcessInfo.processInfo.environment["GREGOR_MODEL_STEPS"] ?? "") ?? 300

@Suite struct ModelTests {
    @Test(arguments: 0..<modelSeeds)
    func randomOperationsMatchTheModel(seed: Int) throws {
        let run = try ModelRun(seed: UInt64(seed) &* 0x2545_F491_4F6C_DD1D &+ 17)
        try run.run(steps: modelSteps)
    }
}

@Suite struct ModelRegressionTests {
    /// One append of many batches fills the time index before the offset index; a clean reopen
    /// must still know the segment's largest timestamp (found once by the random model).
    @Test func largestTimestampSurvivesReopenWhenTheTimeIndexFillsFirst() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentIndexBytes = 48  // 6 offset entries, 4 time entries
        config.indexIntervalBytes = 1
        var buffer = ByteBuffer()
        for (i, ts) in [100, 200, 300, 400, 1000, 500].enumerated() {
            buffer.writeImmutableBuffer(makeBatch(count: 1, firstValue: i, timestamp: Int64(ts)))
        }
        do {
            let (log, _) = try openLog(dir, config: config)
            _ = try log.append(buffer, now: 0)
            #expect(try log.offset(forTimestamp: 900)?.offset == 4)
            #expect(log.maxTimestampAndOffset?.timestamp == 1000)
            try log.close(flush: true)
        }
        let (log, _) = try openLog(dir, config: config, clean: true)
        #expect(try log.offset(forTimestamp: 900)?.offset == 4)
        #expect(log.maxTimestampAndOffset?.timestamp == 1000 && log.maxTimestampAndOffset?.offset == 4)
    }

    /// A follower told to truncate below its log start (the leader's log diverged earlier) starts
    /// over at that offset, as Kafka's truncateFullyAndStartAt, so it can fetch from there.
    @Test func truncatingBelowTheLogStartRestartsAtTheTarget() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 200
        let (log, _) = try openLog(dir, config: config)
        for i in 0..<8 { _ = try log.append(makeBatch(count: 5, firstValue: 5 * i, valueSize: 20), now: 0) }
        try log.deleteRecords(before: 22)
        try log.applyRetention(now: 0)
        #expect(log.logStartOffset == 22 && log.segmentBaseOffsets.first! > 10)
        try log.truncate(to: 10, now: 0)
        #expect(log.logStartOffset == 10 && log.logEndOffset == 10 && log.highWatermark == 10 && log.segmentBaseOffsets == [10])
        #expect(try log.append(makeBatch(count: 2), now: 0).firstOffset == 10)
        #expect(try records(in: try log.read(from: 10, maxBytes: 1000)).map(\.offset) == [10, 11])
    }
}

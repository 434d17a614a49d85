import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// What one cleaning of a log did.
public struct CleanerStats: Hashable, Sendable {
    /// Where the dirty part started.
    public var firstDirtyOffset: Int64 = 0
    /// The first offset not cleaned: where the next cleaning's dirty part starts.
    public var endOffset: Int64 = 0
    /// Segments replaced, and the cleaned segments that replaced them.
    public var segmentsCleaned = 0
    public var segmentsWritten = 0
    public var bytesRead: Int64 = 0
    public var bytesWritten: Int64 = 0
    public var recordsRead: Int64 = 0
    public var recordsRetained: Int64 = 0
    public var tombstonesRemoved: Int64 = 0
    /// Distinct keys in the offset map.
    public var keysMapped = 0
    /// A segment changed under the cleaner (retention, truncation, close): the cleaning stopped
    /// there, the log keeping what was swapped in before.
    public var aborted = false

    public init() {}
}

/// Compaction (`cleanup.policy=compact`, or `compact,delete`), as Kafka's `LogCleaner`: keeps
/// the latest record of each key in the sealed segments below the high watermark, rewriting them
/// into cleaned segments swapped in under the partition lock. All reading, filtering and writing
/// happens without the lock; appends, reads and retention go on meanwhile.
///
/// Tombstones follow KIP-534: the first cleaning that keeps one stamps its batch with
/// `deleteHorizonMs = now + delete.retention.ms`; a cleaning after that time removes it. Where
/// this differs from Kafka, for now: keyless records are kept (Kafka drops them), transactional
/// batches are kept whole and not mapped, and markers are kept (no transaction index yet).
///
/// The broker runs `cleanDirtiest(logs:now:)` periodically (Kafka's cleaner thread loop); tests
/// call `clean(_:now:)`. One cleaner per broker: two would write the same `.cleaned` files. The
/// first dirty offset of each log is kept in memory only (Kafka persists it in
/// `cleaner-offset-checkpoint`), so after a restart the first cleaning treats the whole log as dirty.
public final class LogCleaner: Sendable {
    /// Bytes the key → offset map may take (Kafka's `log.cleaner.dedupe.buffer.size`).
    public let offsetMapMemory: Int
    /// Bytes read from a segment at a time (Kafka's `log.cleaner.io.buffer.size`).
    public let ioBufferSize: Int
    let logger: Logger

    private struct State {
        /// By log directory.
        var firstDirty: [String: Int64] = [:]
        var inProgress: Set<String> = []
        /// Logs whose cleaning failed (Kafka's uncleanable partitions): skipped by `cleanDirtiest`.
        var uncleanable: Set<String> = []
    }
    private let state = Mutex(State())

    public init(offsetMapMemory: Int = 128 << 20, ioBufferSize: Int = 1 << 20, logger: Logger) {
        self.offsetMapMemory = offsetMapMemory
        self.ioBufferSize = max(ioBufferSize, RecordBatch.headerSize)
        self.logger = logger
    }

    /// Where the next cleaning of `log` starts its dirty part, if it was cleaned before.
    public func firstDirtyOffset(of log: PartitionLog) -> Int64? {
        state.withLock { $0.firstDirty[log.directory] }
    }

    /// Forgets what is known of a deleted log, so a new one in the same directory starts dirty.
    public func forget(_ log: PartitionLog) {
        state.withLock {
            $0.firstDirty[log.directory] = nil
            $0.uncleanable.remove(log.directory)
        }
    }

    /// The dirty share of the cleanable bytes (Kafka's `LogToClean.cleanableRatio`), compared with
    /// `min.cleanable.dirty.ratio`; nil for a closed or empty log.
    public func cleanableRatio(of log: PartitionLog) throws(StorageError) -> Double? {
        guard let view = try log.compactionView(openFiles: false) else { return nil }
        let (clean, dirty) = bytes(view, firstDirty: firstDirty(view, log))
        guard clean + dirty > 0 else { return nil }
        return Double(dirty) / Double(clean + dirty)
    }

    /// One pass of the cleaner thread: cleans the compacted log with the largest dirty ratio above
    /// its `min.cleanable.dirty.ratio`, if any. A log whose cleaning fails is logged and skipped
    /// from then on. Returns what the cleaning did, nil when no log needed it or it failed.
    @discardableResult
    public func cleanDirtiest(logs: [PartitionLog], now: Int64) -> CleanerStats? {
        let skip = state.withLock { $0.inProgress.union($0.uncleanable) }
        var best: (log: PartitionLog, ratio: Double)?
        for log in logs where !skip.contains(log.directory) {
            let config = log.config
            guard config.cleanupPolicy.contains(.compact), let ratio = try? cleanableRatio(of: log),
                ratio > config.minCleanableDirtyRatio, ratio > best?.ratio ?? -1
            else { continue }
            best = (log, ratio)
        }
        guard let best else { return nil }
        do {
            return try clean(best.log, now: now)
        } catch {
            _ = state.withLock { $0.uncleanable.insert(best.log.directory) }
            logger.error("log cleaning failed; the partition will not be cleaned again until restart", metadata: [
                "partition": "\(best.log.topicPartition)", "error": "\(error)",
            ])
            return nil
        }
    }

    /// Cleans `log` now, whatever its dirty ratio: builds the offset map over the dirty part, then
    /// rewrites every cleanable segment up to where the map reaches, group by group, each group
    /// swapped in as soon as it is written. `now` decides which tombstones have passed their delete horizon.
    public func clean(_ log: PartitionLog, now: Int64) throws(StorageError) -> CleanerStats {
        let key = log.directory
        guard state.withLock({ $0.inProgress.insert(key).inserted }) else {
            throw StorageError(.invalid("log is already being cleaned"), path: key)
        }
        defer { _ = state.withLock { $0.inProgress.remove(key) } }
        guard let view = try log.compactionView() else { throw StorageError(.closed, path: key) }
        guard view.config.cleanupPolicy.contains(.compact) else {
            throw StorageError(.invalid("cleanup.policy does not include compact"), path: key)
        }
        var stats = CleanerStats()
        stats.firstDirtyOffset = firstDirty(view, log)
        let mapped = try buildOffsetMap(view, firstDirty: stats.firstDirtyOffset)
        stats.keysMapped = mapped.map.count
        stats.endOffset = mapped.latestOffset + 1
        let filter = CompactionFilter(
            map: mapped.map, latestOffset: mapped.latestOffset, now: now,
            deleteRetentionMs: view.config.deleteRetentionMs, producerLastOffsets: mapped.producerLastOffsets,
            aborted: AbortedRanges(view.aborted))
        let segments = view.cleanable.filter { $0.baseOffset < stats.endOffset }
        var transactions = CleanedTransactions()
        for group in Self.groupBySize(segments, config: view.config, firstUncleanableOffset: view.firstUncleanableOffset) {
            guard try cleanGroup(group, of: log, config: view.config, filter: filter, stats: &stats, transactions: &transactions) else {
                stats.aborted = true
                break
            }
        }
        if !stats.aborted { state.withLock { $0.firstDirty[key] = stats.endOffset } }
        logger.info("cleaned log", metadata: [
            "partition": "\(log.topicPartition)", "firstDirtyOffset": "\(stats.firstDirtyOffset)",
            "endOffset": "\(stats.endOffset)", "segments": "\(stats.segmentsCleaned)→\(stats.segmentsWritten)",
            "bytes": "\(stats.bytesRead)→\(stats.bytesWritten)", "records": "\(stats.recordsRead)→\(stats.recordsRetained)",
            "aborted": "\(stats.aborted)",
        ])
        return stats
    }

    /// The checkpointed first dirty offset, reset to the log start when it is no longer valid
    /// (Kafka's `LogCleanerManager.cleanableOffsets`).
    private func firstDirty(_ view: CompactionView, _ log: PartitionLog) -> Int64 {
        let checkpoint = state.withLock { $0.firstDirty[log.directory] } ?? view.logStartOffset
        return checkpoint < view.logStartOffset || checkpoint > view.logEndOffset ? view.logStartOffset : checkpoint
    }

    private func bytes(_ view: CompactionView, firstDirty: Int64) -> (clean: Int64, dirty: Int64) {
        var clean: Int64 = 0
        var dirty: Int64 = 0
        for seg in view.cleanable {
            if seg.nextOffset > firstDirty { dirty += seg.size } else { clean += seg.size }
        }
        return (clean, dirty)
    }

    struct MappedKeys {
        var map: OffsetMap
        var latestOffset: Int64
        var producerLastOffsets: [Int64: Int64] = [:]
    }

    /// Kafka's `Cleaner.buildOffsetMap`: key → latest offset over the dirty part, until the map
    /// is full. Markers and aborted transactions' records are not mapped, so nothing is
    /// superseded by a record that never counted; the cleanable part ends before the first open
    /// transaction. Also notes each producer's last batch in the cleanable part.
    private func buildOffsetMap(_ view: CompactionView, firstDirty: Int64) throws(StorageError) -> MappedKeys {
        var result = MappedKeys(map: OffsetMap(memoryLimit: offsetMapMemory), latestOffset: firstDirty - 1)
        let aborted = AbortedRanges(view.aborted)
        var full = false
        for (i, seg) in view.cleanable.enumerated() {
            let dirty = seg.nextOffset > firstDirty
            try seg.forEachBatch(chunk: ioBufferSize) { (batch) throws(StorageError) in
                if batch.producerId >= 0 && !batch.isControl { result.producerLastOffsets[batch.producerId] = batch.lastOffset }
                guard dirty, !full, batch.lastOffset >= firstDirty else { return }
                if !batch.isControl && !aborted.isAborted(batch) {
                    var keys: [(ByteBuffer, Int64)] = []
                    var keyBytes = 0
                    for r in try batch.storedRecords() {
                        let offset = batch.baseOffset + Int64(r.offsetDelta)
                        guard let key = r.key, offset >= firstDirty else { continue }
                        keys.append((key, offset))
                        keyBytes += key.readableBytes
                    }
                    // At least one batch goes in, so cleaning always progresses.
                    guard result.map.count == 0 || result.map.canFit(keys: keys.count, keyBytes: keyBytes) else {
                        full = true
                        return
                    }
                    for (key, offset) in keys { result.map.put(key, offset: offset) }
                }
                result.latestOffset = max(result.latestOffset, batch.lastOffset)
            }
            // Across an offset gap, the map reaches the next segment (Kafka fast-forwards the same way).
            if dirty && !full {
                let next = i + 1 < view.cleanable.count ? view.cleanable[i + 1].baseOffset : view.firstUncleanableOffset
                result.latestOffset = max(result.latestOffset, next - 1)
            }
        }
        return result
    }

    /// Kafka's `Cleaner.groupSegmentsBySize`: consecutive segments whose total log and index sizes
    /// fit `segment.bytes` and `segment.index.bytes`, and whose offsets fit an int32 delta, are
    /// cleaned into one segment, so segments do not shrink without end.
    static func groupBySize(_ segments: [SegmentSnapshot], config: LogConfig, firstUncleanableOffset: Int64) -> [[SegmentSnapshot]] {
        var groups: [[SegmentSnapshot]] = []
        var i = 0
        while i < segments.count {
            var group = [segments[i]]
            var logSize = segments[i].size
            var indexSize = segments[i].offsetIndexBytes
            var timeIndexSize = segments[i].timeIndexBytes
            i += 1
            while i < segments.count {
                let next = segments[i]
                let lastOffset = i + 1 < segments.count ? segments[i + 1].baseOffset - 1 : firstUncleanableOffset - 1
                guard logSize + next.size <= config.segmentBytes,
                    indexSize + next.offsetIndexBytes <= config.segmentIndexBytes,
                    timeIndexSize + next.timeIndexBytes <= config.segmentIndexBytes,
                    next.size == 0 || lastOffset - group[0].baseOffset <= Int64(Int32.max)
                else { break }
                group.append(next)
                logSize += next.size
                indexSize += next.offsetIndexBytes
                timeIndexSize += next.timeIndexBytes
                i += 1
            }
            groups.append(group)
        }
        return groups
    }

    /// Writes the cleaned replacement of `group` and swaps it in (Kafka's `Cleaner.cleanSegments`).
    /// Returns false when the log no longer holds the group unchanged.
    private func cleanGroup(_ group: [SegmentSnapshot], of log: PartitionLog, config: LogConfig, filter: CompactionFilter,
                            stats: inout CleanerStats, transactions: inout CleanedTransactions) throws(StorageError) -> Bool {
        let base = group[0].baseOffset
        var writer = try CleanedSegmentWriter(directory: log.directory, baseOffset: base, config: config, cache: log.cache)
        do throws(StorageError) {
            let end = group[group.count - 1].nextOffset
            var groupStats = stats
            for seg in group {
                try seg.forEachBatch(chunk: ioBufferSize) { (batch) throws(StorageError) in
                    groupStats.bytesRead += Int64(batch.sizeInBytes)
                    if let out = try filter.apply(batch, endsRange: batch.nextOffset == end, stats: &groupStats, transactions: &transactions) {
                        try writer.append(out)
                    }
                }
            }
            // A group of empty segments has nothing to clean; it is left as it is.
            guard writer.batches > 0 else {
                writer.discard()
                return true
            }
            try writer.finish(lastModified: group[group.count - 1].lastModified)
            guard try log.replaceSegments(group, withCleaned: base, transactions: transactions) else {
                writer.discard()
                return false
            }
            groupStats.segmentsCleaned += group.count
            groupStats.segmentsWritten += 1
            groupStats.bytesWritten += writer.size
            stats = groupStats
            return true
        } catch {
            writer.discard()
            throw error
        }
    }
}

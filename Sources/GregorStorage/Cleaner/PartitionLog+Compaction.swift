import KafkaProtocol
import Logging

/// What the cleaner needs of a log, taken under its lock in one go.
struct CompactionView: Sendable {
    var config: LogConfig
    var logStartOffset: Int64
    var logEndOffset: Int64
    /// Sealed segments wholly below the last stable offset, oldest first: the cleanable part.
    var cleanable: [SegmentSnapshot]
    /// Bytes of every segment, the active one included.
    var totalBytes: Int64
    /// Where the cleanable part ends: the base of the first segment not in `cleanable`.
    var firstUncleanableOffset: Int64
    /// Every aborted transaction of the log (from the segments' `.txnindex`).
    var aborted: [AbortedTransaction] = []
}

extension PartitionLog {
    /// The cleanable part of the log; nil once the log is closed. The active segment, and any
    /// segment reaching past the high watermark, is never cleanable (Kafka's
    /// `LogCleanerManager.cleanableOffsets`: not past the last stable offset nor into the active
    /// segment). With `openFiles`, each segment's file is opened for the cleaner to read.
    func compactionView(openFiles: Bool = true) throws(StorageError) -> CompactionView? {
        try state.withLock { (s: inout State) throws(StorageError) -> CompactionView? in
            guard !s.closed else { return nil }
            var cleanable: [SegmentSnapshot] = []
            let lastStable = s.lastStableOffset
            for seg in s.segments.dropLast() {
                guard seg.nextOffset <= lastStable else { break }
                cleanable.append(SegmentSnapshot(
                    baseOffset: seg.baseOffset, nextOffset: seg.nextOffset, size: seg.size, file: openFiles ? try seg.log.open() : nil,
                    identity: seg.log, offsetIndexBytes: seg.offsetIndex.count * SparseIndex.Kind.offset.entrySize,
                    timeIndexBytes: seg.timeIndex.count * SparseIndex.Kind.time.entrySize))
            }
            let end = cleanable.count < s.segments.count ? s.segments[cleanable.count].baseOffset : s.logEndOffset
            return CompactionView(config: s.config, logStartOffset: s.logStartOffset, logEndOffset: s.logEndOffset, cleanable: cleanable,
                                  totalBytes: s.size, firstUncleanableOffset: end, aborted: s.segments.flatMap(\.txnIndex.entries))
        }
    }

    /// Replaces `old` (consecutive sealed segments) by the cleaned segment written for them, as
    /// Kafka's `LocalLog.replaceSegments`: `.cleaned` files become `.swap`, the old segments'
    /// files become `.deleted`, the `.swap` files take their final names, then the old files are
    /// removed. A crash at any point is finished by `completeInterruptedSwaps` at the next open.
    /// Returns false, changing nothing, when the log no longer holds `old` unchanged (retention
    /// or truncation got there first, or the log was closed).
    func replaceSegments(_ old: [SegmentSnapshot], withCleaned base: Int64, transactions: CleanedTransactions)
        throws(StorageError) -> Bool
    {
        try state.withLock { (s: inout State) throws(StorageError) -> Bool in
            guard !s.closed, let first = s.segments.firstIndex(where: { $0.log === old[0].identity }) else { return false }
            let range = first..<(first + old.count)
            // The last segment replaced must still be sealed: an active one may grow.
            guard range.upperBound < s.segments.count else { return false }
            for (seg, snap) in zip(s.segments[range], old) {
                guard seg.log === snap.identity, seg.size == snap.size, seg.nextOffset == snap.nextOffset else { return false }
            }
            let dir = directory
            typealias W = CleanedSegmentWriter
            // The log file last: its .swap is what recovery goes by.
            for ext in W.extensions { try FS.rename(W.path(dir, base, ext, W.cleanedSuffix), W.path(dir, base, ext, W.swapSuffix)) }
            try FS.syncDirectory(dir)
            // From here the old segments are gone from disk's point of view; a failure leaves the
            // log closed (as Kafka takes the log dir offline) and the next open completes the swap.
            var doomed: [String] = []
            // The cleaned segment answers for the aborted transactions of all it replaces whose
            // markers it kept (Kafka's `CleanedTransactionMetadata` index).
            let aborted = transactions.retained(s.segments[range].flatMap(\.txnIndex.entries))
            do throws(StorageError) {
                for seg in s.segments[range] {
                    seg.close()
                    if seg.baseOffset != base { try seg.txnIndex.delete() }
                    for path in [seg.offsetIndex.file.path, seg.timeIndex.file.path, seg.log.path] where FS.exists(path) {
                        try FS.rename(path, path + W.deletedSuffix)
                        doomed.append(path + W.deletedSuffix)
                    }
                }
                for ext in W.extensions { try FS.rename(W.path(dir, base, ext, W.swapSuffix), W.path(dir, base, ext, "")) }
                try FS.syncDirectory(dir)
                let (cleaned, _) = try Segment.open(directory: dir, baseOffset: base, config: s.config, cache: cache, recover: false)
                try cleaned.txnIndex.reset(to: aborted)
                s.segments.replaceSubrange(range, with: [cleaned])
            } catch {
                s.closed = true
                for seg in s.segments { seg.close() }
                logger.error("swapping in a cleaned segment failed; log closed until reopened", metadata: [
                    "partition": "\(topicPartition)", "error": "\(error)",
                ])
                throw error
            }
            // Readers still holding regions of the old files keep reading the unlinked inodes.
            for path in doomed { try? FS.remove(path) }
            return true
        }
    }

    /// Finishes swaps a crash interrupted, as Kafka's `LogLoader` does: each `<base>.log.swap`
    /// replaces every segment whose base lies in its offset range, and takes its final name;
    /// index `.swap` files are dropped (the swapped segments' indexes are rebuilt). Returns the
    /// bases of the swapped-in segments, whose indexes the caller must rebuild.
    static func completeInterruptedSwaps(directory: String, logger: Logger) throws(StorageError) -> Set<Int64> {
        typealias W = CleanedSegmentWriter
        let names = try FS.list(directory)
        var swapped: [(base: Int64, end: Int64)] = []
        for name in names where name.hasSuffix(".log" + W.swapSuffix) {
            let path = directory + "/" + name
            guard let base = Int64(name.dropLast((".log" + W.swapSuffix).count)) else { continue }
            let file = try OpenFile(path: path, create: false)
            let size = try file.size()
            var position: Int64 = 0
            var end = base
            while let h = try BatchHeader.read(file, at: position, fileSize: size), position + h.size <= size {
                end = h.lastOffset + 1
                position += h.size
            }
            // The cleaner never swaps in an empty segment; an empty .swap replaces nothing.
            if end == base { try FS.remove(path); continue }
            swapped.append((base, end))
        }
        guard !swapped.isEmpty || names.contains(where: { $0.hasSuffix(W.swapSuffix) }) else { return [] }
        let low = swapped.map(\.base).min() ?? 0
        let high = swapped.map(\.end).max() ?? 0
        for name in names {
            let path = directory + "/" + name
            if name.hasSuffix(W.swapSuffix) {
                if !name.hasSuffix(".log" + W.swapSuffix) { try FS.remove(path) }
                continue
            }
            for ext in W.extensions where name.hasSuffix(ext) {
                if let base = Int64(name.dropLast(ext.count)), base >= low, base < high { try FS.remove(path) }
            }
        }
        for (base, end) in swapped {
            try FS.rename(W.path(directory, base, ".log", W.swapSuffix), W.path(directory, base, ".log", ""))
            logger.warning("completed an interrupted segment swap", metadata: [
                "path": "\(directory)", "baseOffset": "\(base)", "nextOffset": "\(end)",
            ])
        }
        try FS.syncDirectory(directory)
        return Set(swapped.map(\.base))
    }
}

import KafkaProtocol
import Logging

/// What opening a partition found.
public struct RecoveryReport: Hashable, Sendable {
    public var topicPartition: TopicPartition
    public var segments: Int
    /// Segments whose batches were validated because they were not known to be flushed.
    public var segmentsRecovered: Int
    /// Bytes of torn or corrupt tail removed.
    public var bytesTruncated: Int64
    /// Segments after a corrupt one, removed.
    public var segmentsDropped: Int
    public var logEndOffset: Int64
    /// Producer batches read after the newest producer-state snapshot.
    public var producerBatchesReplayed = 0
}

extension PartitionLog {
    /// Opens (or creates) the partition in `directory`. Unless the log dir was shut down cleanly,
    /// the segments from the one holding `recoveryPoint` on are validated batch by batch; the first
    /// bad batch and everything after it are truncated, and said so in the log.
    /// Under `.replicated` the high watermark starts at `highWatermark` (the log dir's
    /// `replication-offset-checkpoint`), else at the log start offset, as Kafka's `Partition`
    /// starts one with no checkpoint from 0; under `.logEnd` it is the log end offset.
    public static func open(
        _ tp: TopicPartition, directory: String, config: LogConfig, cache: FileCache, logger: Logger,
        recoveryPoint: Int64? = nil, logStartOffset: Int64? = nil, cleanShutdown: Bool = false,
        highWatermarkMode: HighWatermarkMode = .logEnd, highWatermark: Int64? = nil, rollFlusher: RollFlusher? = nil, now: Int64
    ) throws(StorageError) -> (PartitionLog, RecoveryReport) {
        try FS.mkdirs(directory)
        // Segments swapped in by a compaction a crash interrupted; their indexes are rebuilt.
        let swapped = try completeInterruptedSwaps(directory: directory, logger: logger)
        var bases: [Int64] = []
        for name in try FS.list(directory) {
            if name.hasSuffix(".log"), let base = Int64(name.dropLast(4)) { bases.append(base) }
            // Leftovers of an interrupted compaction or deletion.
            if name.hasSuffix(".cleaned") || name.hasSuffix(".deleted") || name.hasSuffix(".tmp") { try FS.remove(directory + "/" + name) }
        }
        bases.sort()
        var report = RecoveryReport(topicPartition: tp, segments: 0, segmentsRecovered: 0, bytesTruncated: 0, segmentsDropped: 0, logEndOffset: 0)
        let checkpoint = recoveryPoint ?? 0
        // The segment holding the recovery point, and all after it, may hold unflushed bytes.
        let firstToRecover = bases.last(where: { $0 <= checkpoint }) ?? bases.first ?? 0
        var segments: [Segment] = []
        var recovered: Set<Int64> = []
        var corruptAt: Int?
        for (i, base) in bases.enumerated() {
            if corruptAt != nil {
                let (log, index, time) = Segment.files(directory, base, cache)
                for f in [log, index, time, Segment.txnIndexFile(directory, base, cache)] { try FS.remove(f.path) }
                report.segmentsDropped += 1
                continue
            }
            let recover = (!cleanShutdown && base >= firstToRecover) || swapped.contains(base)
            let (segment, truncated) = try Segment.open(directory: directory, baseOffset: base, config: config, cache: cache, recover: recover)
            if recover {
                report.segmentsRecovered += 1
                recovered.insert(base)
            }
            if let previous = segments.last, segment.baseOffset < previous.nextOffset {
                logger.warning("segment overlaps its predecessor; dropping it and what follows", metadata: ["path": "\(segment.log.path)"])
                try segment.delete()
                corruptAt = i
                report.segmentsDropped += 1
                continue
            }
            segments.append(segment)
            if truncated > 0 {
                try segment.txnIndex.reset(to: segment.txnIndex.entries.filter { $0.lastOffset < segment.nextOffset })
                report.bytesTruncated += truncated
                logger.warning("truncated a torn or corrupt tail", metadata: [
                    "path": "\(segment.log.path)", "bytes": "\(truncated)", "nextOffset": "\(segment.nextOffset)",
                ])
                corruptAt = i
            }
        }
        if report.segmentsDropped > 0 {
            logger.warning("removed segments after a corrupt one", metadata: ["partition": "\(tp)", "count": "\(report.segmentsDropped)"])
        }
        if segments.isEmpty {
            segments.append(try Segment.create(directory: directory, baseOffset: logStartOffset ?? 0, config: config, cache: cache, now: now))
        } else if segments.count > 1, segments.last!.size == 0, segments.last!.baseOffset != segments[segments.count - 2].nextOffset {
            // An empty active segment whose base no longer follows (its predecessor was truncated).
            try segments.removeLast().delete()
        }
        let end = segments.last!.nextOffset
        let start = min(max(logStartOffset ?? segments[0].baseOffset, segments[0].baseOffset), end)
        report.segments = segments.count
        report.logEndOffset = end
        // As Kafka's LogLoader: only a clean shutdown vouches that everything was fsynced. Recovered
        // bytes may still be only in the page cache; a recovery point past them, once checkpointed,
        // would let a machine crash skip their validation at the next start.
        let recoveryPoint = cleanShutdown ? end : min(checkpoint, end)
        let highWatermark = highWatermarkMode == .logEnd ? end : min(max(highWatermark ?? start, start), end)
        var state = State(config: config, segments: segments, logStartOffset: start, highWatermark: highWatermark,
                          recoveryPoint: recoveryPoint, lastFlushAt: now, highWatermarkMode: highWatermarkMode)
        try loadLeaderEpochs(&state, directory: directory, recovered: recovered, logger: logger)
        report.producerBatchesReplayed = try loadProducerState(&state, directory: directory)
        return (
            PartitionLog(topicPartition: tp, directory: directory, cache: cache, logger: logger, rollFlusher: rollFlusher, state: state),
            report
        )
    }
}

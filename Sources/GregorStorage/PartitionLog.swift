import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// One partition's log: an ordered list of segments, the last one active. All mutation happens
/// under one lock per partition (as Kafka's `UnifiedLog` lock); reads return file regions, never
/// copies of record bytes.
public final class PartitionLog: Sendable {
    public let topicPartition: TopicPartition
    public let directory: String
    let cache: FileCache
    let logger: Logger
    let state: BlockingLock<State>
    /// fsyncs shared by the appends waiting on them (`makeDurable`).
    let groupCommit = GroupCommit()
    /// Where a roll's fsync runs after the append that rolled; nil runs it on the appending
    /// thread once the lock is released (tests, tools).
    let rollFlusher: RollFlusher?

    struct State {
        var config: LogConfig
        var segments: [Segment]
        var logStartOffset: Int64
        var highWatermark: Int64
        var recoveryPoint: Int64
        var unflushedMessages: Int64 = 0
        /// When the log was last flushed (or opened): Kafka's `LocalLog.lastFlushedTime`, which
        /// `flush.ms` counts from. Set when a flush is made due (a roll, `flush.messages`) or run
        /// by `flushIfDue`; the due fsync follows at once, outside the lock.
        var lastFlushAt: Int64 = 0
        /// `flush.messages` was reached: the operation's caller fsyncs once the lock is released
        /// and answers after (`withLockTakingFlush`, or a client append's group commit).
        var flushRequested = false
        /// A roll left the segments below this offset (the new one's base) to fsync. As Kafka's
        /// `UnifiedLog.roll` since KAFKA-15046, that flush runs after the append, which does
        /// not wait for it.
        var rollFlushDue: Int64?
        /// The producer snapshot a roll wrote without fsync, synced by the next flush.
        var unsyncedSnapshot: String?
        var closed = false
        /// Who moves the high watermark: every append, or replication.
        var highWatermarkMode = HighWatermarkMode.logEnd
        /// Idempotent and transactional producers (from the snapshot and the log after it).
        var producers = ProducerStates()
        /// Which leader epoch wrote which offsets (`leader-epoch-checkpoint`).
        var epochs = LeaderEpochCache()

        var active: Segment { segments[segments.count - 1] }
        /// The last stable offset (KIP-98): before the first open transaction, never past the
        /// high watermark nor below the log start (`UnifiedLog.maybeIncrementFirstUnstableOffset`).
        var lastStableOffset: Int64 {
            max(min(producers.firstUnstableOffset ?? highWatermark, highWatermark), logStartOffset)
        }
        var logEndOffset: Int64 { active.nextOffset }
        var size: Int64 { segments.reduce(0) { $0 + $1.size } }

        /// The segment holding `offset`: the last whose base is at most `offset`.
        func segmentIndex(for offset: Int64) -> Int {
            var lo = 0
            var hi = segments.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if segments[mid].baseOffset <= offset { lo = mid } else { hi = mid - 1 }
            }
            return lo
        }
    }

    init(
        topicPartition: TopicPartition, directory: String, cache: FileCache, logger: Logger, rollFlusher: RollFlusher?, state: sending State
    ) {
        self.topicPartition = topicPartition
        self.directory = directory
        self.cache = cache
        self.logger = logger
        self.rollFlusher = rollFlusher
        self.state = BlockingLock(state)
    }

    /// One past the last offset in the log.
    public var logEndOffset: Int64 { state.withLock { $0.logEndOffset } }
    /// The first offset still in the log.
    public var logStartOffset: Int64 { state.withLock { $0.logStartOffset } }
    /// Offsets below this are committed and visible to consumers.
    public var highWatermark: Int64 { state.withLock { $0.highWatermark } }
    /// Everything below this offset has been fsynced.
    public var recoveryPoint: Int64 { state.withLock { $0.recoveryPoint } }
    /// Bytes on disk across every segment.
    public var size: Int64 { state.withLock { $0.size } }
    public var segmentCount: Int { state.withLock { $0.segments.count } }
    public var segmentBaseOffsets: [Int64] { state.withLock { $0.segments.map(\.baseOffset) } }
    public var config: LogConfig { state.withLock { $0.config } }

    /// Applies new topic settings at once (AlterConfigs); the next append or retention pass obeys them.
    public func update(config: LogConfig) {
        state.withLock { $0.config = config }
    }

    /// fsyncs every segment with unflushed data and moves the recovery point to the log end.
    public func flush() throws(StorageError) {
        try state.withLock { (s: inout State) throws(StorageError) in try Self.flush(&s) }
    }

    static func flush(_ s: inout State) throws(StorageError) {
        // A closed log's files may have been renamed away (deletion); never reopen them.
        guard !s.closed, s.recoveryPoint < s.logEndOffset || s.unflushedMessages > 0 || s.unsyncedSnapshot != nil else { return }
        for seg in s.segments where seg.nextOffset > s.recoveryPoint { try seg.flush() }
        if let snapshot = s.unsyncedSnapshot.take() { try ProducerStateSnapshot.sync(snapshot) }
        s.recoveryPoint = s.logEndOffset
        s.unflushedMessages = 0
    }

    /// Flushes when something is unflushed and `flush.ms` has passed since the last flush, as
    /// Kafka's `LogManager.flushDirtyLogs` compares `lastFlushTime`: a log idle for longer than
    /// flush.ms is flushed at the first pass after its next append.
    /// The fsync runs outside the lock, as the group commit's does, so appends go on meanwhile.
    public func flushIfDue(now: Int64) throws(StorageError) {
        let due = state.withLock { s in
            guard s.config.flushMs != Int64.max, s.recoveryPoint < s.logEndOffset || s.unflushedMessages > 0,
                  now - s.lastFlushAt >= s.config.flushMs
            else { return false }
            s.lastFlushAt = now
            return true
        }
        if due { try flushOutsideLock() }
    }

    /// Closes the files, flushing first when `flush` is set (clean shutdown).
    public func close(flush: Bool) throws(StorageError) {
        try state.withLock { (s: inout State) throws(StorageError) in
            guard !s.closed else { return }
            if flush {
                try Self.flush(&s)
                try takeSnapshot(&s)
            }
            for seg in s.segments { seg.close() }
            s.closed = true
        }
    }
}

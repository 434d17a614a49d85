import Logging
import NIOCore
import Synchronization

/// Every partition log of the broker across its log dirs: loading and recovery at startup,
/// creation, deletion, the flush and retention passes, and clean shutdown.
public final class LogManager: Sendable {
    public static let cleanShutdownFile = ".kafka_cleanshutdown"
    public static let recoveryPointFile = "recovery-point-offset-checkpoint"
    public static let logStartFile = "log-start-offset-checkpoint"
    /// Each partition's high watermark, as Kafka's `ReplicaManager` checkpoints it.
    public static let highWatermarkFile = "replication-offset-checkpoint"

    public let logDirs: [String]
    public let cache: FileCache
    /// Who moves the high watermark of every partition: appends (the only replica) or replication.
    public let highWatermarkMode: HighWatermarkMode
    let logger: Logger
    let clock: @Sendable () -> Int64
    let rollFlusher: RollFlusher?
    /// Compacts logs whose `cleanup.policy` includes `compact`, during `maintenance()`.
    public let cleaner: LogCleaner
    private let logs = Mutex<[TopicPartition: (log: PartitionLog, dir: String)]>([:])
    /// Partitions per log dir, under Kafka's logCreationOrDeletionLock: a partition is never
    /// opened twice, nor in a directory being renamed away by `delete`.
    private let creationOrDeletion = Mutex<[String: Int]>([:])
    /// `producer.id.expiration.ms` (KIP-854): how long a partition remembers an idle producer.
    public let producerIdExpirationMs = Atomic<Int64>(86_400_000)
    /// `producer.id.expiration.check.interval.ms`.
    public let producerIdExpirationCheckIntervalMs = Atomic<Int64>(600_000)
    private let lastProducerExpiry = Atomic<Int64>(0)

    /// - Parameters:
    ///   - highWatermarkMode: `.replicated` in a cluster, where a restart takes each high
    ///     watermark from `replication-offset-checkpoint`.
    ///   - clock: milliseconds since the epoch; injected so tests control time.
    ///   - rollFlusher: where every log's roll fsyncs run (the broker's I/O threads); nil runs
    ///     them on the appending thread after its lock.
    public init(
        logDirs: [String], fileCacheCapacity: Int = 4096, highWatermarkMode: HighWatermarkMode = .logEnd, logger: Logger,
        rollFlusher: RollFlusher? = nil, clock: @escaping @Sendable () -> Int64
    ) {
        self.logDirs = logDirs
        self.rollFlusher = rollFlusher
        self.highWatermarkMode = highWatermarkMode
        self.cache = FileCache(capacity: fileCacheCapacity)
        self.logger = logger
        self.clock = clock
        self.cleaner = LogCleaner(logger: logger)
    }

    /// Opens every partition found in the log dirs, recovering those of a dir that was not shut
    /// down cleanly. `config` gives each partition's settings.
    @discardableResult
    public func startup(config: (TopicPartition) -> LogConfig) throws(StorageError) -> [RecoveryReport] {
        var reports: [RecoveryReport] = []
        for dir in logDirs {
            try FS.mkdirs(dir)
            let marker = dir + "/" + Self.cleanShutdownFile
            let clean = FS.exists(marker)
            let recovery = OffsetCheckpoint.read(dir + "/" + Self.recoveryPointFile)
            let starts = OffsetCheckpoint.read(dir + "/" + Self.logStartFile)
            let highWatermarks = OffsetCheckpoint.read(dir + "/" + Self.highWatermarkFile)
            for name in try FS.list(dir) {
                if name.hasSuffix("-delete") {
                    try FS.removeTree(dir + "/" + name)
                    continue
                }
                guard let tp = TopicPartition(directoryName: name) else { continue }
                let (log, report) = try PartitionLog.open(
                    tp, directory: dir + "/" + name, config: config(tp), cache: cache, logger: logger,
                    recoveryPoint: recovery[tp], logStartOffset: starts[tp], cleanShutdown: clean,
                    highWatermarkMode: highWatermarkMode, highWatermark: highWatermarks[tp], rollFlusher: rollFlusher, now: clock())
                logs.withLock { $0[tp] = (log, dir) }
                creationOrDeletion.withLock { $0[dir, default: 0] += 1 }
                reports.append(report)
            }
            // The marker only vouches for the shutdown that wrote it.
            if clean { try FS.remove(marker) }
        }
        return reports
    }

    public func log(_ tp: TopicPartition) -> PartitionLog? { logs.withLock { $0[tp]?.log } }

    public var partitions: [TopicPartition] { logs.withLock { Array($0.keys).sorted() } }

    /// The partition's log, created in the log dir holding the fewest partitions if it is new.
    public func getOrCreate(_ tp: TopicPartition, config: LogConfig) throws(StorageError) -> PartitionLog {
        if let existing = log(tp) { return existing }
        return try creationOrDeletion.withLock { counts throws(StorageError) -> PartitionLog in
            if let existing = log(tp) { return existing }
            let dir = logDirs.min { (counts[$0] ?? 0) < (counts[$1] ?? 0) }!
            let (log, _) = try PartitionLog.open(tp, directory: dir + "/" + tp.directoryName, config: config, cache: cache,
                                                 logger: logger, highWatermarkMode: highWatermarkMode, rollFlusher: rollFlusher,
                                                 now: clock())
            logs.withLock { $0[tp] = (log, dir) }
            counts[dir, default: 0] += 1
            return log
        }
    }

    /// Deletes a partition as Kafka does: its directory is renamed at once (so it is gone from
    /// the broker's view and a new topic of the same name can start clean) and removed in the
    /// background.
    public func delete(_ tp: TopicPartition) throws(StorageError) {
        let doomed = try creationOrDeletion.withLock { counts throws(StorageError) -> String? in
            guard let (log, dir) = logs.withLock({ $0.removeValue(forKey: tp) }) else { return nil }
            counts[dir, default: 1] -= 1
            try log.close(flush: false)
            cleaner.forget(log)
            let doomed = "\(dir)/\(tp.directoryName).\(KafkaUUIDString.random())-delete"
            try FS.rename(log.directory, doomed)
            return doomed
        }
        guard let doomed else { return }
        let logger = self.logger
        Task.detached(priority: .background) {
            do { try FS.removeTree(doomed) } catch { logger.error("could not remove deleted log", metadata: ["path": "\(doomed)", "error": "\(error)"]) }
        }
    }

    /// One pass of the background work: flushes due per `flush.ms`, retention, compaction of the
    /// dirtiest compacted log, and the recovery point checkpoints.
    public func maintenance() throws(StorageError) {
        let now = clock()
        let all = logs.withLock { $0.values.map(\.log) }
        for log in all {
            try log.flushIfDue(now: now)
            try log.applyRetention(now: now)
        }
        if now - lastProducerExpiry.load(ordering: .relaxed) >= producerIdExpirationCheckIntervalMs.load(ordering: .relaxed) {
            lastProducerExpiry.store(now, ordering: .relaxed)
            let expiration = producerIdExpirationMs.load(ordering: .relaxed)
            for log in all { log.removeExpiredProducers(now: now, expirationMs: expiration) }
        }
        _ = cleaner.cleanDirtiest(logs: all, now: now)
        try checkpoint()
    }

    /// Writes each dir's recovery points, log start offsets and high watermarks. The high
    /// watermarks are written whatever the mode, so a broker that joins a cluster starts from them.
    public func checkpoint() throws(StorageError) {
        let all = logs.withLock { Array($0) }
        for dir in logDirs {
            let mine = all.filter { $0.value.dir == dir }
            try OffsetCheckpoint.write(Dictionary(uniqueKeysWithValues: mine.map { ($0.key, $0.value.log.recoveryPoint) }),
                                       to: dir + "/" + Self.recoveryPointFile)
            try OffsetCheckpoint.write(Dictionary(uniqueKeysWithValues: mine.map { ($0.key, $0.value.log.logStartOffset) }),
                                       to: dir + "/" + Self.logStartFile)
            try OffsetCheckpoint.write(Dictionary(uniqueKeysWithValues: mine.map { ($0.key, $0.value.log.highWatermark) }),
                                       to: dir + "/" + Self.highWatermarkFile)
        }
    }

    /// Flushes and closes every log, writes the checkpoints and the clean-shutdown markers, so
    /// the next start skips recovery.
    public func shutdown() throws(StorageError) {
        let all = logs.withLock { Array($0.values) }
        for (log, _) in all { try log.close(flush: true) }
        try checkpoint()
        for dir in logDirs {
            try FS.writeAtomically(ByteBuffer(), to: dir + "/" + Self.cleanShutdownFile)
        }
    }
}

/// A random hex id for renamed directories.
enum KafkaUUIDString {
    static func random() -> String {
        var g = SystemRandomNumberGenerator()
        return String(g.next() as UInt64, radix: 16) + String(g.next() as UInt64, radix: 16)
    }
}

import GregorStorage
import KafkaProtocol
import NIOCore

/// The transaction coordinator's settings, with Kafka's defaults.
public struct TransactionConfig: Sendable, Hashable {
    /// `transaction.max.timeout.ms`: the longest transaction timeout a producer may ask for.
    public var maxTimeoutMs: Int32 = 900_000
    /// `transactional.id.expiration.ms`: how long an idle transactional id is kept.
    public var transactionalIdExpirationMs: Int64 = 604_800_000
    /// `transaction.remove.expired.transaction.cleanup.interval.ms`.
    public var removeExpiredTransactionalIdsIntervalMs: Int64 = 3_600_000
    /// The cluster's finalized `transaction.version` feature level (KIP-890). It picks the
    /// record value version (0 below level 1) and is the version the coordinator's own aborts
    /// (timeouts, fencing) run at. A Kafka 4.0 cluster formatted fresh is at level 2.
    public var transactionVersionLevel: Int16 = 2

    public init() {}

    /// The `TransactionLogValue` version Kafka writes at this feature level.
    public var logValueVersion: Int16 { transactionVersionLevel >= 1 ? 1 : 0 }
}

/// One partition of `__transaction_state` on the ``CoordinatorRuntime`` (Kafka's
/// `TransactionStateManager` cache entry for the partition plus the state machine of
/// `TransactionCoordinator`): the metadata of every transactional id that hashes here, rebuilt
/// by replaying its records (last value wins, a tombstone removes).
///
/// Operations (`initProducerId`, `addPartitions`, `endTransaction`...) return the record to
/// write and the answer; the answer goes out only once the record is written, which takes the
/// place of Kafka's per-id "pending state". A failed write leaves the metadata as it was.
/// Markers are not written here: a Prepare* record yields a ``Event/writeMarkers`` event, and
/// whoever writes them calls ``completeTransaction(transactionalId:producerId:epoch:now:)``.
public struct TransactionShard: CoordinatorShard {
    /// A record of `__transaction_state`.
    public enum Record: Sendable, Hashable {
        /// The metadata of a transactional id, as it stands after a transition.
        case metadata(TransactionMetadata)
        /// The transactional id expired and is forgotten.
        case tombstone(transactionalId: String)
    }

    /// What the shard asks of the world once its records are written.
    public enum Event: Sendable, Hashable {
        /// Write a commit (or abort) marker for `producerId` at `producerEpoch` to each partition
        /// (Kafka's WriteTxnMarkers), then call ``TransactionShard/completeTransaction(transactionalId:producerId:epoch:now:)``.
        case writeMarkers(
            transactionalId: String, producerId: Int64, producerEpoch: Int16, committed: Bool, coordinatorEpoch: Int32,
            partitions: [TopicPartition])
    }

    /// The partition of `__transaction_state` this shard is.
    public let partition: Int32
    /// The leader epoch of that partition when this broker became its coordinator; markers
    /// carry it so partition leaders can refuse a deposed coordinator's markers.
    public let coordinatorEpoch: Int32
    public let config: TransactionConfig
    /// Hands out a fresh producer id (the broker's producer id blocks); throws when none can be
    /// had now, and the request is answered with the error.
    let newProducerId: @Sendable () throws -> Int64
    /// Every transactional id of the partition.
    public internal(set) var transactions: [String: TransactionMetadata] = [:]

    public init(
        partition: Int32, coordinatorEpoch: Int32 = 0, config: TransactionConfig = TransactionConfig(),
        newProducerId: @escaping @Sendable () throws -> Int64
    ) {
        self.partition = partition
        self.coordinatorEpoch = coordinatorEpoch
        self.config = config
        self.newProducerId = newProducerId
    }

    static let timeoutPrefix = "txn-timeout:"
    static let markersPrefix = "txn-markers:"
    static let expirationKey = "txn-expiration"

    /// The timer that aborts `id`'s transaction. Kafka scans every
    /// `transaction.abort.timed.out.transaction.cleanup.interval.ms` for
    /// `start + timeout < now`; one timer per transaction at the first such millisecond aborts
    /// at the same instant or sooner.
    static func timeoutTimer(_ metadata: TransactionMetadata) -> CoordinatorTimerChange {
        .schedule(key: timeoutPrefix + metadata.transactionalId, deadline: metadata.startTimestamp + Int64(metadata.timeoutMs) + 1)
    }

    public mutating func replay(_ record: Record, offset: Int64, producerId: Int64, producerEpoch: Int16) {
        switch record {
        case .metadata(let metadata): transactions[metadata.transactionalId] = metadata
        case .tombstone(let id): transactions[id] = nil
        }
    }

    /// After a load (Kafka's `loadTransactionsForTxnTopicPartition`): transactions left in
    /// Prepare* get their markers written again at once, Ongoing ones their timeout, and the
    /// periodic expiration of idle transactional ids starts.
    public mutating func loaded(now: Int64) -> [CoordinatorTimerChange] {
        var timers: [CoordinatorTimerChange] = [.schedule(key: Self.expirationKey, deadline: now + config.removeExpiredTransactionalIdsIntervalMs)]
        for (id, metadata) in transactions.sorted(by: { $0.key < $1.key }) {
            if metadata.state.isPrepare {
                timers.append(.schedule(key: Self.markersPrefix + id, deadline: now))
            } else if metadata.state == .ongoing {
                timers.append(Self.timeoutTimer(metadata))
            }
        }
        return timers
    }

    public mutating func timerFired(_ key: String, now: Int64) -> CoordinatorResult<Self, Void> {
        if key == Self.expirationKey { return removeExpiredTransactionalIds(now: now) }
        if key.hasPrefix(Self.timeoutPrefix) {
            return abortTimedOutTransaction(String(key.dropFirst(Self.timeoutPrefix.count)), now: now)
        }
        if key.hasPrefix(Self.markersPrefix), let metadata = transactions[String(key.dropFirst(Self.markersPrefix.count))],
            metadata.state.isPrepare
        {
            return CoordinatorResult(records: completeIfNoPartitions(metadata, now: now), events: markers(metadata))
        }
        return CoordinatorResult()
    }

    /// The markers a Prepare* transaction needs; none when it has no partitions.
    func markers(_ metadata: TransactionMetadata) -> [Event] {
        guard !metadata.partitions.isEmpty else { return [] }
        return [.writeMarkers(
            transactionalId: metadata.transactionalId, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch,
            committed: metadata.state == .prepareCommit, coordinatorEpoch: coordinatorEpoch, partitions: metadata.partitions.sorted())]
    }

    /// A Prepare* transaction without partitions has no marker to wait for: Kafka's marker
    /// manager writes its completion at once.
    func completeIfNoPartitions(_ metadata: TransactionMetadata, now: Int64) -> [Record] {
        guard metadata.partitions.isEmpty else { return [] }
        return [.metadata(metadata.completed(now: now))]
    }

    public static func encode(_ record: Record) throws -> CoordinatorRecordBytes {
        try encode(record, valueVersion: TransactionLogValue.highestVersion)
    }

    /// The record at a value version (``TransactionConfig/logValueVersion``).
    public static func encode(_ record: Record, valueVersion: Int16) throws -> CoordinatorRecordBytes {
        switch record {
        case .metadata(let metadata):
            CoordinatorRecordBytes(key: try TransactionLogKey.encode(metadata.transactionalId),
                                   value: try metadata.logValue.encode(version: valueVersion))
        case .tombstone(let id):
            CoordinatorRecordBytes(key: try TransactionLogKey.encode(id), value: nil)
        }
    }

    /// A key version Kafka does not write is skipped (nil), as Kafka's loader skips it.
    public static func decode(_ bytes: CoordinatorRecordBytes) throws -> Record? {
        guard let id = try TransactionLogKey.decode(bytes.key) else { return nil }
        guard let value = bytes.value else { return .tombstone(transactionalId: id) }
        return .metadata(try TransactionMetadata(transactionalId: id, TransactionLogValue.decode(value)))
    }
}

extension TransactionMetadata {
    /// Kafka's `prepareComplete`: the markers are written. Under TV2 the epoch bumped at
    /// Prepare* stays, and a pending NextProducerId takes over at epoch 0 (KIP-890).
    func completed(now: Int64) -> TransactionMetadata {
        var next = self
        next.state = state == .prepareCommit ? .completeCommit : .completeAbort
        next.partitions = []
        next.lastUpdateTimestamp = now
        if supportsEpochBump {
            next.previousProducerId = producerId
            next.lastProducerEpoch = producerEpoch
            next.nextProducerId = -1
            if nextProducerId != -1 {
                next.producerId = nextProducerId
                next.producerEpoch = 0
            }
        }
        return next
    }
}

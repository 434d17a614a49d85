import GregorStorage
import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// Committed offsets, kept in memory and made durable in the compacted internal topic
/// `__consumer_offsets` in Kafka's own record format (`OffsetRecords`).
///
/// Each partition of the topic is a shard with its own lock, as each is its own coordinator
/// in Kafka: a group lives in the shard `OffsetStoreConfig.partition(for:)` picks. Every
/// change appends one batch to the shard's log first and touches memory only once the append
/// succeeded, under the shard's lock, so memory and log never disagree on order and a failed
/// append changes nothing.
///
/// Durability: an acknowledged change has been written to the segment file (the page cache),
/// which survives the process being killed (SIGKILL, a crash) since the kernel still holds it.
/// Surviving a machine or OS crash would need an fsync before acknowledging (`flush.messages=1`
/// on the topic's `LogConfig`); Kafka does not fsync either and relies on replication
/// (`offsets.topic.replication.factor` 3, acks=all) for that.
public final class OffsetStore: Sendable {
    public let config: OffsetStoreConfig
    let logManager: LogManager
    let logger: Logger
    let shards: [OffsetShard]

    public init(logManager: LogManager, config: OffsetStoreConfig = OffsetStoreConfig(),
                logger: Logger = Logger(label: "gregor.offsets")) {
        self.config = config
        self.logManager = logManager
        self.logger = logger
        self.shards = (0..<config.numPartitions).map { OffsetShard(TopicPartition(OffsetStoreConfig.topic, $0)) }
    }

    /// The partition of `__consumer_offsets` holding `group` (FindCoordinator answers this
    /// partition's leader).
    public func partition(for group: String) -> Int32 { config.partition(for: group) }

    func shard(for group: String) -> OffsetShard { shards[Int(partition(for: group))] }

    /// Records offsets for `group`; answers one error per entry, in order: NONE, or
    /// OFFSET_METADATA_TOO_LARGE for metadata longer than `offset.metadata.max.bytes` (those
    /// partitions are left out; the others are still committed, as Kafka does). All accepted
    /// entries go into one batch, so they are committed together or not at all. Throws when
    /// the append fails: answer every partition `error.errorCode` then.
    ///
    /// Validation of the group (generation, member) is the caller's; pass "" for null metadata
    /// and the broker's time as `commitTimestamp` when the request has none (v2+ always).
    public func commit(group: String, offsets: [OffsetCommitEntry], now: Int64) throws(OffsetStoreError) -> [ErrorCode] {
        var errors: [ErrorCode] = []
        errors.reserveCapacity(offsets.count)
        var accepted: [OffsetCommitEntry] = []
        accepted.reserveCapacity(offsets.count)
        for entry in offsets {
            if entry.committed.metadata.utf16.count > config.metadataMaxBytes {
                errors.append(.offsetMetadataTooLarge)
            } else {
                errors.append(.none)
                var e = entry
                // Value v1 has no leader epoch: keep in memory what a reload would find.
                if e.committed.expireTimestamp != nil { e.committed.leaderEpoch = nil }
                accepted.append(e)
            }
        }
        guard !accepted.isEmpty else { return errors }
        var records: [OffsetShard.Record] = []
        records.reserveCapacity(accepted.count)
        for entry in accepted {
            records.append(.init(key: try OffsetRecords.offsetCommitKey(group: group, entry.topicPartition),
                                 value: try OffsetRecords.offsetCommitValue(entry.committed)))
        }
        let shard = shard(for: group)
        try shard.state.withLock { (s: inout OffsetShard.State) throws(OffsetStoreError) in
            try append(records, to: shard, &s, now: now)
            for entry in accepted { s.offsets[group, default: [:]][entry.topicPartition] = entry.committed }
        }
        return errors
    }

    /// The group's committed offsets for `partitions`, in the order asked, or every committed
    /// offset of the group, sorted by topic and partition, when `partitions` is nil.
    public func fetch(group: String, partitions: [TopicPartition]?) -> [FetchedOffset] {
        let mine = shard(for: group).state.withLock { $0.offsets[group] } ?? [:]
        guard let partitions else {
            return mine.sorted { $0.key < $1.key }.map { FetchedOffset($0.key, $0.value) }
        }
        return partitions.map { FetchedOffset($0, mine[$0]) }
    }

    /// The committed offset of one partition, if any.
    public func committed(group: String, _ tp: TopicPartition) -> CommittedOffset? {
        shard(for: group).state.withLock { $0.offsets[group]?[tp] }
    }

    /// Whether `group` has any committed offset.
    public func hasOffsets(group: String) -> Bool {
        shard(for: group).state.withLock { !($0.offsets[group]?.isEmpty ?? true) }
    }

    /// The topics `group` has committed offsets for.
    public func topics(group: String) -> Set<String> {
        shard(for: group).state.withLock { Set(($0.offsets[group] ?? [:]).keys.map(\.topic)) }
    }

    /// Every group with at least one committed offset, sorted (ListGroups must show groups that
    /// only commit offsets, as Kafka creates an Empty classic group for them).
    public var groups: [String] {
        shards.flatMap { shard in shard.state.withLock { Array($0.offsets.keys) } }.sorted()
    }

    /// Writes a classic group's GroupMetadata record (one batch), as Kafka's coordinator does when
    /// a rebalance completes, the group empties or a static member is replaced.
    public func storeGroup(_ snapshot: GroupMetadataSnapshot, now: Int64) throws(OffsetStoreError) {
        let record = OffsetShard.Record(key: try OffsetRecords.groupMetadataKey(group: snapshot.groupId),
                                        value: try OffsetRecords.groupMetadataValue(snapshot))
        let shard = shard(for: snapshot.groupId)
        try shard.state.withLock { (s: inout OffsetShard.State) throws(OffsetStoreError) in
            try append([record], to: shard, &s, now: now)
            s.groups[snapshot.groupId] = snapshot
        }
    }

    /// The last stored metadata of every classic group (after `load`: what the topic held),
    /// sorted by group id.
    public var loadedGroups: [GroupMetadataSnapshot] {
        shards.flatMap { shard in shard.state.withLock { Array($0.groups.values) } }.sorted { $0.groupId < $1.groupId }
    }

    /// Appends `records` as one batch to the shard's log, creating the partition on first use.
    func append(_ records: [OffsetShard.Record], to shard: OffsetShard, _ s: inout OffsetShard.State, now: Int64)
        throws(OffsetStoreError)
    {
        guard !records.isEmpty else { return }
        do throws(StorageError) {
            let log: PartitionLog
            if let existing = s.log {
                log = existing
            } else {
                log = try logManager.getOrCreate(shard.topicPartition, config: config.logConfig)
                s.log = log
            }
            // Kafka's coordinator writes non-transactional, uncompressed batches
            // (`offsets.topic.compression.codec` defaults to none), stamped with its clock.
            var builder = RecordBatchBuilder()
            for r in records { builder.append(timestamp: now, key: r.key, value: r.value) }
            let batch: ByteBuffer
            do {
                batch = try builder.build()
            } catch {
                throw StorageError(.corruptRecord("\(error)"))
            }
            _ = try log.append(batch, now: now)
        } catch {
            logger.warning("offsets append failed", metadata: ["partition": "\(shard.topicPartition)", "error": "\(error)"])
            throw OffsetStoreError(.storage(error))
        }
    }
}

/// One partition of `__consumer_offsets` and the offsets of the groups it holds.
final class OffsetShard: Sendable {
    struct State {
        /// Opened by `load` or created by the first append.
        var log: PartitionLog?
        var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
        /// The last GroupMetadata value of each classic group.
        var groups: [String: GroupMetadataSnapshot] = [:]
    }

    /// A record to append: key and value (nil for a tombstone).
    struct Record {
        var key: ByteBuffer
        var value: ByteBuffer?
    }

    let topicPartition: TopicPartition
    let state = Mutex(State())

    init(_ topicPartition: TopicPartition) { self.topicPartition = topicPartition }
}

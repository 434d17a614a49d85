import GregorStorage
import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// Committed offsets, kept in memory and made durable in the compacted internal topic
/// `__consumer_offsets` in Kafka's own record format (`OffsetRecords`).
///
/// Each partition of the topic is a shard on the ``CoordinatorRuntime`` (``GroupShard``), as
/// each is its own coordinator in Kafka: a group lives in the shard
/// `OffsetStoreConfig.partition(for:)` picks. Every change is one batch appended to the
/// shard's log and replayed into memory only once the append succeeded, so memory and log
/// never disagree on order and a failed append changes nothing.
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
    /// The shards of `__consumer_offsets`, shared with the group coordinator: a one-node broker
    /// coordinates every partition.
    public let runtime: CoordinatorRuntime<GroupShard>

    /// The offsets of `coordinator`'s groups, kept in `logManager`.
    public init(coordinator: GroupCoordinator, logManager: LogManager, logger: Logger = Logger(label: "gregor.offsets")) {
        self.config = coordinator.offsetsConfig
        self.logManager = logManager
        self.logger = logger
        self.runtime = coordinator.runtime
    }

    /// An offset store with a group coordinator of its own (tests).
    public convenience init(logManager: LogManager, config: OffsetStoreConfig = OffsetStoreConfig(),
                            logger: Logger = Logger(label: "gregor.offsets"), clock: any CoordinatorClock = SystemCoordinatorClock(now: { 0 })) {
        let coordinator = GroupCoordinator(
            clock: clock, offsets: config, log: StorageCoordinatorLog(logManager: logManager, config: config.logConfig, logger: logger),
            logger: logger)
        self.init(coordinator: coordinator, logManager: logManager, logger: logger)
    }

    /// The partition of `__consumer_offsets` holding `group` (FindCoordinator answers this
    /// partition's leader).
    public func partition(for group: String) -> Int32 { config.partition(for: group) }

    /// Runs `operation` on the group's shard at `now` and writes its records.
    func write<T>(_ group: String, now: Int64, _ operation: (inout GroupShard) -> CoordinatorResult<GroupShard, T>)
        throws(OffsetStoreError) -> T
    {
        do throws(CoordinatorError) {
            return try runtime.writeNow(partition(for: group), now: now) { shard, _ in operation(&shard) }
        } catch {
            throw OffsetStoreError(.coordinator(error))
        }
    }

    /// Reads the group's shard; nil if it is not loaded.
    func read<T>(_ group: String, _ body: (GroupShard) -> T) -> T? {
        try? runtime.read(partition(for: group), body)
    }

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
        var records: [GroupShard.Record] = []
        records.reserveCapacity(offsets.count)
        for entry in offsets {
            if entry.committed.metadata.utf16.count > config.metadataMaxBytes {
                errors.append(.offsetMetadataTooLarge)
            } else {
                errors.append(.none)
                var committed = entry.committed
                // Value v1 has no leader epoch: keep in memory what a reload would find.
                if committed.expireTimestamp != nil { committed.leaderEpoch = nil }
                records.append(.offsetCommit(group: group, entry.topicPartition, committed))
            }
        }
        guard !records.isEmpty else { return errors }
        try write(group, now: now) { _ in CoordinatorResult(records: records, response: ()) }
        return errors
    }

    /// The group's committed offsets for `partitions`, in the order asked, or every committed
    /// offset of the group, sorted by topic and partition, when `partitions` is nil.
    public func fetch(group: String, partitions: [TopicPartition]?) -> [FetchedOffset] {
        let mine = read(group) { $0.offsets[group] ?? [:] } ?? [:]
        guard let partitions else {
            return mine.sorted { $0.key < $1.key }.map { FetchedOffset($0.key, $0.value) }
        }
        return partitions.map { FetchedOffset($0, mine[$0]) }
    }

    /// The group's partitions with an offset in an open transaction (KIP-447).
    public func pendingTransactionalPartitions(group: String) -> Set<TopicPartition> {
        read(group) { shard in Set(shard.pendingTransactionalOffsets.values.flatMap { ($0[group] ?? [:]).keys }) } ?? []
    }

    /// The committed offset of one partition, if any.
    public func committed(group: String, _ tp: TopicPartition) -> CommittedOffset? {
        read(group) { $0.offsets[group]?[tp] } ?? nil
    }

    /// Whether `group` has any committed offset.
    public func hasOffsets(group: String) -> Bool {
        read(group) { !($0.offsets[group]?.isEmpty ?? true) } ?? false
    }

    /// The topics `group` has committed offsets for.
    public func topics(group: String) -> Set<String> {
        read(group) { Set(($0.offsets[group] ?? [:]).keys.map(\.topic)) } ?? []
    }

    /// Every group with at least one committed offset, sorted (ListGroups must show groups that
    /// only commit offsets, as Kafka creates an Empty classic group for them).
    public var groups: [String] {
        runtime.partitions.flatMap { (try? runtime.read($0) { Array($0.offsets.keys) }) ?? [] }.sorted()
    }

    /// Writes a classic group's GroupMetadata record (one batch), as Kafka's coordinator does when
    /// a rebalance completes, the group empties or a static member is replaced.
    public func storeGroup(_ snapshot: GroupMetadataSnapshot, now: Int64) throws(OffsetStoreError) {
        try write(snapshot.groupId, now: now) { _ in CoordinatorResult(records: [.groupMetadata(group: snapshot.groupId, snapshot)], response: ()) }
    }

    /// The last stored metadata of every classic group (after `load`: what the topic held),
    /// sorted by group id.
    public var loadedGroups: [GroupMetadataSnapshot] {
        runtime.partitions.flatMap { (try? runtime.read($0) { Array($0.snapshots.values) }) ?? [] }.sorted { $0.groupId < $1.groupId }
    }
}

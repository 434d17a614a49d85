import GregorStorage
import KafkaProtocol

/// One partition of `__consumer_offsets` on the ``CoordinatorRuntime``, as Kafka 4's
/// `GroupCoordinatorShard`: the classic and KIP-848 groups it holds and their committed
/// offsets. Committed offsets and classic groups' GroupMetadata are rebuilt by replay (Kafka's
/// `OffsetMetadataManager.replay` and `GroupMetadataManager.replay`): last value wins, a
/// tombstone removes. Classic groups run in memory and write a GroupMetadata record when they
/// change generation or empty, which a load turns back into the group (``loaded(now:)``).
public struct GroupShard: CoordinatorShard {
    /// A record of `__consumer_offsets` that this shard keeps; a nil value is a tombstone.
    public enum Record: Sendable, Hashable {
        case offsetCommit(group: String, TopicPartition, CommittedOffset?)
        case groupMetadata(group: String, GroupMetadataSnapshot?)
    }

    /// A request that waited in a group is answered.
    public struct Event: Sendable {
        public var token: RequestToken
        public var answer: GroupAnswer
    }

    /// What every group of the shard is created with.
    public struct Settings: Sendable {
        public var classic = ClassicGroupConfig()
        public var consumer = ConsumerGroupConfig()
        public var memberIdSource = MemberIdSource.random
        public var consumerMemberIdSource = ConsumerMemberIdSource.random
        public var offsets = OffsetStoreConfig()

        public init() {}
    }

    public let settings: Settings
    /// Member ids for ConsumerGroupHeartbeat v0 joins; carried from group to group so a
    /// sequential source (tests) never repeats an id in a shard.
    var consumerMemberIdSource: ConsumerMemberIdSource
    public internal(set) var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
    /// The last GroupMetadata value of each classic group, as written.
    public internal(set) var snapshots: [String: GroupMetadataSnapshot] = [:]
    /// Live groups. A group id names one group of one type at a time (Kafka's single `groups`
    /// map): `classic` and `consumer` never share a key.
    public internal(set) var classic: [String: ClassicGroup] = [:]
    public internal(set) var consumer: [String: ConsumerGroup] = [:]

    public init(settings: Settings = Settings()) {
        self.settings = settings
        self.consumerMemberIdSource = settings.consumerMemberIdSource
    }

    public mutating func replay(_ record: Record, offset: Int64, producerId: Int64, producerEpoch: Int16) {
        // Transactional offset commits (TxnOffsetCommit) wait for their marker: Gregor writes
        // none yet, so a replayed one is not applied.
        guard producerId < 0 else { return }
        switch record {
        case .offsetCommit(let group, let tp, let committed?):
            offsets[group, default: [:]][tp] = committed
        case .offsetCommit(let group, let tp, nil):
            if offsets[group]?.removeValue(forKey: tp) != nil, offsets[group]?.isEmpty == true { offsets[group] = nil }
        case .groupMetadata(let group, let snapshot):
            snapshots[group] = snapshot
        }
    }

    /// After a load (Kafka's `GroupMetadataManager.onLoaded`): classic groups with a
    /// GroupMetadata record come back as it says (Stable with their members, sessions running
    /// from now, or Empty with their generation and protocol type); groups that only have
    /// committed offsets come back Empty, as Kafka creates them, so ListGroups, DescribeGroups and
    /// DeleteGroups know them and a fresh member rejoins the same group.
    public mutating func loaded(now: Int64) -> [CoordinatorTimerChange] {
        for snapshot in snapshots.values where classic[snapshot.groupId] == nil && consumer[snapshot.groupId] == nil {
            classic[snapshot.groupId] = ClassicGroup(
                restoring: snapshot, config: settings.classic, memberIdSource: settings.memberIdSource, now: now)
        }
        for id in offsets.keys where classic[id] == nil && consumer[id] == nil {
            classic[id] = ClassicGroup(groupId: id, config: settings.classic, memberIdSource: settings.memberIdSource, now: now)
        }
        return Array(classic.keys).sorted().map { timer(for: $0) }
    }

    /// Requests still waiting when the partition moves away are abandoned: their clients find
    /// the new coordinator and join again.
    public mutating func unloaded() -> [Event] {
        // Kafka's `ClassicGroup.completeAllJoinFutures` / `completeAllSyncFutures` with NOT_COORDINATOR.
        classic.values.flatMap { group in
            group.members.flatMap { member -> [Event] in
                [member.awaitingJoin.map { Event(token: $0, answer: .join(.failure(.notCoordinator, memberId: member.memberId))) },
                 member.awaitingSync.map { Event(token: $0, answer: .sync(.failure(.notCoordinator))) }].compactMap { $0 }
            }
        }
    }

    public static func encode(_ record: Record) throws -> CoordinatorRecordBytes {
        switch record {
        case .offsetCommit(let group, let tp, let committed):
            CoordinatorRecordBytes(key: try OffsetRecords.offsetCommitKey(group: group, tp),
                                   value: try committed.map { c throws(OffsetStoreError) in try OffsetRecords.offsetCommitValue(c) })
        case .groupMetadata(let group, let snapshot):
            CoordinatorRecordBytes(key: try OffsetRecords.groupMetadataKey(group: group),
                                   value: try snapshot.map { g throws(OffsetStoreError) in try OffsetRecords.groupMetadataValue(g) })
        }
    }

    /// Consumer-protocol and share group records (types 3-15) and unknown types are not kept,
    /// as Kafka's loader skips an `UnknownRecordTypeException`.
    public static func decode(_ bytes: CoordinatorRecordBytes) throws -> Record? {
        switch try OffsetRecords.decodeKey(bytes.key) {
        case .offsetCommit(let group, let tp):
            return .offsetCommit(group: group, tp, try bytes.value.map { v throws(OffsetRecordError) in try OffsetRecords.decodeOffsetCommitValue(v) })
        case .groupMetadata(let group):
            return .groupMetadata(group: group, try bytes.value.map { v throws(OffsetRecordError) in
                try OffsetRecords.decodeGroupMetadataValue(v, group: group)
            })
        case .other:
            return nil
        }
    }
}

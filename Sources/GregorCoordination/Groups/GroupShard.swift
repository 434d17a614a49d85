import GregorStorage
import KafkaProtocol
import NIOCore

/// One partition of `__consumer_offsets` on the ``CoordinatorRuntime``, as Kafka 4's
/// `GroupCoordinatorShard`: the classic and KIP-848 groups it holds and their committed
/// offsets. Committed offsets and classic groups' GroupMetadata are rebuilt by replay (Kafka's
/// `OffsetMetadataManager.replay` and `GroupMetadataManager.replay`): last value wins, a
/// tombstone removes. Groups run in memory and write their records as they change: a classic
/// group its GroupMetadata when it changes generation or empties, a KIP-848 group Kafka's
/// consumer group records (``ConsumerGroupRecords``); a load turns them back into the groups
/// (``loaded(now:)``).
public struct GroupShard: CoordinatorShard {
    /// A record of `__consumer_offsets` that this shard keeps; a nil value is a tombstone.
    public enum Record: Sendable, Hashable {
        case offsetCommit(group: String, TopicPartition, CommittedOffset?)
        case groupMetadata(group: String, GroupMetadataSnapshot?)
        case consumerGroupMetadata(group: String, ConsumerGroupRecords.Metadata?)
        case consumerMember(group: String, memberId: String, ConsumerGroupRecords.Member?)
        case consumerTargetAssignmentMetadata(group: String, epoch: Int32?)
        case consumerTargetMember(group: String, memberId: String, PartitionAssignment?)
        case consumerCurrentAssignment(group: String, memberId: String, ConsumerGroupRecords.CurrentAssignment?)
    }

    /// What the shard tells the coordinator once its records are written.
    public enum Event: Sendable {
        /// A request that waited in a classic group is answered.
        case answer(RequestToken, GroupAnswer)
        /// Something happened in a consumer group (for the log, as Kafka logs it).
        case consumer(group: String, ConsumerGroupEvent)
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
    /// Consumer groups as their records say, while the partition loads; after the load their
    /// state is the live groups', and their records are written, not replayed.
    var images: [String: ConsumerGroupImage] = [:]
    var isLoaded = false
    /// Offsets written by TxnOffsetCommit, by producer id, until the transaction's marker
    /// (Kafka's `OffsetMetadataManager.pendingTransactionalOffsets`).
    public internal(set) var pendingTransactionalOffsets: [Int64: [String: [TopicPartition: PendingOffset]]] = [:]
    /// Where each committed offset's record is in the partition: a transaction's offset counts
    /// on commit only over an older one (a plain commit written after it wins).
    var offsetRecordOffsets: [String: [TopicPartition: Int64]] = [:]

    /// A transactional offset and where its record is.
    public struct PendingOffset: Sendable, Hashable {
        public var committed: CommittedOffset
        public var recordOffset: Int64
    }

    public init(settings: Settings = Settings()) {
        self.settings = settings
        self.consumerMemberIdSource = settings.consumerMemberIdSource
    }

    public mutating func replay(_ record: Record, offset: Int64, producerId: Int64, producerEpoch: Int16) {
        // Transactional offset commits (TxnOffsetCommit) wait for their marker.
        guard producerId < 0 else {
            if case .offsetCommit(let group, let tp, let committed?) = record {
                pendingTransactionalOffsets[producerId, default: [:]][group, default: [:]][tp] = PendingOffset(committed: committed, recordOffset: offset)
            }
            return
        }
        switch record {
        case .offsetCommit(let group, let tp, let committed?):
            offsets[group, default: [:]][tp] = committed
            offsetRecordOffsets[group, default: [:]][tp] = offset
        case .offsetCommit(let group, let tp, nil):
            if offsets[group]?.removeValue(forKey: tp) != nil, offsets[group]?.isEmpty == true { offsets[group] = nil }
            if offsetRecordOffsets[group]?.removeValue(forKey: tp) != nil, offsetRecordOffsets[group]?.isEmpty == true {
                offsetRecordOffsets[group] = nil
            }
        case .groupMetadata(let group, let snapshot):
            snapshots[group] = snapshot
        default:
            if !isLoaded { replayConsumer(record) }
        }
    }

    /// The transaction's offsets are committed, or dropped on abort
    /// (`OffsetMetadataManager.replayEndTransactionMarker`).
    public mutating func replayEndTransaction(producerId: Int64, producerEpoch: Int16, committed: Bool) {
        guard let pending = pendingTransactionalOffsets.removeValue(forKey: producerId), committed else { return }
        for (group, partitions) in pending {
            for (tp, p) in partitions where (offsetRecordOffsets[group]?[tp] ?? -1) < p.recordOffset {
                offsets[group, default: [:]][tp] = p.committed
                offsetRecordOffsets[group, default: [:]][tp] = p.recordOffset
            }
        }
    }

    /// KIP-447: an OffsetFetch that requires stable offsets answers UNSTABLE_OFFSET_COMMIT for a
    /// partition with an offset still in an open transaction.
    public func hasPendingTransactionalOffset(group: String, _ tp: TopicPartition) -> Bool {
        pendingTransactionalOffsets.values.contains { $0[group]?[tp] != nil }
    }

    /// Kafka's `GroupMetadataManager.replay` for consumer group records, into the images.
    mutating func replayConsumer(_ record: Record) {
        switch record {
        case .consumerGroupMetadata(let group, let metadata?):
            images[group, default: ConsumerGroupImage()].metadata = metadata
        case .consumerGroupMetadata(let group, nil):
            images[group] = nil
        case .consumerMember(let group, let memberId, let member):
            images[group, default: ConsumerGroupImage()].members[memberId] = member
        case .consumerTargetAssignmentMetadata(let group, let epoch):
            images[group, default: ConsumerGroupImage()].targetEpoch = epoch
        case .consumerTargetMember(let group, let memberId, let assignment):
            images[group, default: ConsumerGroupImage()].target[memberId] = assignment
        case .consumerCurrentAssignment(let group, let memberId, let current):
            images[group, default: ConsumerGroupImage()].current[memberId] = current
        case .offsetCommit, .groupMetadata:
            break
        }
    }

    /// After a load (Kafka's `GroupMetadataManager.onLoaded`): classic groups with a
    /// GroupMetadata record come back as it says (Stable with their members, sessions running
    /// from now, or Empty with their generation and protocol type); groups that only have
    /// committed offsets come back Empty, as Kafka creates them, so ListGroups, DescribeGroups and
    /// DeleteGroups know them and a fresh member rejoins the same group.
    public mutating func loaded(now: Int64) -> [CoordinatorTimerChange] {
        isLoaded = true
        for (id, image) in images.sorted(by: { $0.key < $1.key }) where image.metadata != nil {
            consumer[id] = ConsumerGroup(
                restoring: image, groupId: id, config: settings.consumer, memberIdSource: consumerMemberIdSource, now: now)
        }
        images = [:]
        for snapshot in snapshots.values where classic[snapshot.groupId] == nil && consumer[snapshot.groupId] == nil {
            classic[snapshot.groupId] = ClassicGroup(
                restoring: snapshot, config: settings.classic, memberIdSource: settings.memberIdSource, now: now)
        }
        for id in offsets.keys where classic[id] == nil && consumer[id] == nil {
            classic[id] = ClassicGroup(groupId: id, config: settings.classic, memberIdSource: settings.memberIdSource, now: now)
        }
        return (Array(classic.keys) + Array(consumer.keys)).sorted().map { timer(for: $0) }
    }

    /// Requests still waiting when the partition moves away are abandoned: their clients find
    /// the new coordinator and join again.
    public mutating func unloaded() -> [Event] {
        Array(classic.keys).sorted().flatMap { classic[$0]!.unload(now: 0).map(Self.event) }
    }

    public static func encode(_ record: Record) throws -> CoordinatorRecordBytes {
        switch record {
        case .offsetCommit(let group, let tp, let committed):
            CoordinatorRecordBytes(key: try OffsetRecords.offsetCommitKey(group: group, tp),
                                   value: try committed.map { c throws(OffsetStoreError) in try OffsetRecords.offsetCommitValue(c) })
        case .groupMetadata(let group, let snapshot):
            CoordinatorRecordBytes(key: try OffsetRecords.groupMetadataKey(group: group),
                                   value: try snapshot.map { g throws(OffsetStoreError) in try OffsetRecords.groupMetadataValue(g) })
        case .consumerGroupMetadata(let group, let metadata):
            CoordinatorRecordBytes(key: try ConsumerGroupRecords.key(ConsumerGroupRecords.metadataType, group: group),
                                   value: try metadata.map { m throws(OffsetStoreError) in try ConsumerGroupRecords.metadataValue(m) })
        case .consumerMember(let group, let memberId, let member):
            CoordinatorRecordBytes(key: try ConsumerGroupRecords.key(ConsumerGroupRecords.memberMetadataType, group: group, member: memberId),
                                   value: try member.map { m throws(OffsetStoreError) in try ConsumerGroupRecords.memberValue(m) })
        case .consumerTargetAssignmentMetadata(let group, let epoch):
            CoordinatorRecordBytes(key: try ConsumerGroupRecords.key(ConsumerGroupRecords.targetAssignmentMetadataType, group: group),
                                   value: try epoch.map { e throws(OffsetStoreError) in try ConsumerGroupRecords.targetAssignmentMetadataValue(epoch: e) })
        case .consumerTargetMember(let group, let memberId, let assignment):
            CoordinatorRecordBytes(
                key: try ConsumerGroupRecords.key(ConsumerGroupRecords.targetAssignmentMemberType, group: group, member: memberId),
                value: try assignment.map { a throws(OffsetStoreError) in try ConsumerGroupRecords.targetAssignmentMemberValue(a) })
        case .consumerCurrentAssignment(let group, let memberId, let current):
            CoordinatorRecordBytes(key: try ConsumerGroupRecords.key(ConsumerGroupRecords.currentAssignmentType, group: group, member: memberId),
                                   value: try current.map { c throws(OffsetStoreError) in try ConsumerGroupRecords.currentAssignmentValue(c) })
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
        case .consumerGroup(let type, let group, let member):
            return try decodeConsumer(type, group, member, bytes.value)
        case .other:
            return nil
        }
    }

    static func decodeConsumer(_ type: Int16, _ group: String, _ member: String?, _ value: ByteBuffer?) throws -> Record? {
        let memberId = member ?? ""
        switch type {
        case ConsumerGroupRecords.metadataType:
            return .consumerGroupMetadata(group: group, try value.map(ConsumerGroupRecords.decodeMetadata))
        case ConsumerGroupRecords.memberMetadataType:
            return .consumerMember(group: group, memberId: memberId, try value.map(ConsumerGroupRecords.decodeMember))
        case ConsumerGroupRecords.targetAssignmentMetadataType:
            return .consumerTargetAssignmentMetadata(group: group, epoch: try value.map(ConsumerGroupRecords.decodeTargetAssignmentMetadata))
        case ConsumerGroupRecords.targetAssignmentMemberType:
            return .consumerTargetMember(group: group, memberId: memberId, try value.map(ConsumerGroupRecords.decodeTargetAssignmentMember))
        case ConsumerGroupRecords.currentAssignmentType:
            return .consumerCurrentAssignment(group: group, memberId: memberId, try value.map(ConsumerGroupRecords.decodeCurrentAssignment))
        default:
            return nil
        }
    }
}

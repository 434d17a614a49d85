import GregorStorage
import KafkaProtocol

/// One partition of `__consumer_offsets` on the ``CoordinatorRuntime``: the committed offsets
/// and classic groups' last GroupMetadata of the groups it holds, rebuilt by replay (Kafka's
/// `GroupMetadataManager.replay` and `OffsetMetadataManager.replay`): last value wins, a
/// tombstone removes.
public struct OffsetShard: CoordinatorShard {
    /// A record of `__consumer_offsets` that this shard keeps; a nil value is a tombstone.
    public enum Record: Sendable, Hashable {
        case offsetCommit(group: String, TopicPartition, CommittedOffset?)
        case groupMetadata(group: String, GroupMetadataSnapshot?)
    }

    /// Nothing waits on offsets yet.
    public enum Event: Sendable {}

    public internal(set) var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
    /// The last GroupMetadata value of each classic group.
    public internal(set) var groups: [String: GroupMetadataSnapshot] = [:]

    public init() {}

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
            groups[group] = snapshot
        }
    }

    public mutating func timerFired(_ key: String, now: Int64) -> CoordinatorResult<Self, Void> { CoordinatorResult() }

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

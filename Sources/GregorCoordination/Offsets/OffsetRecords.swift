import GregorStorage
import KafkaProtocol
import NIOCore

/// The key and value formats of `__consumer_offsets`, byte for byte as Kafka writes them, so
/// Kafka's tools (`kafka-console-consumer --formatter ...OffsetsMessageFormatter`,
/// `kafka-dump-log --offsets-decoder`) read Gregor's topic. Hand-written for the records Gregor
/// writes; every other record type is recognised and skipped.
///
/// Specs (apache/kafka): `group-coordinator/src/main/resources/common/message/OffsetCommitKey.json`,
/// `OffsetCommitValue.json`, `GroupMetadataKey.json`, `GroupMetadataValue.json`. Framing: `CoordinatorRecordSerde.java`
/// (coordinator-common) and `GroupCoordinatorRecordSerde.java`: a key is an int16 version, which
/// doubles as the record type (0 and 1 OffsetCommit, 2 GroupMetadata, 3-8 consumer group, 9-15
/// share group records), then the key's fields; a value is an int16 version then its fields; a
/// tombstone is a null value. Versions chosen as `GroupCoordinatorRecordHelpers` and
/// `MetadataVersion.offsetCommitValueVersion` do: key v1, value v3, or v1 when the offset
/// has an explicit expire timestamp.
public enum OffsetRecords {
    /// The record type (key version) Kafka writes for an offset commit.
    public static let offsetCommitKeyVersion: Int16 = 1
    /// The record type of a classic group's metadata.
    public static let groupMetadataKeyVersion: Int16 = 2
    /// The GroupMetadataValue version Kafka 4 writes (`MetadataVersion.groupMetadataValueVersion`).
    public static let groupMetadataValueVersion: Int16 = 3
    /// The newest OffsetCommitValue version known (the first flexible one).
    public static let latestValueVersion: Int16 = 4

    /// What a key says.
    public enum Key: Hashable, Sendable {
        case offsetCommit(group: String, TopicPartition)
        case groupMetadata(group: String)
        /// A KIP-848 consumer group's records (``ConsumerGroupRecords``): types 3 and 6 name
        /// the group, 5, 7 and 8 one of its members.
        case consumerGroup(type: Int16, group: String, member: String?)
        /// Share group records, the consumer group records Gregor does not keep (4, 16) and
        /// unknown types: skipped on load, as Kafka's loader skips `UnknownRecordTypeException`.
        case other(type: Int16)
    }

    /// OffsetCommitKey v1: `version(1) group topic partition`, strings as int16 length + UTF-8.
    public static func offsetCommitKey(group: String, _ tp: TopicPartition) throws(OffsetStoreError) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(2 + 2 + group.utf8.count + 2 + tp.topic.utf8.count + 4)
        b.writeInteger(offsetCommitKeyVersion)
        try writeString(group, "group", into: &b)
        try writeString(tp.topic, "topic", into: &b)
        b.writeInteger(tp.partition)
        return b
    }

    /// GroupMetadataKey v2: `version(2) group`.
    public static func groupMetadataKey(group: String) throws(OffsetStoreError) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(groupMetadataKeyVersion)
        try writeString(group, "group", into: &b)
        return b
    }

    /// OffsetCommitValue v3 `offset leaderEpoch metadata commitTimestamp`, or v1
    /// `offset metadata commitTimestamp expireTimestamp` when there is an expire timestamp.
    public static func offsetCommitValue(_ c: CommittedOffset) throws(OffsetStoreError) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(2 + 8 + 4 + 2 + c.metadata.utf8.count + 16)
        if let expire = c.expireTimestamp {
            b.writeInteger(Int16(1))
            b.writeInteger(c.offset)
            try writeString(c.metadata, "metadata", into: &b)
            b.writeInteger(c.commitTimestamp)
            b.writeInteger(expire)
        } else {
            b.writeInteger(Int16(3))
            b.writeInteger(c.offset)
            b.writeInteger(c.leaderEpoch ?? -1)
            try writeString(c.metadata, "metadata", into: &b)
            b.writeInteger(c.commitTimestamp)
        }
        return b
    }

    /// Decodes a key of any record type.
    public static func decodeKey(_ buffer: ByteBuffer) throws(OffsetRecordError) -> Key {
        var b = buffer
        do {
            let type = try b.readKafkaInt16("version")
            switch type {
            case 0, 1:
                let group = try b.readKafkaString("group", flexible: false)
                let topic = try b.readKafkaString("topic", flexible: false)
                let partition = try b.readKafkaInt32("partition")
                return .offsetCommit(group: group, TopicPartition(topic, partition))
            case 2:
                return .groupMetadata(group: try b.readKafkaString("group", flexible: false))
            case 3, 6:
                return .consumerGroup(type: type, group: try b.readKafkaString("group", flexible: false), member: nil)
            case 5, 7, 8:
                let group = try b.readKafkaString("group", flexible: false)
                return .consumerGroup(type: type, group: group, member: try b.readKafkaString("member", flexible: false))
            default:
                return .other(type: type)
            }
        } catch {
            throw OffsetRecordError("OffsetCommitKey: \(error)")
        }
    }

    /// Decodes an OffsetCommitValue of versions 0-4. A newer version is read as v4 (KIP-915:
    /// later versions only add tagged fields). Sentinels become nil as in Kafka's
    /// `OffsetAndMetadata.fromRecord`: leader epoch -1, expire timestamp -1.
    public static func decodeOffsetCommitValue(_ buffer: ByteBuffer) throws(OffsetRecordError) -> CommittedOffset {
        var b = buffer
        do {
            let version = try b.readKafkaInt16("version")
            guard version >= 0 else { throw OffsetRecordError("OffsetCommitValue: negative version \(version)") }
            let flexible = version >= 4
            let offset = try b.readKafkaInt64("offset")
            let epoch = version >= 3 ? try b.readKafkaInt32("leaderEpoch") : -1
            let metadata = try b.readKafkaString("metadata", flexible: flexible)
            let commitTimestamp = try b.readKafkaInt64("commitTimestamp")
            let expire = version == 1 ? try b.readKafkaInt64("expireTimestamp") : -1
            if flexible {
                let tags = try b.readUnsignedVarInt("taggedFields")
                for _ in 0..<tags {
                    _ = try b.readUnsignedVarInt("tag")
                    _ = try b.readKafkaTaggedFieldData("taggedField")
                }
            }
            return CommittedOffset(offset: offset, leaderEpoch: epoch == -1 ? nil : epoch, metadata: metadata,
                                   commitTimestamp: commitTimestamp, expireTimestamp: expire == -1 ? nil : expire)
        } catch let error as OffsetRecordError {
            throw error
        } catch {
            throw OffsetRecordError("OffsetCommitValue: \(error)")
        }
    }

    /// GroupMetadataValue v3: `version(3) protocolType generation protocol? leader?
    /// currentStateTimestamp members[]`, each member `memberId groupInstanceId? clientId clientHost
    /// rebalanceTimeout sessionTimeout subscription assignment`; strings int16-prefixed (null: -1),
    /// bytes and the array int32-prefixed.
    public static func groupMetadataValue(_ g: GroupMetadataSnapshot) throws(OffsetStoreError) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(groupMetadataValueVersion)
        try writeString(g.protocolType, "protocolType", into: &b)
        b.writeInteger(g.generationId)
        try writeNullableString(g.protocolName, "protocol", into: &b)
        try writeNullableString(g.leaderId, "leader", into: &b)
        b.writeInteger(g.currentStateTimestamp ?? -1)
        b.writeInteger(Int32(g.members.count))
        for m in g.members {
            try writeString(m.memberId, "memberId", into: &b)
            try writeNullableString(m.groupInstanceId, "groupInstanceId", into: &b)
            try writeString(m.clientId, "clientId", into: &b)
            try writeString(m.clientHost, "clientHost", into: &b)
            b.writeInteger(m.rebalanceTimeoutMs)
            b.writeInteger(m.sessionTimeoutMs)
            b.writeInteger(Int32(m.subscription.count))
            b.writeBytes(m.subscription)
            b.writeInteger(Int32(m.assignment.count))
            b.writeBytes(m.assignment)
        }
        return b
    }

    /// Decodes a GroupMetadataValue of versions 0-4 (a newer one is read as v4, KIP-915). Fields
    /// a version lacks take the spec's defaults: rebalanceTimeout -1 (before v1),
    /// currentStateTimestamp -1 (before v2, read as nil), groupInstanceId null (before v3).
    public static func decodeGroupMetadataValue(_ buffer: ByteBuffer, group: String) throws(OffsetRecordError) -> GroupMetadataSnapshot {
        var b = buffer
        do {
            let version = try b.readKafkaInt16("version")
            guard version >= 0 else { throw OffsetRecordError("GroupMetadataValue: negative version \(version)") }
            let flexible = version >= 4
            let protocolType = try b.readKafkaString("protocolType", flexible: flexible)
            let generation = try b.readKafkaInt32("generation")
            let protocolName = try b.readKafkaNullableString("protocol", flexible: flexible)
            let leader = try b.readKafkaNullableString("leader", flexible: flexible)
            let timestamp = version >= 2 ? try b.readKafkaInt64("currentStateTimestamp") : -1
            let count = try b.readKafkaNonNullArrayCount("members", flexible: flexible)
            var members: [GroupMetadataSnapshot.Member] = []
            members.reserveCapacity(min(count, b.readableBytes))
            for _ in 0..<count {
                let memberId = try b.readKafkaString("memberId", flexible: flexible)
                let instanceId = version >= 3 ? try b.readKafkaNullableString("groupInstanceId", flexible: flexible) : nil
                let clientId = try b.readKafkaString("clientId", flexible: flexible)
                let clientHost = try b.readKafkaString("clientHost", flexible: flexible)
                let rebalanceTimeout = version >= 1 ? try b.readKafkaInt32("rebalanceTimeout") : -1
                let sessionTimeout = try b.readKafkaInt32("sessionTimeout")
                let subscription = try b.readKafkaBytes("subscription", flexible: flexible)
                let assignment = try b.readKafkaBytes("assignment", flexible: flexible)
                if flexible { try skipTaggedFields(&b) }
                members.append(.init(memberId: memberId, groupInstanceId: instanceId, clientId: clientId, clientHost: clientHost,
                                     rebalanceTimeoutMs: rebalanceTimeout, sessionTimeoutMs: sessionTimeout,
                                     subscription: subscription, assignment: assignment))
            }
            if flexible { try skipTaggedFields(&b) }
            return GroupMetadataSnapshot(groupId: group, protocolType: protocolType, generationId: generation,
                                         protocolName: protocolName, leaderId: leader,
                                         currentStateTimestamp: timestamp == -1 ? nil : timestamp, members: members)
        } catch let error as OffsetRecordError {
            throw error
        } catch {
            throw OffsetRecordError("GroupMetadataValue: \(error)")
        }
    }

    private static func skipTaggedFields(_ b: inout ByteBuffer) throws(KafkaDecodingError) {
        let tags = try b.readUnsignedVarInt("taggedFields")
        for _ in 0..<tags {
            _ = try b.readUnsignedVarInt("tag")
            _ = try b.readKafkaTaggedFieldData("taggedField")
        }
    }

    private static func writeNullableString(_ s: String?, _ field: String, into b: inout ByteBuffer) throws(OffsetStoreError) {
        guard let s else {
            b.writeInteger(Int16(-1))
            return
        }
        try writeString(s, field, into: &b)
    }

    /// A non-flexible string: int16 length then UTF-8, at most `Short.MAX_VALUE` bytes as in
    /// Kafka's generated writers.
    private static func writeString(_ s: String, _ field: String, into b: inout ByteBuffer) throws(OffsetStoreError) {
        let n = s.utf8.count
        guard n <= Int(Int16.max) else { throw OffsetStoreError(.fieldTooLong(field)) }
        b.writeInteger(Int16(n))
        b.writeString(s)
    }
}

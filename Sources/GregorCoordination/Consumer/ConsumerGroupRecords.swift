import GregorStorage
import KafkaProtocol
import NIOCore

/// The records a KIP-848 consumer group is kept in, in `__consumer_offsets`, byte for byte as
/// Kafka 4 writes them (record types 3 and 5-8 of `GroupCoordinatorRecordSerde`; specs in
/// apache/kafka `group-coordinator/src/main/resources/common/message/ConsumerGroup*.json`): a key
/// is the int16 record type then non-flexible strings; a value is int16 version 0 then flexible
/// fields (compact strings and arrays, tagged fields after each struct).
///
/// Not written: ConsumerGroupPartitionMetadata (type 4, replaced in Kafka 4.1 by the metadata
/// hash) and ConsumerGroupRegularExpression (type 16: Gregor resolves regexes on each heartbeat).
public enum ConsumerGroupRecords {
    public static let metadataType: Int16 = 3
    public static let memberMetadataType: Int16 = 5
    public static let targetAssignmentMetadataType: Int16 = 6
    public static let targetAssignmentMemberType: Int16 = 7
    public static let currentAssignmentType: Int16 = 8

    /// ConsumerGroupMetadataValue: the group epoch and the hash of its subscribed topics
    /// (tagged field 0, KIP-1101). Gregor's hash is its own: only Gregor reads it back.
    public struct Metadata: Hashable, Sendable {
        public var epoch: Int32
        public var metadataHash: Int64
    }

    /// ConsumerGroupMemberMetadataValue: what a member subscribed with.
    public struct Member: Hashable, Sendable {
        public var instanceId: String?
        public var rackId: String?
        public var clientId: String
        public var clientHost: String
        public var subscribedTopicNames: [String]
        public var subscribedTopicRegex: String?
        public var rebalanceTimeoutMs: Int32
        public var serverAssignor: String?
    }

    /// ConsumerGroupCurrentMemberAssignmentValue: where the member is in its reconciliation.
    public struct CurrentAssignment: Hashable, Sendable {
        public var memberEpoch: Int32
        public var previousMemberEpoch: Int32
        public var state: ConsumerMemberState
        public var assigned: PartitionAssignment
        public var pendingRevocation: PartitionAssignment
    }

    // MARK: Keys

    static func key(_ type: Int16, group: String, member: String? = nil) throws(OffsetStoreError) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(type)
        do {
            try b.writeKafkaString(group, flexible: false, "group")
            if let member { try b.writeKafkaString(member, flexible: false, "member") }
        } catch {
            throw OffsetStoreError(.fieldTooLong("\(error)"))
        }
        return b
    }

    // MARK: Values

    static func value(_ body: (inout ByteBuffer) throws(KafkaEncodingError) -> Void) throws(OffsetStoreError) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(Int16(0))
        do {
            try body(&b)
        } catch {
            throw OffsetStoreError(.fieldTooLong("\(error)"))
        }
        return b
    }

    public static func metadataValue(_ m: Metadata) throws(OffsetStoreError) -> ByteBuffer {
        try value { b throws(KafkaEncodingError) in
            b.writeInteger(m.epoch)
            guard m.metadataHash != 0 else { return b.writeUnsignedVarInt(0) }
            b.writeUnsignedVarInt(1)
            b.writeUnsignedVarInt(0)
            b.writeUnsignedVarInt(8)
            b.writeInteger(m.metadataHash)
        }
    }

    public static func memberValue(_ m: Member) throws(OffsetStoreError) -> ByteBuffer {
        try value { b throws(KafkaEncodingError) in
            try b.writeKafkaString(m.instanceId, flexible: true, "instanceId")
            try b.writeKafkaString(m.rackId, flexible: true, "rackId")
            try b.writeKafkaString(m.clientId, flexible: true, "clientId")
            try b.writeKafkaString(m.clientHost, flexible: true, "clientHost")
            try b.writeKafkaArrayCount(m.subscribedTopicNames.count, flexible: true, "subscribedTopicNames")
            for name in m.subscribedTopicNames { try b.writeKafkaString(name, flexible: true, "subscribedTopicNames") }
            try b.writeKafkaString(m.subscribedTopicRegex, flexible: true, "subscribedTopicRegex")
            b.writeInteger(m.rebalanceTimeoutMs)
            try b.writeKafkaString(m.serverAssignor, flexible: true, "serverAssignor")
            b.writeUnsignedVarInt(0)
        }
    }

    public static func targetAssignmentMetadataValue(epoch: Int32) throws(OffsetStoreError) -> ByteBuffer {
        try value { b throws(KafkaEncodingError) in
            b.writeInteger(epoch)
            b.writeUnsignedVarInt(0)
        }
    }

    public static func targetAssignmentMemberValue(_ assignment: PartitionAssignment) throws(OffsetStoreError) -> ByteBuffer {
        try value { b throws(KafkaEncodingError) in
            try writeAssignment(assignment, into: &b)
            b.writeUnsignedVarInt(0)
        }
    }

    public static func currentAssignmentValue(_ c: CurrentAssignment) throws(OffsetStoreError) -> ByteBuffer {
        try value { b throws(KafkaEncodingError) in
            b.writeInteger(c.memberEpoch)
            b.writeInteger(c.previousMemberEpoch)
            b.writeInteger(Self.stateCode(c.state))
            try writeAssignment(c.assigned, into: &b)
            try writeAssignment(c.pendingRevocation, into: &b)
            b.writeUnsignedVarInt(0)
        }
    }

    /// `[]TopicPartitions`, topics by id and partitions ascending, so equal assignments are equal bytes.
    static func writeAssignment(_ a: PartitionAssignment, into b: inout ByteBuffer) throws(KafkaEncodingError) {
        let topics = a.normalized.sorted { $0.key.description < $1.key.description }
        try b.writeKafkaArrayCount(topics.count, flexible: true, "topicPartitions")
        for (id, partitions) in topics {
            b.writeKafkaUUID(id)
            try b.writeKafkaArrayCount(partitions.count, flexible: true, "partitions")
            for p in partitions.sorted() { b.writeInteger(p) }
            b.writeUnsignedVarInt(0)
        }
    }

    /// Kafka's `MemberState` values.
    static func stateCode(_ state: ConsumerMemberState) -> Int8 {
        switch state {
        case .stable: 0
        case .unrevokedPartitions: 1
        case .unreleasedPartitions: 2
        }
    }

    // MARK: Decoding

    /// Reads a value of version 0 or later with `body`, then skips the top-level tagged fields
    /// it did not read (later versions only add tagged fields).
    static func decode<T>(_ buffer: ByteBuffer, _ what: String, _ body: (inout ByteBuffer) throws -> T) throws(OffsetRecordError) -> T {
        var b = buffer
        do {
            let version = try b.readKafkaInt16("version")
            guard version >= 0 else { throw OffsetRecordError("\(what): negative version \(version)") }
            return try body(&b)
        } catch let error as OffsetRecordError {
            throw error
        } catch {
            throw OffsetRecordError("\(what): \(error)")
        }
    }

    static func skipTags(_ b: inout ByteBuffer) throws {
        for _ in 0..<(try b.readUnsignedVarInt("taggedFields")) {
            _ = try b.readUnsignedVarInt("tag")
            _ = try b.readKafkaTaggedFieldData("taggedField")
        }
    }

    public static func decodeMetadata(_ buffer: ByteBuffer) throws(OffsetRecordError) -> Metadata {
        try decode(buffer, "ConsumerGroupMetadataValue") { b in
            let epoch = try b.readKafkaInt32("epoch")
            var hash: Int64 = 0
            for _ in 0..<(try b.readUnsignedVarInt("taggedFields")) {
                let tag = try b.readUnsignedVarInt("tag")
                var data = try b.readKafkaTaggedFieldData("taggedField")
                if tag == 0 { hash = try data.readKafkaInt64("metadataHash") }
            }
            return Metadata(epoch: epoch, metadataHash: hash)
        }
    }

    public static func decodeMember(_ buffer: ByteBuffer) throws(OffsetRecordError) -> Member {
        try decode(buffer, "ConsumerGroupMemberMetadataValue") { b in
            let instanceId = try b.readKafkaNullableString("instanceId", flexible: true)
            let rackId = try b.readKafkaNullableString("rackId", flexible: true)
            let clientId = try b.readKafkaString("clientId", flexible: true)
            let clientHost = try b.readKafkaString("clientHost", flexible: true)
            var names: [String] = []
            for _ in 0..<(try b.readKafkaNonNullArrayCount("subscribedTopicNames", flexible: true)) {
                names.append(try b.readKafkaString("subscribedTopicNames", flexible: true))
            }
            let regex = try b.readKafkaNullableString("subscribedTopicRegex", flexible: true)
            let rebalanceTimeoutMs = try b.readKafkaInt32("rebalanceTimeoutMs")
            let assignor = try b.readKafkaNullableString("serverAssignor", flexible: true)
            try skipTags(&b)
            return Member(instanceId: instanceId, rackId: rackId, clientId: clientId, clientHost: clientHost, subscribedTopicNames: names,
                          subscribedTopicRegex: regex, rebalanceTimeoutMs: rebalanceTimeoutMs, serverAssignor: assignor)
        }
    }

    public static func decodeTargetAssignmentMetadata(_ buffer: ByteBuffer) throws(OffsetRecordError) -> Int32 {
        try decode(buffer, "ConsumerGroupTargetAssignmentMetadataValue") { b in try b.readKafkaInt32("assignmentEpoch") }
    }

    public static func decodeTargetAssignmentMember(_ buffer: ByteBuffer) throws(OffsetRecordError) -> PartitionAssignment {
        try decode(buffer, "ConsumerGroupTargetAssignmentMemberValue") { b in try readAssignment(&b) }
    }

    public static func decodeCurrentAssignment(_ buffer: ByteBuffer) throws(OffsetRecordError) -> CurrentAssignment {
        try decode(buffer, "ConsumerGroupCurrentMemberAssignmentValue") { b in
            let epoch = try b.readKafkaInt32("memberEpoch")
            let previous = try b.readKafkaInt32("previousMemberEpoch")
            let code = try b.readKafkaInt8("state")
            let state: ConsumerMemberState = switch code {
            case 1: .unrevokedPartitions
            case 2: .unreleasedPartitions
            default: .stable
            }
            let assigned = try readAssignment(&b)
            let pending = try readAssignment(&b)
            return CurrentAssignment(memberEpoch: epoch, previousMemberEpoch: previous, state: state, assigned: assigned, pendingRevocation: pending)
        }
    }

    static func readAssignment(_ b: inout ByteBuffer) throws -> PartitionAssignment {
        var out: PartitionAssignment = [:]
        for _ in 0..<(try b.readKafkaNonNullArrayCount("topicPartitions", flexible: true)) {
            let id = try b.readKafkaUUID("topicId")
            var partitions = Set<Int32>()
            for _ in 0..<(try b.readKafkaNonNullArrayCount("partitions", flexible: true)) { partitions.insert(try b.readKafkaInt32("partitions")) }
            try skipTags(&b)
            out[id, default: []].formUnion(partitions)
        }
        return out
    }
}

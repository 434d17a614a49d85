import GregorStorage
import KafkaProtocol
import NIOCore

/// The key of a `__transaction_state` record (Kafka's `TransactionLogKey`): a version prefix,
/// then the transactional id. Only version 0 exists and it is not flexible, so the id is an
/// int16-prefixed string.
public enum TransactionLogKey {
    /// The only key version Kafka has defined.
    public static let version: Int16 = 0

    /// The key bytes of `transactionalId`.
    public static func encode(_ transactionalId: String) throws(KafkaEncodingError) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        try buffer.writeKafkaString(transactionalId, flexible: false, "TransactionalId")
        return buffer
    }

    /// The transactional id of a key; nil for a key version Kafka does not write (Kafka's
    /// `UnknownKey`, skipped at load).
    public static func decode(_ key: ByteBuffer) throws(KafkaDecodingError) -> String? {
        var buffer = key
        guard try buffer.readKafkaInt16("version") == version else { return nil }
        return try buffer.readKafkaString("TransactionalId", flexible: false)
    }
}

/// The value of a `__transaction_state` record (Kafka's `TransactionLogValue`). Version 0 is
/// the original KIP-98 layout; version 1 (KIP-890, written once `transaction.version` >= 1, so by
/// every Kafka 4.0 cluster formatted fresh) is flexible and adds the tagged fields
/// PreviousProducerId (tag 0), NextProducerId (tag 1) and ClientTransactionVersion (tag 2).
/// Tagged fields are written only when they differ from their defaults, as Kafka's generated
/// code does, and tags Kafka added later are skipped on read.
public struct TransactionLogValue: Sendable, Hashable {
    public var producerId: Int64
    /// Tagged (v1+); -1 when unknown.
    public var previousProducerId: Int64 = -1
    /// Tagged (v1+): the producer id a TV2 commit or abort rolls over to at epoch exhaustion.
    public var nextProducerId: Int64 = -1
    public var producerEpoch: Int16
    public var transactionTimeoutMs: Int32
    /// ``TransactionState/rawValue``.
    public var transactionStatus: Int8
    /// Null (nil) in Empty records: Kafka writes no partition list for them.
    public var partitions: [TopicPartition]?
    public var lastUpdateTimestampMs: Int64
    public var startTimestampMs: Int64
    /// Tagged (v1+): the transaction version of the client that made the transition.
    public var clientTransactionVersion: Int16 = 0

    /// The highest value version Kafka 4.0 reads and writes.
    public static let highestVersion: Int16 = 1

    public init(
        producerId: Int64, previousProducerId: Int64 = -1, nextProducerId: Int64 = -1, producerEpoch: Int16,
        transactionTimeoutMs: Int32, transactionStatus: Int8, partitions: [TopicPartition]?, lastUpdateTimestampMs: Int64,
        startTimestampMs: Int64, clientTransactionVersion: Int16 = 0
    ) {
        self.producerId = producerId
        self.previousProducerId = previousProducerId
        self.nextProducerId = nextProducerId
        self.producerEpoch = producerEpoch
        self.transactionTimeoutMs = transactionTimeoutMs
        self.transactionStatus = transactionStatus
        self.partitions = partitions
        self.lastUpdateTimestampMs = lastUpdateTimestampMs
        self.startTimestampMs = startTimestampMs
        self.clientTransactionVersion = clientTransactionVersion
    }

    /// The value bytes at `version`, with its int16 version prefix. Partitions are grouped by
    /// topic in topic order; version 0 cannot hold the tagged fields and drops them.
    public func encode(version: Int16 = TransactionLogValue.highestVersion) throws(KafkaEncodingError) -> ByteBuffer {
        let flexible = version >= 1
        var buffer = ByteBuffer()
        buffer.writeInteger(version)
        buffer.writeInteger(producerId)
        buffer.writeInteger(producerEpoch)
        buffer.writeInteger(transactionTimeoutMs)
        buffer.writeInteger(transactionStatus)
        if let partitions {
            let byTopic = Dictionary(grouping: partitions, by: \.topic).sorted { $0.key < $1.key }
            try buffer.writeKafkaArrayCount(byTopic.count, flexible: flexible, "TransactionPartitions")
            for (topic, tps) in byTopic {
                try buffer.writeKafkaString(topic, flexible: flexible, "Topic")
                let ids = tps.map(\.partition).sorted()
                try buffer.writeKafkaArrayCount(ids.count, flexible: flexible, "PartitionIds")
                for id in ids { buffer.writeInteger(id) }
                if flexible { buffer.writeUnsignedVarInt(0) }
            }
        } else {
            try buffer.writeKafkaArrayCount(nil, flexible: flexible, "TransactionPartitions")
        }
        buffer.writeInteger(lastUpdateTimestampMs)
        buffer.writeInteger(startTimestampMs)
        if flexible {
            var tags: [(UInt32, (inout ByteBuffer) -> Void)] = []
            if previousProducerId != -1 { tags.append((0, { [previousProducerId] in $0.writeInteger(previousProducerId) })) }
            if nextProducerId != -1 { tags.append((1, { [nextProducerId] in $0.writeInteger(nextProducerId) })) }
            if clientTransactionVersion != 0 { tags.append((2, { [clientTransactionVersion] in $0.writeInteger(clientTransactionVersion) })) }
            buffer.writeUnsignedVarInt(UInt32(tags.count))
            for (tag, body) in tags {
                buffer.writeUnsignedVarInt(tag)
                var field = ByteBuffer()
                body(&field)
                buffer.writeUnsignedVarInt(UInt32(field.readableBytes))
                buffer.writeImmutableBuffer(field)
            }
        }
        return buffer
    }

    /// Reads a value of any version Kafka has written (0 and 1).
    public static func decode(_ value: ByteBuffer) throws(KafkaDecodingError) -> TransactionLogValue {
        var buffer = value
        let version = try buffer.readKafkaInt16("version")
        guard (0...highestVersion).contains(version) else {
            throw KafkaDecodingError(.unsupportedVersion, field: "TransactionLogValue", message: "value version \(version)", version: version)
        }
        let flexible = version >= 1
        let producerId = try buffer.readKafkaInt64("ProducerId")
        let epoch = try buffer.readKafkaInt16("ProducerEpoch")
        let timeout = try buffer.readKafkaInt32("TransactionTimeoutMs")
        let status = try buffer.readKafkaInt8("TransactionStatus")
        var partitions: [TopicPartition]?
        if let topics = try buffer.readKafkaArrayCount("TransactionPartitions", flexible: flexible) {
            var list: [TopicPartition] = []
            for _ in 0..<topics {
                let topic = try buffer.readKafkaString("Topic", flexible: flexible)
                let count = try buffer.readKafkaNonNullArrayCount("PartitionIds", flexible: flexible)
                for _ in 0..<count { list.append(TopicPartition(topic, try buffer.readKafkaInt32("PartitionIds"))) }
                if flexible { try skipTaggedFields(&buffer) }
            }
            partitions = list
        }
        var result = TransactionLogValue(
            producerId: producerId, producerEpoch: epoch, transactionTimeoutMs: timeout, transactionStatus: status,
            partitions: partitions, lastUpdateTimestampMs: try buffer.readKafkaInt64("TransactionLastUpdateTimestampMs"),
            startTimestampMs: try buffer.readKafkaInt64("TransactionStartTimestampMs"))
        guard flexible else { return result }
        let count = try buffer.readUnsignedVarInt("tagged fields")
        for _ in 0..<count {
            let tag = try buffer.readUnsignedVarInt("tag")
            var data = try buffer.readKafkaTaggedFieldData("tagged field")
            switch tag {
            case 0: result.previousProducerId = try data.readKafkaInt64("PreviousProducerId")
            case 1: result.nextProducerId = try data.readKafkaInt64("NextProducerId")
            case 2: result.clientTransactionVersion = try data.readKafkaInt16("ClientTransactionVersion")
            default: break
            }
        }
        return result
    }

    static func skipTaggedFields(_ buffer: inout ByteBuffer) throws(KafkaDecodingError) {
        let count = try buffer.readUnsignedVarInt("tagged fields")
        for _ in 0..<count {
            _ = try buffer.readUnsignedVarInt("tag")
            _ = try buffer.readKafkaTaggedFieldData("tagged field")
        }
    }
}

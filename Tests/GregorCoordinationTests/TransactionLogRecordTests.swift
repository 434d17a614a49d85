import GregorStorage
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorCoordination

/// `__transaction_state` records in Kafka's byte layout.
struct TransactionLogRecordTests {
    static let ongoing = TransactionLogValue(
        producerId: 5, nextProducerId: 9, producerEpoch: 2, transactionTimeoutMs: 60_000, transactionStatus: 1,
        partitions: [TopicPartition("t", 1), TopicPartition("t", 0)], lastUpdateTimestampMs: 100, startTimestampMs: 50,
        clientTransactionVersion: 2)

    @Test func keyIsVersionZeroThenAnInt16String() throws {
        let key = try TransactionLogKey.encode("t")
        #expect(Array(key.readableBytesView) == [0, 0, 0, 1, 0x74])
        #expect(try TransactionLogKey.decode(key) == "t")
        #expect(try TransactionLogKey.decode(ByteBuffer(bytes: [0, 1, 0, 1, 0x74])) == nil)
    }

    /// Version 1 is flexible: compact arrays and strings, and the tagged fields written only when
    /// they differ from their defaults, in tag order.
    @Test func valueVersionOneMatchesKafkasLayout() throws {
        let expected: [UInt8] = [0, 1]
            + [0, 0, 0, 0, 0, 0, 0, 5] + [0, 2] + [0, 0, 0xEA, 0x60] + [1]
            + [2, 2, 0x74, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0]
            + [0, 0, 0, 0, 0, 0, 0, 100] + [0, 0, 0, 0, 0, 0, 0, 50]
            + [2, 1, 8, 0, 0, 0, 0, 0, 0, 0, 9, 2, 2, 0, 2]
        let bytes = try Self.ongoing.encode(version: 1)
        #expect(Array(bytes.readableBytesView) == expected)
        var decoded = try TransactionLogValue.decode(ByteBuffer(bytes: expected))
        #expect(decoded.partitions == [TopicPartition("t", 0), TopicPartition("t", 1)])
        decoded.partitions = Self.ongoing.partitions
        #expect(decoded == Self.ongoing)
    }

    /// Version 0 (KIP-98) has int16 strings, int32 arrays, a null array for Empty, no tags.
    @Test func valueVersionZeroMatchesKafkasLayoutAndDropsTags() throws {
        let empty = TransactionLogValue(
            producerId: 5, previousProducerId: 4, producerEpoch: 0, transactionTimeoutMs: 1000, transactionStatus: 0,
            partitions: nil, lastUpdateTimestampMs: 7, startTimestampMs: -1)
        let expected: [UInt8] = [0, 0] + [0, 0, 0, 0, 0, 0, 0, 5] + [0, 0] + [0, 0, 0x03, 0xE8] + [0]
            + [0xFF, 0xFF, 0xFF, 0xFF] + [0, 0, 0, 0, 0, 0, 0, 7] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(Array(try empty.encode(version: 0).readableBytesView) == expected)
        var back = empty
        back.previousProducerId = -1
        #expect(try TransactionLogValue.decode(ByteBuffer(bytes: expected)) == back)
        let withPartitions = try TransactionLogValue.decode(try Self.ongoing.encode(version: 0))
        #expect(withPartitions.nextProducerId == -1 && withPartitions.clientTransactionVersion == 0)
        #expect(withPartitions.partitions?.count == 2)
    }

    @Test func unknownTagsAreSkippedAndUnknownVersionsRefused() throws {
        var bytes = try Self.ongoing.encode(version: 1)
        bytes.moveWriterIndex(to: bytes.writerIndex - 15)
        bytes.writeBytes([1, 9, 2, 0xAB, 0xCD])
        let decoded = try TransactionLogValue.decode(bytes)
        #expect(decoded.nextProducerId == -1 && decoded.producerId == 5)
        #expect(throws: KafkaDecodingError.self) { try TransactionLogValue.decode(ByteBuffer(bytes: [0, 2, 0])) }
    }

    /// Records round-trip through the shard's codec; a nil value is a tombstone; the last
    /// producer epoch is not written (-1 after a load, as in Kafka).
    @Test func shardRecordsRoundTrip() throws {
        let metadata = TransactionMetadata(
            transactionalId: "txn-é", producerId: 10, previousProducerId: 9, producerEpoch: 3, lastProducerEpoch: 2, timeoutMs: 5000,
            state: .prepareCommit, partitions: [ordersP0, offsetsTp], startTimestamp: 10, lastUpdateTimestamp: 20, clientTransactionVersion: 2)
        let bytes = try TransactionShard.encode(.metadata(metadata))
        var loaded = metadata
        loaded.lastProducerEpoch = -1
        #expect(try TransactionShard.decode(bytes) == .metadata(loaded))
        let tombstone = try TransactionShard.encode(.tombstone(transactionalId: "x"))
        #expect(tombstone.value == nil)
        #expect(try TransactionShard.decode(tombstone) == .tombstone(transactionalId: "x"))
        var empty = metadata
        empty.state = .empty
        #expect(try TransactionShard.encode(.metadata(empty)).value.map(TransactionLogValue.decode)?.partitions == nil)
        for state in TransactionState.allCases { #expect(TransactionState(rawValue: state.rawValue) == state) }
        #expect(TransactionState.allCases.map(\.rawValue) == Array(0...7))
    }
}

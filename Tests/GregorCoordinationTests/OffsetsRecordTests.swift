import GregorStorage
import KafkaProtocol
import NIOCore
import Testing
@testable import GregorCoordination

/// Bytes derived by hand from Kafka's `OffsetCommitKey.json`, `OffsetCommitValue.json` and
/// `GroupMetadataKey.json` with `CoordinatorRecordSerde`'s framing (int16 version first).
@Suite struct OffsetsRecordTests {
    @Test func offsetCommitKeyIsVersionOneThenGroupTopicPartition() throws {
        let key = try OffsetRecords.offsetCommitKey(group: "g", TopicPartition("t", 2))
        #expect(Array(key.readableBytesView) == [
            0x00, 0x01,              // key version 1 = record type OffsetCommit
            0x00, 0x01, 0x67,        // group "g": int16 length + UTF-8
            0x00, 0x01, 0x74,        // topic "t"
            0x00, 0x00, 0x00, 0x02,  // partition 2
        ])
    }

    @Test func offsetCommitValueIsVersionThree() throws {
        let value = try OffsetRecords.offsetCommitValue(
            CommittedOffset(offset: 5, leaderEpoch: 7, metadata: "m", commitTimestamp: 1000))
        #expect(Array(value.readableBytesView) == [
            0x00, 0x03,                                      // value version 3
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // offset
            0x00, 0x00, 0x00, 0x07,                          // leaderEpoch
            0x00, 0x01, 0x6D,                                // metadata "m"
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8,  // commitTimestamp 1000
        ])
    }

    @Test func noLeaderEpochIsMinusOne() throws {
        let value = try OffsetRecords.offsetCommitValue(CommittedOffset(offset: 0, commitTimestamp: 0))
        #expect(Array(value.readableBytesView)[10..<14] == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Array(value.readableBytesView)[14..<16] == [0x00, 0x00])  // "" metadata
    }

    @Test func explicitExpireTimestampUsesVersionOneWithoutEpoch() throws {
        let value = try OffsetRecords.offsetCommitValue(
            CommittedOffset(offset: 5, leaderEpoch: 7, metadata: "m", commitTimestamp: 1000, expireTimestamp: 2000))
        #expect(Array(value.readableBytesView) == [
            0x00, 0x01,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
            0x00, 0x01, 0x6D,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xD0,  // expireTimestamp 2000
        ])
        let back = try OffsetRecords.decodeOffsetCommitValue(value)
        #expect(back == CommittedOffset(offset: 5, leaderEpoch: nil, metadata: "m", commitTimestamp: 1000, expireTimestamp: 2000))
    }

    @Test func groupMetadataKeyIsVersionTwo() throws {
        let key = try OffsetRecords.groupMetadataKey(group: "g")
        #expect(Array(key.readableBytesView) == [0x00, 0x02, 0x00, 0x01, 0x67])
        #expect(try OffsetRecords.decodeKey(key) == .groupMetadata(group: "g"))
    }

    @Test func decodesEveryValueVersion() throws {
        let offset: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 9]
        let ts: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0x64]
        let v0 = [0x00, 0x00] + offset + [0x00, 0x02, 0x6D, 0x64] + ts
        #expect(try decode(v0) == CommittedOffset(offset: 9, metadata: "md", commitTimestamp: 100))
        let v2 = [0x00, 0x02] + offset + [0x00, 0x00] + ts
        #expect(try decode(v2) == CommittedOffset(offset: 9, metadata: "", commitTimestamp: 100))
        let v1NoExpire = [0x00, 0x01] + offset + [0x00, 0x00] + ts + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        #expect(try decode(v1NoExpire).expireTimestamp == nil)
        // v4 is flexible: compact string (length + 1 as a varint) and a tagged-field section,
        // here with one unknown tag (5, two bytes) that must be skipped.
        let v4 = [0x00, 0x04] + offset + [0x00, 0x00, 0x00, 0x03] + [0x03, 0x6D, 0x64] + ts + [0x01, 0x05, 0x02, 0xAA, 0xBB]
        #expect(try decode(v4) == CommittedOffset(offset: 9, leaderEpoch: 3, metadata: "md", commitTimestamp: 100))
    }

    @Test func truncatedValueIsAnError() {
        #expect(throws: OffsetRecordError.self) { try decode([0x00, 0x03, 0x00, 0x00]) }
    }

    @Test func keysRoundTripAndOtherTypesAreRecognised() throws {
        let key = try OffsetRecords.offsetCommitKey(group: "grüppe", TopicPartition("tópic", 40))
        #expect(try OffsetRecords.decodeKey(key) == .offsetCommit(group: "grüppe", TopicPartition("tópic", 40)))
        var v0 = key
        v0.setInteger(Int16(0), at: v0.readerIndex)
        #expect(try OffsetRecords.decodeKey(v0) == .offsetCommit(group: "grüppe", TopicPartition("tópic", 40)))
        // ConsumerGroupMetadataKey (type 3): group string; a share group's (type 9) is skipped.
        #expect(try OffsetRecords.decodeKey(ByteBuffer(bytes: [0x00, 0x03, 0x00, 0x01, 0x67])) == .consumerGroup(type: 3, group: "g", member: nil))
        #expect(try OffsetRecords.decodeKey(ByteBuffer(bytes: [0x00, 0x09, 0x00, 0x01, 0x67])) == .other(type: 9))
    }

    @Test func overlongGroupCannotBeSerialized() {
        #expect(throws: OffsetStoreError.self) {
            _ = try OffsetRecords.offsetCommitKey(group: String(repeating: "x", count: 32768), TopicPartition("t", 0))
        }
    }

    /// Java's String.hashCode by hand: "g" = 103; "Aa" = 65*31+97 = 2112 = "BB" = 66*31+66;
    /// "hello" = ((((104*31+101)*31+108)*31+108)*31+111) = 99162322; the surrogate pair of
    /// U+1F600 is 0xD83D, 0xDE00: 55357*31+56832 = 1772899. "my-group" overflows to
    /// -1906497762 and "polygenelubricants" famously hashes to Integer.MIN_VALUE.
    @Test func hashingMatchesJava() {
        #expect(OffsetStoreConfig.javaHashCode("") == 0)
        #expect(OffsetStoreConfig.javaHashCode("g") == 103)
        #expect(OffsetStoreConfig.javaHashCode("Aa") == 2112)
        #expect(OffsetStoreConfig.javaHashCode("BB") == 2112)
        #expect(OffsetStoreConfig.javaHashCode("hello") == 99_162_322)
        #expect(OffsetStoreConfig.javaHashCode("😀") == 1_772_899)
        #expect(OffsetStoreConfig.javaHashCode("my-group") == -1_906_497_762)
        #expect(OffsetStoreConfig.javaHashCode("polygenelubricants") == Int32.min)
    }

    @Test func partitionIsKafkaAbsModuloCount() {
        let c = OffsetStoreConfig()
        #expect(c.numPartitions == 50)
        #expect(c.partition(for: "g") == 3)
        #expect(c.partition(for: "hello") == 22)
        #expect(c.partition(for: "my-group") == 12)            // 1906497762 % 50
        #expect(c.partition(for: "polygenelubricants") == 0)   // Utils.abs(MIN_VALUE) = 0
        #expect(c.partition(for: "😀") == 49)
        #expect(OffsetStoreConfig.partition(for: "console-consumer-12345", partitions: 50) == 6)
        #expect(OffsetStoreConfig.partition(for: "my-group", partitions: 1) == 0)
    }

    @Test func topicIsCreatedAsKafkaDoes() {
        let c = OffsetStoreConfig()
        #expect(c.topicConfigs == ["cleanup.policy": "compact", "compression.type": "producer", "segment.bytes": "104857600"])
        #expect(c.logConfig.cleanupPolicy == .compact)
        #expect(c.logConfig.segmentBytes == 104_857_600)
        #expect(c.metadataMaxBytes == 4096)
        #expect(c.retentionMs == 7 * 24 * 3_600_000)
    }

    private func decode(_ bytes: [UInt8]) throws -> CommittedOffset {
        try OffsetRecords.decodeOffsetCommitValue(ByteBuffer(bytes: bytes))
    }
}

import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import GregorCoordination

/// GroupMetadataValue bytes derived by hand from Kafka's `GroupMetadataValue.json` (v0-v4, flexible
/// from v4) with `CoordinatorRecordSerde`'s framing (int16 version first), and the store's
/// handling of the records.
@Suite struct GroupMetadataRecordTests {
    static let member = GroupMetadataSnapshot.Member(
        memberId: "m", clientId: "c", clientHost: "/h", rebalanceTimeoutMs: 300, sessionTimeoutMs: 45_000,
        subscription: [1, 2], assignment: [3])
    static let snapshot = GroupMetadataSnapshot(
        groupId: "g", protocolType: "consumer", generationId: 5, protocolName: "range", leaderId: "m",
        currentStateTimestamp: 1000, members: [member])

    @Test func valueIsVersionThree() throws {
        let value = try OffsetRecords.groupMetadataValue(Self.snapshot)
        #expect(Array(value.readableBytesView) == [
            0x00, 0x03,                                            // value version 3
            0x00, 0x08, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // protocolType "consumer"
            0x00, 0x00, 0x00, 0x05,                                // generation
            0x00, 0x05, 0x72, 0x61, 0x6E, 0x67, 0x65,              // protocol "range"
            0x00, 0x01, 0x6D,                                      // leader "m"
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8,        // currentStateTimestamp 1000
            0x00, 0x00, 0x00, 0x01,                                // members: int32 count
            0x00, 0x01, 0x6D,                                      // memberId "m"
            0xFF, 0xFF,                                            // groupInstanceId null (v3+)
            0x00, 0x01, 0x63,                                      // clientId "c"
            0x00, 0x02, 0x2F, 0x68,                                // clientHost "/h"
            0x00, 0x00, 0x01, 0x2C,                                // rebalanceTimeout 300 (v1+)
            0x00, 0x00, 0xAF, 0xC8,                                // sessionTimeout 45000
            0x00, 0x00, 0x00, 0x02, 0x01, 0x02,                    // subscription
            0x00, 0x00, 0x00, 0x01, 0x03,                          // assignment
        ])
        #expect(try OffsetRecords.decodeGroupMetadataValue(value, group: "g") == Self.snapshot)
    }

    @Test func anEmptyGroupHasNullProtocolAndLeader() throws {
        let value = try OffsetRecords.groupMetadataValue(GroupMetadataSnapshot(groupId: "g", protocolType: "", generationId: 0))
        #expect(Array(value.readableBytesView) == [
            0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // currentStateTimestamp -1
            0x00, 0x00, 0x00, 0x00,
        ])
        let back = try OffsetRecords.decodeGroupMetadataValue(value, group: "g")
        #expect(back == GroupMetadataSnapshot(groupId: "g", protocolType: "", generationId: 0))
    }

    @Test func versionZeroLacksTimestampRebalanceTimeoutAndInstanceId() throws {
        let v0 = ByteBuffer(bytes: [
            0x00, 0x00,
            0x00, 0x08, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,
            0x00, 0x00, 0x00, 0x05,
            0x00, 0x05, 0x72, 0x61, 0x6E, 0x67, 0x65,
            0x00, 0x01, 0x6D,
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x01, 0x6D, 0x00, 0x01, 0x63, 0x00, 0x02, 0x2F, 0x68,
            0x00, 0x00, 0xAF, 0xC8,
            0x00, 0x00, 0x00, 0x02, 0x01, 0x02,
            0x00, 0x00, 0x00, 0x01, 0x03,
        ])
        var expected = Self.snapshot
        expected.currentStateTimestamp = nil
        expected.members[0].rebalanceTimeoutMs = -1
        #expect(try OffsetRecords.decodeGroupMetadataValue(v0, group: "g") == expected)
    }

    @Test func versionFourIsFlexibleWithTaggedFields() throws {
        let v4 = ByteBuffer(bytes: [
            0x00, 0x04,
            0x09, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72,  // compact string: length + 1
            0x00, 0x00, 0x00, 0x05,
            0x06, 0x72, 0x61, 0x6E, 0x67, 0x65,
            0x02, 0x6D,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8,
            0x02,                                                // compact array: count + 1
            0x02, 0x6D, 0x02, 0x69,                              // memberId "m", groupInstanceId "i"
            0x02, 0x63, 0x03, 0x2F, 0x68,
            0x00, 0x00, 0x01, 0x2C, 0x00, 0x00, 0xAF, 0xC8,
            0x03, 0x01, 0x02, 0x02, 0x03,                        // compact bytes
            0x01, 0x07, 0x01, 0xAA,                              // member: one unknown tag (7), 1 byte
            0x00,                                                // no top-level tags
        ])
        var expected = Self.snapshot
        expected.members[0].groupInstanceId = "i"
        #expect(try OffsetRecords.decodeGroupMetadataValue(v4, group: "g") == expected)
    }

    @Test func aTruncatedValueIsAnError() throws {
        let value = try OffsetRecords.groupMetadataValue(Self.snapshot)
        #expect(throws: OffsetRecordError.self) {
            try OffsetRecords.decodeGroupMetadataValue(value.getSlice(at: 0, length: value.readableBytes - 1)!, group: "g")
        }
    }

    @Test func theStoreKeepsTheLastValueAcrossARestartAndATombstoneDeletesIt() throws {
        let dir = OffsetsTempDir()
        do {
            let (_, store, _) = try openOffsetStore(dir)
            try store.storeGroup(GroupMetadataSnapshot(groupId: "g", protocolType: "", generationId: 0), now: 1)
            try store.storeGroup(Self.snapshot, now: 2)
            try store.storeGroup(GroupMetadataSnapshot(groupId: "other", protocolType: "consumer", generationId: 3), now: 3)
            #expect(try store.commit(group: "g", offsets: [entry("orders", 0, 10)], now: 4) == [.none])
            #expect(store.loadedGroups.map(\.groupId) == ["g", "other"])
        }
        do {
            let (_, store, report) = try openOffsetStore(dir)
            #expect(report.groups == 2 && report.offsets == 1 && report.unreadable == 0)
            #expect(store.loadedGroups == [
                Self.snapshot, GroupMetadataSnapshot(groupId: "other", protocolType: "consumer", generationId: 3),
            ])
            try store.deleteGroup("g", now: 5)
            #expect(store.loadedGroups.map(\.groupId) == ["other"])
        }
        let (_, store, report) = try openOffsetStore(dir)
        #expect(report.groups == 1 && report.offsets == 0)
        #expect(store.loadedGroups.map(\.groupId) == ["other"])
    }
}

import Foundation
@testable import GregorClient
import KafkaProtocol
import NIOCore
import Testing

@Suite("groups list, describe, delete and reset-offsets against a real broker")
struct GroupCommandsTests {
    /// "orders" with 5 records in partition 0 and 3 in partition 1, timestamped 1000, 2000… ms.
    static func makeOrders(_ client: KafkaClient) async throws {
        try await client.createTopic("orders", partitions: 2, replicationFactor: 1)
        for (partition, count) in [(Int32(0), 5), (1, 3)] {
            let records = (0..<count).map { ProducerRecord(value: ByteBuffer(string: "o\($0)"), timestamp: Int64($0 + 1) * 1000) }
            let results = try await client.produce(topic: "orders", partition: partition, records: records)
            #expect(results.map(\.error) == [.none])
        }
    }

    static let p0 = TopicAndPartition("orders", 0)
    static let p1 = TopicAndPartition("orders", 1)

    @Test func adminCommitThenListDescribeWithLagThenDelete() async throws {
        try await ClientTestBroker.with { client, _ in
            try await Self.makeOrders(client)
            try await client.commitOffsets(group: "billing", [Self.p0: 2, Self.p1: 3])
            #expect(try await client.committedOffsets(group: "billing") == [Self.p0: 2, Self.p1: 3])
            #expect(try await client.committedOffsets(group: "billing", topics: ["orders"]) == [Self.p0: 2, Self.p1: 3])

            let listed = try await client.listGroups()
            #expect(listed.map(\.groupId) == ["billing"])
            #expect(listed.first?.state == "Empty")
            #expect(listed.first?.type.lowercased() == "classic")
            #expect(try await client.listGroups(states: ["empty"]).map(\.groupId) == ["billing"])
            #expect(try await client.listGroups(states: ["Stable"]).isEmpty)

            let (description, lags) = try await client.describeGroupOffsets("billing")
            #expect(description.state == "Empty")
            #expect(description.members.isEmpty)
            #expect(description.isInactive)
            #expect(lags.map(\.partition) == [Self.p0, Self.p1])
            #expect(lags.map(\.currentOffset) == [2, 3])
            #expect(lags.map(\.logEndOffset) == [5, 3])
            #expect(lags.map(\.lag) == [3, 0])
            #expect(lags.allSatisfy { $0.member == nil })

            try await client.deleteGroup("billing")
            #expect(try await client.listGroups().isEmpty)
            #expect(try await client.committedOffsets(group: "billing").isEmpty)
            await #expect(throws: KafkaClient.groupNotFound("billing")) {
                try await client.describeGroupOffsets("billing")
            }
            await #expect(throws: GregorClientError.broker(.groupIdNotFound, nil, context: "cannot delete group billing")) {
                try await client.deleteGroup("billing")
            }
        }
    }

    @Test func resetOffsetsPlansWithoutExecuteAndCommitsWithIt() async throws {
        try await ClientTestBroker.with { client, _ in
            try await Self.makeOrders(client)
            try await client.commitOffsets(group: "g", [Self.p0: 2, Self.p1: 1])
            let orders = [TopicSelection(topic: "orders")]

            // A dry run plans but commits nothing.
            var plan = try await client.resetOffsets(group: "g", topics: orders, to: .earliest, execute: false)
            #expect(plan == [Self.p0: 0, Self.p1: 0])
            #expect(try await client.committedOffsets(group: "g") == [Self.p0: 2, Self.p1: 1])

            plan = try await client.resetOffsets(group: "g", topics: orders, to: .earliest, execute: true)
            #expect(try await client.committedOffsets(group: "g") == [Self.p0: 0, Self.p1: 0])

            plan = try await client.resetOffsets(group: "g", topics: orders, to: .latest, execute: true)
            #expect(plan == [Self.p0: 5, Self.p1: 3])
            #expect(try await client.committedOffsets(group: "g") == [Self.p0: 5, Self.p1: 3])

            // Offsets past the log end are clamped to it, as Kafka's tool does.
            plan = try await client.resetOffsets(group: "g", topics: orders, to: .offset(4), execute: true)
            #expect(plan == [Self.p0: 4, Self.p1: 3])

            plan = try await client.resetOffsets(group: "g", topics: orders, to: .shiftBy(-2), execute: true)
            #expect(plan == [Self.p0: 2, Self.p1: 1])
            plan = try await client.resetOffsets(group: "g", topics: orders, to: .shiftBy(-5), execute: false)
            #expect(plan == [Self.p0: 0, Self.p1: 0])

            // Records carry timestamps 1000, 2000…: 2.5 s falls before the third record.
            let ms = try OffsetResetTarget.parseDateTime("1970-01-01T00:00:02.500Z")
            #expect(ms == 2500)
            plan = try await client.resetOffsets(group: "g", topics: orders, to: .timestamp(ms), execute: false)
            #expect(plan == [Self.p0: 2, Self.p1: 2])
            #expect(try await client.committedOffsets(group: "g") == [Self.p0: 2, Self.p1: 1])
            // After every record: the log end.
            plan = try await client.resetOffsets(group: "g", topics: orders, to: .timestamp(4500), execute: true)
            #expect(plan == [Self.p0: 4, Self.p1: 3])
            #expect(try await client.committedOffsets(group: "g") == [Self.p0: 4, Self.p1: 3])

            // Only the partitions named; --all-topics covers what the group has committed.
            plan = try await client.resetOffsets(
                group: "g", topics: [TopicSelection(parsing: "orders:1")], to: .earliest, execute: true)
            #expect(plan == [Self.p1: 0])
            plan = try await client.resetOffsets(group: "g", topics: nil, to: .latest, execute: false)
            #expect(plan == [Self.p0: 5, Self.p1: 3])

            // A group that does not exist yet is Dead, hence inactive: the reset creates it.
            plan = try await client.resetOffsets(group: "fresh", topics: orders, to: .offset(1), execute: true)
            #expect(try await client.committedOffsets(group: "fresh") == [Self.p0: 1, Self.p1: 1])
            await #expect(throws: GregorClientError.self) {
                try await client.resetOffsets(group: "nothing", topics: orders, to: .shiftBy(1), execute: false)
            }
            await #expect(throws: GregorClientError.broker(.unknownTopicOrPartition, nil, context: "partition orders-7")) {
                try await client.resetOffsets(group: "g", topics: [TopicSelection(topic: "orders", partitions: [7])], to: .latest, execute: false)
            }
        }
    }

    @Test func aGroupWithMembersCannotBeResetOrDeleted() async throws {
        try await ClientTestBroker.with { client, _ in
            try await Self.makeOrders(client)
            let memberId = try await Self.joinAsSoleConsumer(client, group: "live", assignment: [Self.p0, Self.p1])

            let (description, lags) = try await client.describeGroupOffsets("live")
            #expect(description.state == "Stable")
            #expect(description.protocolType == "consumer")
            #expect(description.protocolName == "range")
            #expect(description.members.map(\.memberId) == [memberId])
            #expect(description.members.first?.clientId == "gregor-cli")
            #expect(description.members.first?.assignment == [Self.p0, Self.p1])
            #expect(lags.map(\.partition) == [Self.p0, Self.p1])
            #expect(lags.map(\.currentOffset) == [nil, nil])
            #expect(lags.map(\.logEndOffset) == [5, 3])
            #expect(lags.map { $0.member?.memberId } == [memberId, memberId])

            let message = "Assignments can only be reset if the group 'live' is inactive, but the current state is Stable."
            await #expect(throws: GregorClientError.broker(.nonEmptyGroup, message, context: "cannot reset offsets of group live")) {
                try await client.resetOffsets(group: "live", topics: [TopicSelection(topic: "orders")], to: .earliest, execute: false)
            }
            await #expect(throws: GregorClientError.broker(.nonEmptyGroup, nil, context: "cannot delete group live")) {
                try await client.deleteGroup("live")
            }
            // The broker itself refuses an admin commit to a group with members.
            await #expect(throws: GregorClientError.self) {
                try await client.commitOffsets(group: "live", [Self.p0: 1])
            }

            let leaveRequest = try client.version(of: LeaveGroupRequest.self) >= 3
                ? LeaveGroupRequest(groupId: "live", members: [.init(memberId: memberId)])
                : LeaveGroupRequest(groupId: "live", memberId: memberId)
            let leave = try await client.send(leaveRequest)
            #expect(leave.errorCode == 0)
            #expect(try await client.describeGroup("live").state == "Empty")
            try await client.deleteGroup("live")
        }
    }

    /// JoinGroup (retrying with the member id the broker hands out, KIP-394) and SyncGroup as
    /// leader assigning `assignment` to itself. Waits out group.initial.rebalance.delay.ms.
    static func joinAsSoleConsumer(_ client: KafkaClient, group: String, assignment: [TopicAndPartition]) async throws -> String {
        var subscription = ByteBuffer()
        subscription.writeInteger(Int16(0))
        try ConsumerProtocolSubscription(topics: ["orders"]).write(to: &subscription, version: 0)
        var memberId = ""
        var join: JoinGroupResponse
        repeat {
            let request = JoinGroupRequest(
                groupId: group, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 10_000, memberId: memberId, protocolType: "consumer",
                protocols: [.init(name: "range", metadata: Array(subscription.readableBytesView))])
            join = try await client.send(request, timeout: .seconds(15))
            memberId = join.memberId
        } while join.errorCode == ErrorCode.memberIdRequired.rawValue
        #expect(join.errorCode == 0)
        #expect(join.leader == memberId)

        var bytes = ByteBuffer()
        bytes.writeInteger(Int16(0))
        let byTopic = Dictionary(grouping: assignment, by: \.topic)
        try ConsumerProtocolAssignment(assignedPartitions: byTopic.keys.sorted().map { topic in
            .init(topic: topic, partitions: byTopic[topic]!.map(\.partition))
        }).write(to: &bytes, version: 0)
        let sync = try await client.send(SyncGroupRequest(
            groupId: group, generationId: join.generationId, memberId: memberId, protocolType: "consumer", protocolName: "range",
            assignments: [.init(memberId: memberId, assignment: Array(bytes.readableBytesView))]))
        #expect(sync.errorCode == 0)
        return memberId
    }

    @Test func parsesTopicSelectionsAndDateTimes() throws {
        #expect(try TopicSelection(parsing: "orders") == TopicSelection(topic: "orders"))
        #expect(try TopicSelection(parsing: "orders:0,2") == TopicSelection(topic: "orders", partitions: [0, 2]))
        #expect(throws: GregorClientError.self) { try TopicSelection(parsing: "orders:x") }
        #expect(throws: GregorClientError.self) { try TopicSelection(parsing: ":1") }

        let utc = TimeZone(identifier: "UTC")!
        #expect(try OffsetResetTarget.parseDateTime("2024-01-02T03:04:05.678Z") == 1_704_164_645_678)
        #expect(try OffsetResetTarget.parseDateTime("2024-01-02T04:04:05.678+01:00") == 1_704_164_645_678)
        #expect(try OffsetResetTarget.parseDateTime("2024-01-02T03:04:05.678", timeZone: utc) == 1_704_164_645_678)
        #expect(try OffsetResetTarget.parseDateTime("2024-01-02T03:04:05", timeZone: utc) == 1_704_164_645_000)
        #expect(throws: GregorClientError.self) { try OffsetResetTarget.parseDateTime("yesterday") }
    }

    @Test func decodesConsumerAssignments() throws {
        var bytes = ByteBuffer()
        bytes.writeInteger(Int16(1))
        try ConsumerProtocolAssignment(assignedPartitions: [.init(topic: "b", partitions: [1, 0]), .init(topic: "a", partitions: [3])])
            .write(to: &bytes, version: 1)
        #expect(KafkaClient.decodeConsumerAssignment(Array(bytes.readableBytesView)) == [
            TopicAndPartition("a", 3), TopicAndPartition("b", 0), TopicAndPartition("b", 1),
        ])
        #expect(KafkaClient.decodeConsumerAssignment([]) == [])
        #expect(KafkaClient.decodeConsumerAssignment([0, 0, 0xff]) == [])
    }
}

import GregorStorage
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorCoordination

/// KIP-848 groups kept in `__consumer_offsets` as Kafka keeps them (record types 3, 5-8), and
/// brought back when the partition loads again.
@Suite(.timeLimit(.minutes(1)))
struct ConsumerGroupPersistenceTests {
    let clock = ManualClock()
    let topic = GroupCoordinatorRestoreTests.Topic()
    let config = ConsumerGroupConfig(heartbeatIntervalMs: 1000, sessionTimeoutMs: 10_000)

    func coordinator() -> GroupCoordinator {
        let coordinator = GroupCoordinator(
            clock: clock, consumerConfig: config, consumerMemberIdSource: .sequential(), offsets: topic.config, log: topic.log)
        for partition in 0..<topic.config.numPartitions { _ = try? coordinator.runtime.loadNow(partition) }
        return coordinator
    }

    func send(_ coordinator: GroupCoordinator, _ input: ConsumerHeartbeatInput) async -> Reply {
        await coordinator.consumerHeartbeat(input, topics: cgDefaultTopics).reply
    }

    /// The consumer group records written so far, as (type, member) pairs, tombstones marked.
    var written: [String] {
        topic.log.state.withLock { state in
            state.batches.values.flatMap { $0 }.sorted { $0.baseOffset < $1.baseOffset }.flatMap(\.records).compactMap { record in
                guard case .consumerGroup(let type, _, let member)? = try? OffsetRecords.decodeKey(record.bytes.key) else { return nil }
                return "\(type)\(member.map { ":" + $0 } ?? "")\(record.bytes.value == nil ? "-" : "")"
            }
        }
    }

    @Test func recordsRoundTripInKafkasFormat() throws {
        let member = ConsumerGroupRecords.Member(
            instanceId: "i", rackId: nil, clientId: "c", clientHost: "/h", subscribedTopicNames: ["a", "b"], subscribedTopicRegex: nil,
            rebalanceTimeoutMs: 30_000, serverAssignor: "uniform")
        #expect(try ConsumerGroupRecords.decodeMember(ConsumerGroupRecords.memberValue(member)) == member)
        let current = ConsumerGroupRecords.CurrentAssignment(
            memberEpoch: 5, previousMemberEpoch: 4, state: .unrevokedPartitions, assigned: [ordersId: [0, 2]], pendingRevocation: [ordersId: [1]])
        #expect(try ConsumerGroupRecords.decodeCurrentAssignment(ConsumerGroupRecords.currentAssignmentValue(current)) == current)
        let metadata = ConsumerGroupRecords.Metadata(epoch: 7, metadataHash: -42)
        #expect(try ConsumerGroupRecords.decodeMetadata(ConsumerGroupRecords.metadataValue(metadata)) == metadata)
        #expect(try ConsumerGroupRecords.decodeTargetAssignmentMember(ConsumerGroupRecords.targetAssignmentMemberValue([ordersId: [3, 1]]))
            == [ordersId: [1, 3]])
        // ConsumerGroupTargetAssignmentMetadataValue v0: version, epoch, no tagged fields.
        #expect(Array(buffer: try ConsumerGroupRecords.targetAssignmentMetadataValue(epoch: 3)) == [0, 0, 0, 0, 0, 3, 0])
        // ConsumerGroupCurrentMemberAssignmentKey: type 8, then group and member as int16 strings.
        let key = try ConsumerGroupRecords.key(ConsumerGroupRecords.currentAssignmentType, group: "g", member: "m")
        #expect(Array(buffer: key) == [0, 8, 0, 1, 0x67, 0, 1, 0x6d])
        #expect(try OffsetRecords.decodeKey(key) == .consumerGroup(type: 8, group: "g", member: "m"))
    }

    @Test func aGroupComesBackWithItsEpochsMembersAndAssignments() async throws {
        let first = coordinator()
        #expect(await send(first, cgJoin("a")) == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        // Kafka's order: subscription, group epoch, target assignment, current assignment.
        #expect(written == ["5:a", "3", "7:a", "6", "8:a"])
        #expect(await send(first, cgJoin("b")) == ok("b", 2, [:]))
        let before = try #require(await first.consumerGroup("g"))

        clock.advance(to: 5000)
        let second = coordinator()
        let restored = try #require(await second.consumerGroup("g"))
        #expect(restored.groupEpoch == before.groupEpoch && restored.assignmentEpoch == before.assignmentEpoch)
        #expect(restored.members == before.members && restored.targetAssignment == before.targetAssignment)
        #expect(restored.state == .reconciling)
        // Sessions run from the load.
        #expect(restored.sessionDeadline(of: "b") == 15_000)
        // The same topics: no new epoch; a revokes and b gets its half.
        let revoking = await send(second, cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]]))
        let kept = try #require(revoking.assignment?[ordersId])
        #expect(revoking.epoch == 1 && kept.count == 3)
        #expect(await send(second, cgBeat("a", epoch: 1, owned: [ordersId: kept])) == ok("a", 2))
        #expect(await send(second, cgBeat("b", epoch: 2, owned: [:])) == ok("b", 2, [ordersId: Set(0...5).subtracting(kept)]))
        #expect(await second.consumerGroup("g")?.groupEpoch == 2)
    }

    @Test func aFencedMemberAndADeletedGroupAreTombstoned() async throws {
        let first = coordinator()
        _ = await send(first, cgJoin("a"))
        clock.advance(to: 10_000)
        await first.settle()
        #expect(await first.consumerGroup("g")?.state == .empty)
        #expect(written.suffix(4) == ["8:a-", "7:a-", "5:a-", "3"])
        #expect(await coordinator().consumerGroup("g")?.members.isEmpty == true)

        #expect(await first.deleteGroup("g") == nil)
        #expect(written.suffix(2) == ["6-", "3-"])
        #expect(await coordinator().consumerGroup("g") == nil)
        #expect(await coordinator().listGroups().isEmpty)
    }
}

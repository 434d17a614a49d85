import KafkaProtocol
import Testing

@testable import GregorCoordination

/// KIP-848 consumer groups inside the coordinator: one timer, one namespace shared with classic
/// groups, the admin and offset seams dispatching on the group's type.
@Suite(.timeLimit(.minutes(1)))
struct GroupCoordinatorConsumerTests {
    let clock: ManualClock
    let coordinator: GroupCoordinator

    init() {
        let clock = ManualClock()
        self.clock = clock
        coordinator = GroupCoordinator(
            clock: clock, memberIdSource: .sequential(),
            consumerConfig: ConsumerGroupConfig(heartbeatIntervalMs: 1000, sessionTimeoutMs: 10_000),
            consumerMemberIdSource: .sequential())
    }

    func advance(to time: Int64) async {
        clock.advance(to: time)
        await coordinator.settle()
    }

    func join(_ memberId: String, group: String = "g", topics: [String] = ["orders"]) -> ConsumerHeartbeatInput {
        ConsumerHeartbeatInput(
            groupId: group, memberId: memberId, memberEpoch: 0, rebalanceTimeoutMs: 60_000,
            subscribedTopicNames: topics, ownedPartitions: [:])
    }

    func beat(_ memberId: String, epoch: Int32, owned: PartitionAssignment? = nil, group: String = "g") -> ConsumerHeartbeatInput {
        ConsumerHeartbeatInput(groupId: group, memberId: memberId, memberEpoch: epoch, ownedPartitions: owned)
    }

    func send(_ input: ConsumerHeartbeatInput, topics: TopicsImage = cgDefaultTopics) async -> Reply {
        await coordinator.consumerHeartbeat(input, topics: topics).reply
    }

    /// Parks a classic JoinGroup so the classic group has a member.
    func classicMemberJoins() async throws -> Task<JoinResult, any Error> {
        #expect(try await coordinator.join(groupId: "g", joinInput("c")) == .failure(.memberIdRequired, memberId: "c-1"))
        let task = Task { [coordinator] in try await coordinator.join(groupId: "g", joinInput("c", memberId: "c-1")) }
        for _ in 0..<10_000 where coordinator.parkedRequestCount == 0 { await Task.yield() }
        return task
    }

    @Test func theSessionTimeoutRunsOnTheSharedTimer() async {
        #expect(await send(join("a")) == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(coordinator.nextTimerDeadline == 10_000)
        await advance(to: 9_000)
        #expect(await send(beat("a", epoch: 1)) == ok("a", 1))
        #expect(coordinator.nextTimerDeadline == 19_000)

        await advance(to: 19_000)
        #expect(await coordinator.consumerGroup("g")?.state == .empty)
        #expect(coordinator.nextTimerDeadline == nil)
        #expect(await send(beat("a", epoch: 1)) == failed(.unknownMemberId))
        // An empty consumer group lives on (for its offsets) until deleted.
        #expect(await coordinator.listGroups().map { [$0.groupId, $0.protocolType, $0.state, $0.groupType] }
            == [["g", "consumer", "Empty", "consumer"]])
    }

    @Test func twoMembersSplitThePartitionsAfterARevocation() async {
        #expect(await send(join("a")) == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(await send(join("b")) == ok("b", 2, [:]))
        // a must give up half before b gets it.
        let revoking = await send(beat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(revoking.epoch == 1)
        let kept = revoking.assignment?[ordersId] ?? []
        #expect(kept.count == 3)
        #expect(await coordinator.consumerGroup("g")?.state == .reconciling)
        #expect(await send(beat("b", epoch: 2, owned: [:])) == ok("b", 2))
        #expect(await send(beat("a", epoch: 1, owned: [ordersId: kept])) == ok("a", 2))
        #expect(await send(beat("b", epoch: 2, owned: [:])) == ok("b", 2, [ordersId: Set(0...5).subtracting(kept)]))
        #expect(await coordinator.consumerGroup("g")?.state == .stable)
    }

    @Test func aJoinToAnEmptyClassicGroupConvertsIt() async {
        // A commit without group management creates an empty ("simple") classic group.
        #expect(await coordinator.validateOffsetCommit(groupId: "g", memberId: "", groupInstanceId: nil, generationId: -1, apiVersion: 9) == nil)
        #expect(await coordinator.listGroups().map(\.groupType) == ["classic"])
        // Only a join converts; the request is validated first.
        #expect(await send(beat("a", epoch: 3)) == failed(.groupIdNotFound))
        #expect(await coordinator.consumerHeartbeat(beat("a", epoch: 3), topics: cgDefaultTopics).errorMessage
            == "Group g is not a consumer group")
        var invalid = join("a")
        invalid.rebalanceTimeoutMs = -1
        #expect(await send(invalid) == failed(.invalidRequest))
        #expect(await send(join("a")) == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(await coordinator.listGroups().map(\.groupType) == ["consumer"])
        #expect(await coordinator.describeGroup("g").state == "Dead")
    }

    @Test func aNonEmptyClassicGroupIsNotAConsumerGroup() async throws {
        let parked = try await classicMemberJoins()
        let reply = await coordinator.consumerHeartbeat(join("a"), topics: cgDefaultTopics)
        #expect(reply.reply == failed(.groupIdNotFound))
        #expect(reply.errorMessage == "Group g is not a consumer group")
        #expect(await coordinator.describeConsumerGroup("g").map(\.groupId) == .failure(
            ConsumerGroupError(.groupIdNotFound, "Group g is not a consumer group")))
        await advance(to: 3000)
        #expect(try await parked.value.generationId == 1)
    }

    @Test func classicRequestsToAConsumerGroup() async throws {
        #expect(await send(join("a")) == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        // Kafka 3.7's answer: Gregor has no mixed groups (KIP-848 online migration).
        #expect(try await coordinator.join(groupId: "g", joinInput("c")) == .failure(.groupIdNotFound))
        #expect(try await coordinator.sync(groupId: "g", SyncInput(memberId: "a", generationId: 1)) == .failure(.unknownMemberId))
        #expect(await coordinator.heartbeat(groupId: "g", HeartbeatInput(memberId: "a", generationId: 1)) == .unknownMemberId)
        #expect(await coordinator.leave(groupId: "g", [LeavingMember(memberId: "a")]).members.map(\.error) == [.unknownMemberId])
        #expect(await coordinator.describeGroup("g").state == "Dead")
        #expect(await coordinator.consumerGroup("g")?.members.count == 1)

        // Once empty, a classic join (with no member id) replaces it, as Kafka 4.x does.
        #expect(await send(beat("a", epoch: -1)) == ok("a", -1))
        #expect(try await coordinator.join(groupId: "g", joinInput("c", memberId: "x")) == .failure(.unknownMemberId, memberId: "x"))
        #expect(await coordinator.isConsumerGroup("g"))
        #expect(try await coordinator.join(groupId: "g", joinInput("c")) == .failure(.memberIdRequired, memberId: "c-1"))
        #expect(await coordinator.isConsumerGroup("g") == false)
        #expect(await coordinator.listGroups().map(\.groupType) == ["classic"])
    }

    @Test func deletionAndTheOffsetSeamDispatchOnTheType() async {
        #expect(await send(join("a")) == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(await coordinator.deleteGroup("g") == .nonEmptyGroup)
        #expect(await coordinator.groupIsEmpty("g") == false)
        #expect(await coordinator.groupIds == ["g"])

        // Commits are fenced by the member epoch.
        func commit(_ member: String, _ epoch: Int32, version: Int16 = 9) async -> ErrorCode? {
            await coordinator.validateOffsetCommit(groupId: "g", memberId: member, groupInstanceId: nil, generationId: epoch, apiVersion: version)
        }
        #expect(await commit("a", 1) == nil)
        #expect(await commit("a", 2) == .staleMemberEpoch)
        #expect(await commit("a", 1, version: 8) == .unsupportedVersion)
        #expect(await commit("z", 1) == .unknownMemberId)
        #expect(await commit("", -1) == .unknownMemberId)
        #expect(await coordinator.validateOffsetFetch(groupId: "g") == nil)
        #expect(await coordinator.validateOffsetFetch(groupId: "g", memberId: "a", memberEpoch: 1) == nil)
        #expect(await coordinator.validateOffsetFetch(groupId: "g", memberId: "a", memberEpoch: 0) == .staleMemberEpoch)
        #expect(await coordinator.validateOffsetDelete(groupId: "g") == nil)
        #expect(await coordinator.consumerGroup("g")?.isSubscribed(toTopic: "orders") == true)
        #expect(await coordinator.consumerGroup("g")?.isSubscribed(toTopic: "payments") == false)

        #expect(await send(beat("a", epoch: -1)) == ok("a", -1))
        #expect(await coordinator.groupIsEmpty("g") == true)
        #expect(await commit("", -1) == nil)
        #expect(await coordinator.deleteGroup("g") == nil)
        #expect(await coordinator.groupIsEmpty("g") == nil)
        #expect(await coordinator.groupIds.isEmpty)
        #expect(await coordinator.deleteGroup("g") == .groupIdNotFound)
    }

    @Test func listingFiltersAcrossBothTypes() async throws {
        #expect(await send(join("a", group: "c1")) == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(await coordinator.validateOffsetCommit(groupId: "s", memberId: "", groupInstanceId: nil, generationId: -1, apiVersion: 9) == nil)
        #expect(await coordinator.listGroups().map(\.groupId) == ["c1", "s"])
        #expect(await coordinator.listGroups(typesFilter: ["Consumer"]).map(\.groupId) == ["c1"])
        #expect(await coordinator.listGroups(typesFilter: ["classic"]).map(\.groupId) == ["s"])
        #expect(await coordinator.listGroups(typesFilter: ["share"]).isEmpty)
        #expect(await coordinator.listGroups(statesFilter: [" stable "]).map(\.groupId) == ["c1"])
        #expect(await coordinator.listGroups(statesFilter: ["empty"]).map(\.groupId) == ["s"])
    }

    @Test func describeAnswersPerGroup() async {
        #expect(await coordinator.describeConsumerGroup("").map(\.groupId) == .failure(ConsumerGroupError(.invalidGroupId, "")))
        #expect(await coordinator.describeConsumerGroup("g").map(\.groupId) == .failure(
            ConsumerGroupError(.groupIdNotFound, "Group g not found.")))
        #expect(await send(join("a")) == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        let described = try? await coordinator.describeConsumerGroup("g").get()
        #expect(described?.state == .stable)
        #expect(described?.members.map(\.memberId) == ["a"])
        #expect(described?.assignorName == "uniform")
    }

    @Test func aTopicCreatedLaterReachesARegexOnTheNextHeartbeat() async {
        var input = join("a", topics: [])
        input.subscribedTopicNames = nil
        input.subscribedTopicRegex = "pay.*"
        let ordersOnly = TopicsImage([.init(id: ordersId, name: "orders", partitionCount: 6)])
        #expect(await send(input, topics: ordersOnly) == ok("a", 1, [:]))
        #expect(await send(beat("a", epoch: 1, owned: [:]), topics: cgDefaultTopics) == ok("a", 2, [paymentsId: [0, 1, 2]]))
    }
}

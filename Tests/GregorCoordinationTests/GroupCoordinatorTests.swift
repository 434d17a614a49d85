import KafkaProtocol
import Synchronization
import Testing

@testable import GregorCoordination

/// A clock that moves only when told to; sleepers wake when it passes their deadline.
final class ManualClock: CoordinatorClock {
    private struct State {
        var now: Int64 = 0
        var nextId = 0
        var sleepers: [Int: (deadline: Int64, continuation: CheckedContinuation<Void, any Error>)] = [:]
    }

    private let state = Mutex(State())

    func now() -> Int64 { state.withLock { $0.now } }

    func sleep(until deadline: Int64) async throws {
        let id = state.withLock { state in
            defer { state.nextId += 1 }
            return state.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let due = state.withLock { state -> Bool in
                    if state.now >= deadline || Task.isCancelled { return true }
                    state.sleepers[id] = (deadline, continuation)
                    return false
                }
                if due { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock and wakes every sleeper whose deadline has come.
    func advance(to time: Int64) {
        let woken = state.withLock { state in
            state.now = time
            let due = state.sleepers.filter { $0.value.deadline <= time }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct GroupCoordinatorTests {
    let clock: ManualClock
    let coordinator: GroupCoordinator

    init() {
        let clock = ManualClock()
        self.clock = clock
        coordinator = GroupCoordinator(clock: clock, memberIdSource: .sequential())
    }

    /// Moves the clock and waits until the coordinator's timer has done what was due.
    func advance(to time: Int64) async {
        clock.advance(to: time)
        await coordinator.settle()
    }

    /// Waits until `count` requests are parked (a request started in a task reaches the actor later).
    func waitForParked(_ count: Int) async throws {
        for _ in 0..<10_000 {
            if coordinator.parkedRequestCount == count { return }
            await Task.yield()
        }
        Issue.record("never \(count) parked requests")
    }

    /// Starts a JoinGroup that parks.
    func startJoin(_ input: JoinInput, group: String = "g") -> Task<JoinResult, any Error> {
        Task { [coordinator] in try await coordinator.join(groupId: group, input) }
    }

    @Test func theInitialDelayAndSessionExpiryRunOnTheClockWithoutSleeping() async throws {
        let joining = startJoin(joinInput("a", version: 3))
        try await waitForParked(1)
        #expect(coordinator.nextTimerDeadline == 3000)

        await advance(to: 2999)
        #expect(coordinator.parkedRequestCount == 1)
        await advance(to: 3000)
        #expect(try await joining.value == joined("a-1", generation: 1, leader: "a-1", members: [JoinedMember(memberId: "a-1", metadata: [1])]))
        #expect(try await coordinator.sync(groupId: "g", SyncInput(memberId: "a-1", generationId: 1, assignments: ["a-1": [7]])) == synced([7]))

        // The session (10 s) restarts with each heartbeat.
        #expect(coordinator.nextTimerDeadline == 13_000)
        await advance(to: 12_000)
        #expect(await coordinator.heartbeat(groupId: "g", HeartbeatInput(memberId: "a-1", generationId: 1)) == ErrorCode.none)
        #expect(coordinator.nextTimerDeadline == 22_000)
        await advance(to: 21_999)
        #expect(await coordinator.describeGroup("g").state == "Stable")

        await advance(to: 22_000)
        #expect(await coordinator.describeGroup("g").state == "Empty")
        #expect(await coordinator.describeGroup("g").members.isEmpty)
        #expect(await coordinator.heartbeat(groupId: "g", HeartbeatInput(memberId: "a-1", generationId: 1)) == .unknownMemberId)
        #expect(coordinator.nextTimerDeadline == nil)
        #expect(coordinator.parkedRequestCount == 0)
    }

    @Test func aReplacedJoinIsAbandonedAndTheNewOneAnswered() async throws {
        let first = try await coordinator.join(groupId: "g", joinInput("a"))
        #expect(first == .failure(.memberIdRequired, memberId: "a-1"))

        let parked = startJoin(joinInput("a", memberId: "a-1"))
        try await waitForParked(1)
        let replacing = startJoin(joinInput("a", memberId: "a-1"))
        await #expect(throws: GroupRequestAbandoned.self) { try await parked.value }
        try await waitForParked(1)

        await advance(to: 3000)
        #expect(try await replacing.value.generationId == 1)
        #expect(coordinator.parkedRequestCount == 0)
    }

    @Test func followersWaitForTheLeadersAssignment() async throws {
        let a = startJoin(joinInput("a", version: 3))
        try await waitForParked(1)
        let b = startJoin(joinInput("b", version: 3))
        try await waitForParked(2)
        await advance(to: 3000)
        // b arrived during the initial delay: it is extended once.
        await advance(to: 6000)
        let leader = try await a.value
        #expect(leader.members.map(\.memberId) == ["a-1", "b-2"])
        #expect(try await b.value.members.isEmpty)

        let follower = Task { [coordinator] in try await coordinator.sync(groupId: "g", SyncInput(memberId: "b-2", generationId: 1)) }
        try await waitForParked(1)
        #expect(try await coordinator.sync(groupId: "g", SyncInput(memberId: "a-1", generationId: 1, assignments: ["a-1": [1], "b-2": [2]])) == synced([1]))
        #expect(try await follower.value == synced([2]))
    }

    @Test func unknownGroupsGetKafkasAnswersAndAreNotCreated() async throws {
        #expect(try await coordinator.join(groupId: "", joinInput("a", memberId: "m")) == .failure(.invalidGroupId, memberId: "m"))
        #expect(try await coordinator.join(groupId: "g", joinInput("a", memberId: "m")) == .failure(.unknownMemberId, memberId: "m"))
        #expect(try await coordinator.join(groupId: "g", joinInput("a", sessionTimeoutMs: 5999)) == .failure(.invalidSessionTimeout))
        #expect(try await coordinator.sync(groupId: "g", SyncInput(memberId: "m", generationId: 1)) == .failure(.unknownMemberId))
        #expect(try await coordinator.sync(groupId: "", SyncInput(memberId: "m", generationId: 1)) == .failure(.invalidGroupId))
        #expect(await coordinator.heartbeat(groupId: "g", HeartbeatInput(memberId: "m", generationId: 1)) == .unknownMemberId)
        #expect(await coordinator.heartbeat(groupId: "", HeartbeatInput(memberId: "m", generationId: 1)) == .invalidGroupId)
        #expect(await coordinator.leave(groupId: "g", [LeavingMember(memberId: "m")])
            == LeaveResult(members: [.init(memberId: "m", error: .unknownMemberId)]))
        #expect(await coordinator.leave(groupId: "", [LeavingMember(memberId: "m")]) == LeaveResult(error: .invalidGroupId))
        #expect(await coordinator.listGroups().isEmpty)
        #expect(await coordinator.describeGroup("g").state == "Dead")
        #expect(await coordinator.deleteGroup("g") == .groupIdNotFound)
    }

    @Test func deletionNeedsAnEmptyGroupAndListingFilters() async throws {
        _ = try await coordinator.join(groupId: "g", joinInput("a"))
        _ = startJoin(joinInput("a", memberId: "a-1"))
        try await waitForParked(1)
        #expect(await coordinator.deleteGroup("g") == .nonEmptyGroup)
        #expect(await coordinator.listGroups(statesFilter: ["preparingrebalance"]).map(\.groupId) == ["g"])
        #expect(await coordinator.listGroups(statesFilter: ["Stable"]).isEmpty)
        #expect(await coordinator.listGroups(typesFilter: ["Classic"]).map(\.groupType) == ["classic"])
        #expect(await coordinator.listGroups(typesFilter: ["consumer"]).isEmpty)

        #expect(await coordinator.leave(groupId: "g", [LeavingMember(memberId: "a-1")]).members.map(\.error) == [ErrorCode.none])
        #expect(coordinator.parkedRequestCount == 0)
        // The initial rebalance waits out its delay even with nobody left.
        #expect(await coordinator.groupIsEmpty("g") == false)
        await advance(to: 3000)
        #expect(await coordinator.groupIsEmpty("g") == true)
        #expect(await coordinator.deleteGroup("g") == nil)
        #expect(await coordinator.groupIsEmpty("g") == nil)
        #expect(coordinator.nextTimerDeadline == nil)
    }

    @Test func offsetCommitsCreateSimpleGroupsOnlyAtNegativeGenerations() async {
        #expect(await coordinator.validateOffsetCommit(groupId: "s", memberId: "", groupInstanceId: nil, generationId: 1, apiVersion: 8) == .illegalGeneration)
        #expect(await coordinator.validateOffsetCommit(groupId: "s", memberId: "", groupInstanceId: nil, generationId: 1, apiVersion: 9) == .groupIdNotFound)
        #expect(await coordinator.groupIsEmpty("s") == nil)
        #expect(await coordinator.validateOffsetCommit(groupId: "s", memberId: "", groupInstanceId: nil, generationId: -1, apiVersion: 9) == nil)
        #expect(await coordinator.listGroups().map { [$0.groupId, $0.protocolType, $0.state] } == [["s", "", "Empty"]])
    }
}

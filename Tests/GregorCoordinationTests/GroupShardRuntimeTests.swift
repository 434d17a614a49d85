import GregorStorage
import KafkaProtocol
import Testing

@testable import GregorCoordination

/// The group coordinator on the runtime: what it writes, when it answers, and what a failed
/// write or an unloaded partition does to waiting requests.
@Suite(.timeLimit(.minutes(1)))
struct GroupShardRuntimeTests {
    let clock = ManualClock()
    let topic = GroupCoordinatorRestoreTests.Topic()

    func coordinator() -> GroupCoordinator { topic.coordinator(clock: clock, memberIdSource: .sequential()) }

    func waitForParked(_ coordinator: GroupCoordinator, _ count: Int) async {
        for _ in 0..<10_000 where coordinator.parkedRequestCount != count { await Task.yield() }
        #expect(coordinator.parkedRequestCount == count)
    }

    var offsetRecords: Int {
        topic.log.state.withLock { state in
            state.batches.values.flatMap { $0 }.flatMap(\.records).filter {
                if case .offsetCommit? = try? OffsetRecords.decodeKey($0.bytes.key) { return true }
                return false
            }.count
        }
    }

    static func entries(_ offsets: [Int64], metadata: String = "") -> [OffsetCommitEntry] {
        offsets.enumerated().map { OffsetCommitEntry(topic: "t", partition: Int32($0.offset), offset: $0.element, metadata: metadata, commitTimestamp: 0) }
    }

    /// The group check and the write are one operation: a refused commit writes nothing, an
    /// accepted one writes what fits in one batch and answers per partition.
    @Test func anOffsetCommitIsCheckedAndWrittenInOneOperation() async throws {
        let coordinator = coordinator()
        let stale = OffsetCommitInput(groupId: "g", memberId: "m", groupInstanceId: nil, generationId: 3, apiVersion: 9)
        #expect(await coordinator.commitOffsets(stale, Self.entries([1, 2])) == .rejected(.groupIdNotFound))
        #expect(offsetRecords == 0)

        let simple = OffsetCommitInput(groupId: "g", memberId: "", groupInstanceId: nil, generationId: -1, apiVersion: 9)
        var entries = Self.entries([5, 6])
        entries[1].committed.metadata = String(repeating: "x", count: 4097)
        #expect(await coordinator.commitOffsets(simple, entries) == .committed([.none, .offsetMetadataTooLarge]))
        #expect(offsetRecords == 1)
        #expect(await coordinator.listGroups().map(\.groupId) == ["g"])

        // A member of a stable group commits at its generation only.
        _ = try await coordinator.join(groupId: "c", joinInput("a"))
        let joining = Task { [coordinator] in try await coordinator.join(groupId: "c", joinInput("a", memberId: "a-1")) }
        await waitForParked(coordinator, 1)
        clock.advance(to: 3000)
        await coordinator.settle()
        #expect(try await joining.value.generationId == 1)
        let member = OffsetCommitInput(groupId: "c", memberId: "a-1", groupInstanceId: nil, generationId: 1, apiVersion: 9)
        // Before the leader's SyncGroup the group is CompletingRebalance.
        #expect(await coordinator.commitOffsets(member, Self.entries([1])) == .rejected(.rebalanceInProgress))
        _ = try await coordinator.sync(groupId: "c", SyncInput(memberId: "a-1", generationId: 1, assignments: ["a-1": []]))
        #expect(await coordinator.commitOffsets(member, Self.entries([1])) == .committed([.none]))
        var wrong = member
        wrong.generationId = 0
        #expect(await coordinator.commitOffsets(wrong, Self.entries([2])) == .rejected(.illegalGeneration))
        #expect(offsetRecords == 2)
    }

    /// A failed GroupMetadata write does not strand the members the group answered: they get
    /// their answers, the leader's SyncGroup its error, and the group goes on in memory.
    @Test func aFailedGroupWriteStillAnswersWaitingMembers() async throws {
        let coordinator = coordinator()
        _ = try await coordinator.join(groupId: "g", joinInput("a"))
        _ = try await coordinator.join(groupId: "g", joinInput("b"))
        let a = Task { [coordinator] in try await coordinator.join(groupId: "g", joinInput("a", memberId: "a-1")) }
        let b = Task { [coordinator] in try await coordinator.join(groupId: "g", joinInput("b", memberId: "b-2")) }
        await waitForParked(coordinator, 2)
        // b arrived during the initial delay: it is extended once.
        for time: Int64 in [3000, 6000] {
            clock.advance(to: time)
            await coordinator.settle()
        }
        let (joinedA, joinedB) = (try await a.value, try await b.value)
        #expect(joinedA.generationId == 1 && joinedB.generationId == 1)

        let follower = Task { [coordinator] in try await coordinator.sync(groupId: "g", SyncInput(memberId: "b-2", generationId: 1)) }
        await waitForParked(coordinator, 1)
        topic.log.state.withLock { $0.failAppends = true }
        let leader = try await coordinator.sync(groupId: "g", SyncInput(memberId: "a-1", generationId: 1, assignments: ["a-1": [1], "b-2": [2]]))
        #expect(leader == synced([1]))
        #expect(try await follower.value == synced([2]))
        #expect(coordinator.parkedRequestCount == 0)
        #expect(await coordinator.describeGroup("g").state == "Stable")
    }

    /// Unloading a partition (its leadership moved) answers parked JoinGroups NOT_COORDINATOR
    /// (Kafka's onUnloaded), and the group's requests go to the new coordinator.
    @Test func unloadingAPartitionSendsWaitingMembersToTheNewCoordinator() async throws {
        let coordinator = coordinator()
        _ = try await coordinator.join(groupId: "g", joinInput("a"))
        let a = Task { [coordinator] in try await coordinator.join(groupId: "g", joinInput("a", memberId: "a-1")) }
        await waitForParked(coordinator, 1)
        coordinator.runtime.unload(coordinator.partition(for: "g"))
        #expect(try await a.value == .failure(.notCoordinator, memberId: "a-1"))
        #expect(await coordinator.heartbeat(groupId: "g", HeartbeatInput(memberId: "a-1", generationId: 1)) == .notCoordinator)
        #expect(coordinator.nextTimerDeadline == nil)
    }
}

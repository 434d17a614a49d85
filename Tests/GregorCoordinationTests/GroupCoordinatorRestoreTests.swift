import KafkaProtocol
import Synchronization
import Testing

@testable import GregorCoordination

/// What the coordinator hands to its persistence hook, and groups coming back from it after a
/// restart (Kafka's `GroupMetadataManager.replay` and `onLoaded`).
@Suite(.timeLimit(.minutes(1)))
struct GroupCoordinatorRestoreTests {
    final class Recorder: Sendable {
        let stored = Mutex<[GroupMetadataSnapshot]>([])
        let removed = Mutex<[String]>([])
        let toLoad: [GroupMetadataSnapshot]
        init(loading: [GroupMetadataSnapshot] = []) { toLoad = loading }
        var persistence: GroupMetadataPersistence {
            GroupMetadataPersistence(
                store: { s in self.stored.withLock { $0.append(s) } },
                remove: { g in self.removed.withLock { $0.append(g) } },
                loaded: { self.toLoad })
        }
        var snapshots: [GroupMetadataSnapshot] { stored.withLock { $0 } }
    }

    static func member(_ id: String, assignment: [UInt8]) -> GroupMetadataSnapshot.Member {
        .init(memberId: id, clientId: "c", clientHost: "/h", rebalanceTimeoutMs: 60_000, sessionTimeoutMs: 10_000,
              subscription: [1], assignment: assignment)
    }

    /// Generation 7, Stable, members a-1 (leader) and b-2, as written by the leader's SyncGroup.
    static let stable = GroupMetadataSnapshot(
        groupId: "g", protocolType: "consumer", generationId: 7, protocolName: "range", leaderId: "a-1",
        currentStateTimestamp: 500, members: [member("a-1", assignment: [10]), member("b-2", assignment: [20])])

    @Test func aRebalanceIsPersistedAtTheLeadersSyncAndWhenTheGroupEmpties() async throws {
        let clock = ManualClock()
        let recorder = Recorder()
        let coordinator = GroupCoordinator(clock: clock, memberIdSource: .sequential(), persistence: recorder.persistence)
        let joining = Task { try await coordinator.join(groupId: "g", joinInput("a", version: 3)) }
        for _ in 0..<10_000 where await coordinator.parkedRequestCount == 0 { await Task.yield() }
        // A new group is committed empty, generation 0, as Kafka's newEmptyGroupMetadataRecord.
        #expect(recorder.snapshots == [GroupMetadataSnapshot(groupId: "g", protocolType: "", generationId: 0, currentStateTimestamp: 0)])

        clock.advance(to: 3000)
        await coordinator.settle()
        #expect(try await joining.value.generationId == 1)
        // Completing the join writes nothing; the assignment does.
        #expect(recorder.snapshots.count == 1)
        #expect(try await coordinator.sync(groupId: "g", SyncInput(memberId: "a-1", generationId: 1, assignments: ["a-1": [7]])) == synced([7]))
        #expect(recorder.snapshots.last == GroupMetadataSnapshot(
            groupId: "g", protocolType: "consumer", generationId: 1, protocolName: "range", leaderId: "a-1",
            currentStateTimestamp: 3000,
            members: [.init(memberId: "a-1", clientId: "a", clientHost: "/127.0.0.1", rebalanceTimeoutMs: 60_000,
                            sessionTimeoutMs: 10_000, subscription: [1], assignment: [7])]))

        _ = await coordinator.leave(groupId: "g", [LeavingMember(memberId: "a-1")])
        #expect(recorder.snapshots.count == 3)
        #expect(recorder.snapshots.last == GroupMetadataSnapshot(
            groupId: "g", protocolType: "consumer", generationId: 2, currentStateTimestamp: 3000))
    }

    @Test func aRestoredMemberHeartbeatsOnAndASilentOneExpiresIntoTheNextGeneration() async throws {
        let clock = ManualClock()
        clock.advance(to: 50_000)
        let recorder = Recorder(loading: [Self.stable])
        let coordinator = GroupCoordinator(clock: clock, memberIdSource: .sequential(), persistence: recorder.persistence)
        await coordinator.restore(groupIds: ["g", "offsets-only"])

        let described = await coordinator.describeGroup("g")
        #expect(described.state == "Stable" && described.members.map(\.memberId) == ["a-1", "b-2"])
        #expect(await coordinator.describeGroup("offsets-only").state == "Empty")
        // Sessions run from the load.
        #expect(await coordinator.nextTimerDeadline == 60_000)

        clock.advance(to: 55_000)
        #expect(await coordinator.heartbeat(groupId: "g", HeartbeatInput(memberId: "a-1", generationId: 7)) == ErrorCode.none)
        #expect(try await coordinator.sync(groupId: "g", SyncInput(memberId: "a-1", generationId: 7)) == synced([10]))

        clock.advance(to: 60_000)
        await coordinator.settle()
        #expect(await coordinator.describeGroup("g").state == "PreparingRebalance")
        #expect(await coordinator.heartbeat(groupId: "g", HeartbeatInput(memberId: "a-1", generationId: 7)) == .rebalanceInProgress)
        let rejoined = try await coordinator.join(groupId: "g", joinInput("a", memberId: "a-1"))
        #expect(rejoined == joined("a-1", generation: 8, leader: "a-1", members: [JoinedMember(memberId: "a-1", metadata: [1])]))
        #expect(try await coordinator.sync(groupId: "g", SyncInput(memberId: "a-1", generationId: 8, assignments: ["a-1": [30]])) == synced([30]))
        #expect(recorder.snapshots.map(\.generationId) == [8])
        #expect(recorder.snapshots.last?.members.map(\.assignment) == [[30]])
        #expect(await coordinator.parkedRequestCount == 0)
    }

    @Test func anEmptyGroupComesBackWithItsGenerationAndTheNextRebalanceContinuesIt() async throws {
        let clock = ManualClock()
        let empty = GroupMetadataSnapshot(groupId: "g", protocolType: "consumer", generationId: 4, currentStateTimestamp: 10)
        let coordinator = GroupCoordinator(clock: clock, memberIdSource: .sequential(), persistence: Recorder(loading: [empty]).persistence)
        await coordinator.restore(groupIds: [])
        #expect(await coordinator.describeGroup("g").state == "Empty")
        let joining = Task { try await coordinator.join(groupId: "g", joinInput("a", version: 3)) }
        for _ in 0..<10_000 where await coordinator.parkedRequestCount == 0 { await Task.yield() }
        clock.advance(to: 3000)
        await coordinator.settle()
        #expect(try await joining.value.generationId == 5)
    }

    @Test func anExpiredEmptyGroupIsTombstoned() async throws {
        let clock = ManualClock()
        let recorder = Recorder(loading: [GroupMetadataSnapshot(groupId: "g", protocolType: "consumer", generationId: 4)])
        let coordinator = GroupCoordinator(clock: clock, persistence: recorder.persistence)
        await coordinator.restore(groupIds: [])
        await coordinator.removeEmptyGroups(["g", "unknown"])
        #expect(recorder.removed.withLock { $0 } == ["g"])
        #expect(await coordinator.groupIsEmpty("g") == nil)
    }
}

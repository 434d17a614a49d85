import GregorStorage
import KafkaProtocol
import Synchronization
import Testing

@testable import GregorCoordination

/// The GroupMetadata records the coordinator writes to `__consumer_offsets`, and groups coming
/// back from them when the partitions are loaded again (Kafka's `GroupMetadataManager.replay`
/// and `onLoaded`).
@Suite(.timeLimit(.minutes(1)))
struct GroupCoordinatorRestoreTests {
    /// The internal topic in memory, as a restarted broker finds it.
    final class Topic: Sendable {
        let log = MemoryCoordinatorLog()
        let config = OffsetStoreConfig()

        /// A coordinator that loads every partition of the topic, as at startup.
        func coordinator(clock: ManualClock, memberIdSource: MemberIdSource = .random) -> GroupCoordinator {
            let coordinator = GroupCoordinator(clock: clock, memberIdSource: memberIdSource, offsets: config, log: log)
            for partition in 0..<config.numPartitions { _ = try? coordinator.runtime.loadNow(partition) }
            return coordinator
        }

        /// Writes records as a previous run would have.
        func write(_ records: [GroupShard.Record], group: String) throws {
            _ = try log.append(TopicPartition(OffsetStoreConfig.topic, config.partition(for: group)), try records.map(GroupShard.encode), now: 0)
        }

        /// Every GroupMetadata record written, in order (nil for a tombstone).
        var metadata: [(group: String, snapshot: GroupMetadataSnapshot?)] {
            log.state.withLock { state in
                state.batches.keys.sorted().flatMap { state.batches[$0]! }.flatMap { batch in
                    batch.records.compactMap { record -> (String, GroupMetadataSnapshot?)? in
                        guard case .groupMetadata(let group, let snapshot)? = try? GroupShard.decode(record.bytes) else { return nil }
                        return (group, snapshot)
                    }
                }
            }
        }

        var snapshots: [GroupMetadataSnapshot] { metadata.compactMap(\.snapshot) }
        var removed: [String] { metadata.filter { $0.snapshot == nil }.map(\.group) }
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
        let recorder = Topic()
        let coordinator = recorder.coordinator(clock: clock, memberIdSource: .sequential())
        let joining = Task { try await coordinator.join(groupId: "g", joinInput("a", version: 3)) }
        for _ in 0..<10_000 where coordinator.parkedRequestCount == 0 { await Task.yield() }
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
        let recorder = Topic()
        try recorder.write([.groupMetadata(group: "g", Self.stable)], group: "g")
        try recorder.write([.offsetCommit(group: "offsets-only", TopicPartition("t", 0), CommittedOffset(offset: 1, commitTimestamp: 0))],
                           group: "offsets-only")
        let coordinator = recorder.coordinator(clock: clock, memberIdSource: .sequential())

        let described = await coordinator.describeGroup("g")
        #expect(described.state == "Stable" && described.members.map(\.memberId) == ["a-1", "b-2"])
        #expect(await coordinator.describeGroup("offsets-only").state == "Empty")
        // Sessions run from the load.
        #expect(coordinator.nextTimerDeadline == 60_000)

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
        #expect(recorder.snapshots.map(\.generationId) == [7, 8])
        #expect(recorder.snapshots.last?.members.map(\.assignment) == [[30]])
        #expect(coordinator.parkedRequestCount == 0)
    }

    @Test func anEmptyGroupComesBackWithItsGenerationAndTheNextRebalanceContinuesIt() async throws {
        let clock = ManualClock()
        let empty = GroupMetadataSnapshot(groupId: "g", protocolType: "consumer", generationId: 4, currentStateTimestamp: 10)
        let topic = Topic()
        try topic.write([.groupMetadata(group: "g", empty)], group: "g")
        let coordinator = topic.coordinator(clock: clock, memberIdSource: .sequential())
        #expect(await coordinator.describeGroup("g").state == "Empty")
        let joining = Task { try await coordinator.join(groupId: "g", joinInput("a", version: 3)) }
        for _ in 0..<10_000 where coordinator.parkedRequestCount == 0 { await Task.yield() }
        clock.advance(to: 3000)
        await coordinator.settle()
        #expect(try await joining.value.generationId == 5)
    }

    @Test func anExpiredEmptyGroupIsTombstoned() async throws {
        let clock = ManualClock()
        let recorder = Topic()
        try recorder.write([.groupMetadata(group: "g", GroupMetadataSnapshot(groupId: "g", protocolType: "consumer", generationId: 4))], group: "g")
        let coordinator = recorder.coordinator(clock: clock)
        await coordinator.removeEmptyGroups(["g", "unknown"])
        #expect(recorder.removed == ["g"])
        #expect(await coordinator.groupIsEmpty("g") == nil)
    }
}

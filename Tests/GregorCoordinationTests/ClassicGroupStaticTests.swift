import KafkaProtocol
import Testing
@testable import GregorCoordination

/// KIP-345 static membership.
@Suite struct ClassicGroupStaticTests {
    /// Static "i1-1" (leader, client "s") and dynamic "d-2", Stable at 6000 with assignments [10] and [20].
    func staticLeaderGroup(sessionTimeoutMs: Int32 = 10_000, rebalanceTimeoutMs: Int32 = 60_000) -> ClassicGroup {
        var group = newGroup()
        _ = group.join(joinInput("s", instance: "i1", sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutMs), token: 1, now: 0)
        _ = group.join(joinInput("d", sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutMs, version: 3), token: 2, now: 0)
        _ = group.tick(now: 3000)
        _ = group.tick(now: 6000)
        _ = group.sync(SyncInput(memberId: "d-2", generationId: 1), token: 3, now: 6000)
        _ = group.sync(SyncInput(memberId: "i1-1", groupInstanceId: "i1", generationId: 1, assignments: ["i1-1": [10], "d-2": [20]]), token: 4, now: 6000)
        return group
    }

    @Test func aRestartedStaticMemberGetsItsAssignmentBackWithoutARebalance() {
        var group = staticLeaderGroup()
        #expect(group.staticMembers == ["i1": "i1-1"])
        // v9 (KIP-814): the leader gets the members but is told to skip the assignment.
        #expect(group.join(joinInput("s", instance: "i1"), token: 5, now: 7000) == [
            .answerJoin(5, joined("i1-3", generation: 1, leader: "i1-3", members: [
                JoinedMember(memberId: "i1-3", groupInstanceId: "i1", metadata: [1]), JoinedMember(memberId: "d-2", metadata: [1]),
            ], skipAssignment: true))
        ])
        #expect(group.state == .stable)
        #expect(group.generationId == 1)
        #expect(group.memberIds == ["i1-3", "d-2"])
        #expect(group.member("i1-3")?.assignment == [10])
        #expect(group.deadlines[.heartbeat("i1-1")] == nil)
        #expect(group.deadlines[.heartbeat("i1-3")] == 17_000)
        #expect(group.sync(SyncInput(memberId: "i1-3", groupInstanceId: "i1", generationId: 1), token: 6, now: 7100) == [.answerSync(6, synced([10]))])

        // The old incarnation is fenced everywhere.
        #expect(group.heartbeat(HeartbeatInput(memberId: "i1-1", groupInstanceId: "i1", generationId: 1), token: 7, now: 7200) == [
            .answerHeartbeat(7, .fencedInstanceId)
        ])
        #expect(group.join(joinInput("s", memberId: "i1-1", instance: "i1"), token: 8, now: 7200) == [
            .answerJoin(8, .failure(.fencedInstanceId, memberId: "i1-1"))
        ])
        #expect(group.sync(SyncInput(memberId: "i1-1", groupInstanceId: "i1", generationId: 1), token: 9, now: 7200) == [
            .answerSync(9, .failure(.fencedInstanceId))
        ])
        #expect(group.leave([LeavingMember(memberId: "i1-1", groupInstanceId: "i1")], token: 10, now: 7200) == [
            .answerLeave(10, LeaveResult(members: [.init(memberId: "i1-1", groupInstanceId: "i1", error: .fencedInstanceId)]))
        ])
    }

    @Test func beforeV9TheAnswerNamesTheLeaderAsItWasBeforeTheRestart() {
        var group = staticLeaderGroup()
        #expect(group.join(joinInput("s", instance: "i1", version: 8), token: 5, now: 7000) == [
            .answerJoin(5, joined("i1-3", generation: 1, leader: "i1-1"))
        ])
        #expect(group.leaderId == "i1-3")
    }

    @Test func aRestartThatChangesTheChosenProtocolRebalances() {
        var group = newGroup()
        _ = group.join(joinInput("s", instance: "i1"), token: 1, now: 0)
        _ = group.tick(now: 3000)
        _ = group.sync(SyncInput(memberId: "i1-1", groupInstanceId: "i1", generationId: 1), token: 2, now: 3000)
        #expect(group.join(joinInput("s", instance: "i1", protocols: [roundRobin, range]), token: 3, now: 4000) == [
            .answerJoin(3, joined("i1-2", generation: 2, leader: "i1-2", protocolName: "roundrobin", members: [
                JoinedMember(memberId: "i1-2", groupInstanceId: "i1", metadata: [2])
            ]))
        ])
        #expect(group.lastRebalanceReason?.hasPrefix("Group's selectedProtocol will change because static member i1-2") == true)
    }

    @Test func aRestartDuringCompletingRebalanceFencesTheOldSyncAndRebalances() {
        var group = newGroup()
        _ = group.join(joinInput("d", version: 3), token: 1, now: 0)
        _ = group.join(joinInput("s", instance: "i1"), token: 2, now: 0)
        _ = group.tick(now: 3000)
        _ = group.tick(now: 6000)
        #expect(group.sync(SyncInput(memberId: "i1-2", groupInstanceId: "i1", generationId: 1), token: 3, now: 6100) == [])
        #expect(group.join(joinInput("s", instance: "i1"), token: 4, now: 6500) == [.answerSync(3, .failure(.fencedInstanceId))])
        #expect(group.state == .preparingRebalance)
        #expect(group.lastRebalanceReason == "Updating metadata for static member i1-3 with instance id i1; client reason: not provided")
        #expect(group.join(joinInput("d", memberId: "d-1"), token: 5, now: 6600) == [
            .answerJoin(5, joined("d-1", generation: 2, leader: "d-1", members: [
                JoinedMember(memberId: "d-1", metadata: [1]), JoinedMember(memberId: "i1-3", groupInstanceId: "i1", metadata: [1]),
            ])),
            .answerJoin(4, joined("i1-3", generation: 2, leader: "d-1")),
        ])
    }

    @Test func aRestartWhilePreparingFencesTheOldParkedJoin() {
        var group = staticLeaderGroup()
        _ = group.join(joinInput("s", memberId: "i1-1", instance: "i1"), token: 5, now: 7000)
        #expect(group.state == .preparingRebalance)
        #expect(group.join(joinInput("s", instance: "i1"), token: 6, now: 7100) == [
            .answerJoin(5, .failure(.fencedInstanceId, memberId: "i1-1"))
        ])
        #expect(group.member("i1-3")?.awaitingJoin == 6)
    }

    @Test func staticMembersThatDoNotRejoinAreKeptAndTheJoinPhaseWaitsAgain() {
        var group = staticLeaderGroup(sessionTimeoutMs: 100_000, rebalanceTimeoutMs: 20_000)
        _ = group.leave([LeavingMember(memberId: "d-2")], token: 5, now: 7000)
        #expect(group.deadlines[.join] == 27_000)
        #expect(group.tick(now: 27_000) == [])
        #expect(group.memberIds == ["i1-1"])
        #expect(group.deadlines[.join] == 47_000)
        #expect(group.join(joinInput("s", memberId: "i1-1", instance: "i1"), token: 6, now: 30_000) == [
            .answerJoin(6, joined("i1-1", generation: 2, leader: "i1-1", members: [
                JoinedMember(memberId: "i1-1", groupInstanceId: "i1", metadata: [1])
            ]))
        ])
    }
}

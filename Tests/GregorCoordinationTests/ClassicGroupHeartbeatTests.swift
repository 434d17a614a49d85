import KafkaProtocol
import Testing
@testable import GregorCoordination

@Suite struct ClassicGroupHeartbeatTests {
    @Test func heartbeatAnswersByState() {
        var group = completingGroup()
        // Between the JoinGroup answer and SyncGroup: a normal heartbeat that restarts the session.
        #expect(group.heartbeat(HeartbeatInput(memberId: "b-2", generationId: 1), token: 1, now: 7000) == [.answerHeartbeat(1, ErrorCode.none)])
        #expect(group.deadlines[.heartbeat("b-2")] == 17_000)

        var stable = stableGroup()
        #expect(stable.heartbeat(HeartbeatInput(memberId: "a-1", generationId: 1), token: 2, now: 9000) == [.answerHeartbeat(2, ErrorCode.none)])
        #expect(stable.deadlines[.heartbeat("a-1")] == 19_000)

        _ = stable.join(joinInput("a", memberId: "a-1"), token: 3, now: 9500)
        #expect(stable.heartbeat(HeartbeatInput(memberId: "b-2", generationId: 1), token: 4, now: 9600) == [.answerHeartbeat(4, .rebalanceInProgress)])
        #expect(stable.deadlines[.heartbeat("b-2")] == 19_600)
    }

    @Test func heartbeatErrors() {
        var group = stableGroup()
        #expect(group.heartbeat(HeartbeatInput(memberId: "z-9", generationId: 1), token: 1, now: 7000) == [.answerHeartbeat(1, .unknownMemberId)])
        #expect(group.heartbeat(HeartbeatInput(memberId: "a-1", generationId: 0), token: 2, now: 7000) == [.answerHeartbeat(2, .illegalGeneration)])
        #expect(group.heartbeat(HeartbeatInput(memberId: "a-1", groupInstanceId: "i1", generationId: 1), token: 3, now: 7000) == [
            .answerHeartbeat(3, .unknownMemberId)
        ])

        var empty = newGroup()
        #expect(empty.heartbeat(HeartbeatInput(memberId: "a-1", generationId: 0), token: 4, now: 0) == [.answerHeartbeat(4, .unknownMemberId)])
    }

    @Test func aSilentMemberIsRemovedWhenItsSessionExpires() {
        var group = stableGroup()
        _ = group.heartbeat(HeartbeatInput(memberId: "a-1", generationId: 1), token: 1, now: 9000)
        #expect(group.nextDeadline == 16_000)
        #expect(group.tick(now: 16_000) == [])
        #expect(group.memberIds == ["a-1"])
        #expect(group.state == .preparingRebalance)
        #expect(group.lastRebalanceReason == "removing member b-2 on heartbeat expiration.")
        // The survivor rejoins and the group moves on without waiting for the timeout.
        #expect(group.join(joinInput("a", memberId: "a-1"), token: 2, now: 17_000) == [
            .answerJoin(2, joined("a-1", generation: 2, leader: "a-1", members: [JoinedMember(memberId: "a-1", metadata: [1])]))
        ])
    }

    @Test func aMemberParkedInTheJoinPhaseSurvivesItsSessionTimer() {
        var group = stableGroup()
        _ = group.join(joinInput("b", memberId: "b-2", protocols: [ClassicGroupProtocol(name: "range", metadata: [7])]), token: 1, now: 7000)
        _ = group.heartbeat(HeartbeatInput(memberId: "a-1", generationId: 1), token: 2, now: 9000)
        #expect(group.tick(now: 16_000) == [])
        #expect(group.memberIds == ["a-1", "b-2"])
    }

    @Test func aNewMembersParkedJoinExpiresAfterTheNewMemberTimeout() {
        var group = stableGroup(config: ClassicGroupConfig(newMemberJoinTimeoutMs: 7000))
        #expect(group.join(joinInput("c", version: 3), token: 1, now: 7000) == [])
        #expect(group.deadlines[.heartbeat("c-3")] == 14_000)
        #expect(group.tick(now: 14_000) == [.answerJoin(1, .failure(.unknownMemberId))])
        #expect(group.memberIds == ["a-1", "b-2"])
    }

    @Test func lastMemberExpiringEmptiesTheGroup() {
        var group = newGroup()
        _ = group.join(joinInput("a", version: 3), token: 1, now: 0)
        _ = group.tick(now: 3000)
        _ = group.sync(SyncInput(memberId: "a-1", generationId: 1), token: 2, now: 3000)
        #expect(group.tick(now: 13_000) == [])
        #expect(group.state == .empty)
        #expect(group.generationId == 2)
        #expect(group.protocolName == nil)
        #expect(group.leaderId == nil)
        #expect(group.deadlines.isEmpty)
    }
}

@Suite struct ClassicGroupLeaveTests {
    @Test func aFollowerLeavingStartsARebalance() {
        var group = stableGroup()
        #expect(group.leave([LeavingMember(memberId: "b-2")], token: 1, now: 7000) == [
            .answerLeave(1, LeaveResult(members: [.init(memberId: "b-2")]))
        ])
        #expect(group.state == .preparingRebalance)
        #expect(group.deadlines[.heartbeat("b-2")] == nil)
        #expect(group.lastRebalanceReason == "explicit `LeaveGroup` request for (b-2) members.")
    }

    @Test func theLastMemberLeavingEmptiesTheGroup() {
        var group = newGroup()
        _ = group.join(joinInput("a", version: 3), token: 1, now: 0)
        _ = group.tick(now: 3000)
        _ = group.sync(SyncInput(memberId: "a-1", generationId: 1), token: 2, now: 3000)
        #expect(group.leave([LeavingMember(memberId: "a-1")], token: 3, now: 4000) == [
            .answerLeave(3, LeaveResult(members: [.init(memberId: "a-1")]))
        ])
        #expect(group.state == .empty)
        #expect(group.generationId == 2)
        #expect(group.protocolType == "consumer")
    }

    @Test func aLeaveDuringTheJoinPhaseCanCompleteIt() {
        var group = stableGroup()
        _ = group.join(joinInput("b", memberId: "b-2", protocols: [ClassicGroupProtocol(name: "range", metadata: [7])]), token: 9, now: 7000)
        #expect(group.leave([LeavingMember(memberId: "a-1", reason: "shutdown")], token: 10, now: 7100) == [
            .answerJoin(9, joined("b-2", generation: 2, leader: "b-2", members: [JoinedMember(memberId: "b-2", metadata: [7])])),
            .answerLeave(10, LeaveResult(members: [.init(memberId: "a-1")])),
        ])
    }

    @Test func aParkedJoinOfALeavingMemberIsAnsweredUnknownMember() {
        var group = stableGroup()
        _ = group.join(joinInput("a", memberId: "a-1"), token: 9, now: 7000)
        #expect(group.leave([LeavingMember(memberId: "a-1")], token: 10, now: 7100) == [
            .answerJoin(9, .failure(.unknownMemberId)),
            .answerLeave(10, LeaveResult(members: [.init(memberId: "a-1")])),
        ])
        #expect(group.leaderId == "b-2")
    }

    @Test func batchedLeaveAnswersEachMember() {
        var group = newGroup()
        _ = group.join(joinInput("s", instance: "i1"), token: 1, now: 0)
        _ = group.join(joinInput("t", instance: "i2"), token: 2, now: 0)
        _ = group.join(joinInput("d"), token: 3, now: 0)
        #expect(group.pendingJoinMembers == ["d-3"])
        #expect(group.leave([
            LeavingMember(memberId: "", groupInstanceId: "i1"),
            LeavingMember(memberId: "", groupInstanceId: "nobody"),
            LeavingMember(memberId: "i2-9", groupInstanceId: "i2"),
            LeavingMember(memberId: "z-9"),
            LeavingMember(memberId: "d-3"),
        ], token: 4, now: 100) == [
            .answerJoin(1, .failure(.unknownMemberId)),
            .answerLeave(4, LeaveResult(members: [
                .init(memberId: "", groupInstanceId: "i1"),
                .init(memberId: "", groupInstanceId: "nobody", error: .unknownMemberId),
                .init(memberId: "i2-9", groupInstanceId: "i2", error: .fencedInstanceId),
                .init(memberId: "z-9", error: .unknownMemberId),
                .init(memberId: "d-3"),
            ])),
        ])
        #expect(group.memberIds == ["i2-2"])
        #expect(group.pendingJoinMembers.isEmpty)
    }
}

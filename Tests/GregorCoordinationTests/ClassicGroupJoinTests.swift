import KafkaProtocol
import Testing
@testable import GregorCoordination

@Suite struct ClassicGroupJoinTests {
    @Test func firstJoinGetsMemberIdRequiredThenJoinsWithIt() {
        var group = newGroup()
        #expect(group.join(joinInput("c"), token: 1, now: 0) == [.answerJoin(1, .failure(.memberIdRequired, memberId: "c-1"))])
        #expect(group.state == .empty)
        #expect(group.pendingJoinMembers == ["c-1"])
        #expect(group.deadlines == [.heartbeat("c-1"): 10_000])

        #expect(group.join(joinInput("c", memberId: "c-1"), token: 2, now: 100) == [])
        #expect(group.state == .preparingRebalance)
        #expect(group.pendingJoinMembers.isEmpty)
        // The initial delay, and the KIP-394 timeout for a new member's parked join.
        #expect(group.deadlines == [.join: 3100, .heartbeat("c-1"): 300_100])
        #expect(group.nextDeadline == 3100)

        #expect(group.tick(now: 3100) == [
            .answerJoin(2, joined("c-1", generation: 1, leader: "c-1", members: [JoinedMember(memberId: "c-1", metadata: [1])]))
        ])
        #expect(group.state == .completingRebalance)
        #expect(group.generationId == 1)
        #expect(group.deadlines == [.heartbeat("c-1"): 13_100, .sync: 63_100])
    }

    @Test func pendingMemberIsForgottenAfterItsSessionTimeout() {
        var group = newGroup()
        _ = group.join(joinInput("c"), token: 1, now: 0)
        #expect(group.tick(now: 10_000) == [])
        #expect(group.pendingJoinMembers.isEmpty)
        #expect(group.join(joinInput("c", memberId: "c-1"), token: 2, now: 10_001) == [
            .answerJoin(2, .failure(.unknownMemberId, memberId: "c-1"))
        ])
    }

    @Test func initialDelayIsExtendedWhileMembersArrive() {
        var group = newGroup()
        #expect(group.join(joinInput("a", version: 3), token: 1, now: 0) == [])
        #expect(group.join(joinInput("b", version: 3), token: 2, now: 1000) == [])
        #expect(group.tick(now: 3000) == [])
        #expect(group.deadlines[.join] == 6000)
        let members = [JoinedMember(memberId: "a-1", metadata: [1]), JoinedMember(memberId: "b-2", metadata: [1])]
        #expect(group.tick(now: 6000) == [
            .answerJoin(1, joined("a-1", generation: 1, leader: "a-1", members: members)),
            .answerJoin(2, joined("b-2", generation: 1, leader: "a-1")),
        ])
        #expect(group.pendingSyncMembers == ["a-1", "b-2"])
    }

    @Test func initialDelayIsCappedByTheRebalanceTimeout() {
        var group = newGroup()
        _ = group.join(joinInput("a", rebalanceTimeoutMs: 5000, version: 3), token: 1, now: 0)
        _ = group.join(joinInput("b", rebalanceTimeoutMs: 5000, version: 3), token: 2, now: 1000)
        #expect(group.tick(now: 3000) == [])
        #expect(group.deadlines[.join] == 5000)
        _ = group.join(joinInput("c", rebalanceTimeoutMs: 5000, version: 3), token: 3, now: 4000)
        // No time remains: the join completes although a member just arrived.
        #expect(group.tick(now: 5000).count == 3)
        #expect(group.state == .completingRebalance)
    }

    @Test func protocolTypeAndProtocolsMustMatchTheGroup() {
        var group = newGroup()
        #expect(group.join(joinInput("x", protocols: []), token: 1, now: 0) == [.answerJoin(1, .failure(.inconsistentGroupProtocol))])
        #expect(group.join(joinInput("x", protocolType: ""), token: 2, now: 0) == [.answerJoin(2, .failure(.inconsistentGroupProtocol))])
        _ = group.join(joinInput("a", version: 3), token: 3, now: 0)
        #expect(group.join(joinInput("x", protocolType: "connect"), token: 4, now: 0) == [.answerJoin(4, .failure(.inconsistentGroupProtocol))])
        #expect(group.join(joinInput("x", protocols: [roundRobin]), token: 5, now: 0) == [.answerJoin(5, .failure(.inconsistentGroupProtocol))])
        #expect(group.join(joinInput("a", memberId: "a-1", protocols: [roundRobin]), token: 6, now: 0) == [
            .answerJoin(6, .failure(.inconsistentGroupProtocol, memberId: "a-1"))
        ])
    }

    @Test func theProtocolWithMostVotesAmongCommonOnesIsChosen() {
        var group = newGroup()
        _ = group.join(joinInput("a", protocols: [roundRobin, range], version: 3), token: 1, now: 0)
        _ = group.join(joinInput("b", protocols: [range, roundRobin], version: 3), token: 2, now: 0)
        _ = group.join(joinInput("c", protocols: [roundRobin, range], version: 3), token: 3, now: 0)
        _ = group.tick(now: 3000)
        let members = ["a-1", "b-2", "c-3"].map { JoinedMember(memberId: $0, metadata: [2]) }
        #expect(group.tick(now: 6000) == [
            .answerJoin(1, joined("a-1", generation: 1, leader: "a-1", protocolName: "roundrobin", members: members)),
            .answerJoin(2, joined("b-2", generation: 1, leader: "a-1", protocolName: "roundrobin")),
            .answerJoin(3, joined("c-3", generation: 1, leader: "a-1", protocolName: "roundrobin")),
        ])
    }

    @Test func followerRejoiningUnchangedGetsTheCurrentGeneration() {
        var group = stableGroup()
        #expect(group.join(joinInput("b", memberId: "b-2"), token: 9, now: 7000) == [.answerJoin(9, joined("b-2", generation: 1, leader: "a-1"))])
        #expect(group.state == .stable)

        var completing = completingGroup()
        // A member that lost its JoinGroup answer gets it again; the leader with the members.
        #expect(completing.join(joinInput("a", memberId: "a-1"), token: 9, now: 6500) == [
            .answerJoin(9, joined("a-1", generation: 1, leader: "a-1", members: [
                JoinedMember(memberId: "a-1", metadata: [1]), JoinedMember(memberId: "b-2", metadata: [1]),
            ]))
        ])
    }

    @Test func followerWithNewMetadataTriggersARebalanceAndRecordsTheReason() {
        var group = stableGroup()
        let changed = ClassicGroupProtocol(name: "range", metadata: [9])
        #expect(group.join(joinInput("b", memberId: "b-2", protocols: [changed], reason: "new topics"), token: 9, now: 7000) == [])
        #expect(group.state == .preparingRebalance)
        #expect(group.lastRebalanceReason == "Updating metadata for member b-2 during Stable; client reason: new topics")
        #expect(group.member("b-2")?.joinReason == "new topics")
        #expect(group.deadlines[.join] == 67_000)

        #expect(group.join(joinInput("a", memberId: "a-1"), token: 10, now: 8000) == [
            .answerJoin(10, joined("a-1", generation: 2, leader: "a-1", members: [
                JoinedMember(memberId: "a-1", metadata: [1]), JoinedMember(memberId: "b-2", metadata: [9]),
            ])),
            .answerJoin(9, joined("b-2", generation: 2, leader: "a-1")),
        ])
        #expect(group.generationId == 2)
        #expect(group.state == .completingRebalance)
    }

    @Test func leaderRejoiningAStableGroupTriggersARebalance() {
        var group = stableGroup()
        #expect(group.join(joinInput("a", memberId: "a-1"), token: 9, now: 7000) == [])
        #expect(group.state == .preparingRebalance)
        #expect(group.lastRebalanceReason == "Leader a-1 re-joining group during Stable; client reason: not provided")
    }

    @Test func membersThatDoNotRejoinByTheRebalanceTimeoutAreRemoved() {
        // Sessions (100 s) outlast the rebalance timeout (20 s).
        var group = stableGroup(sessionTimeoutMs: 100_000, rebalanceTimeoutMs: 20_000)
        let changed = ClassicGroupProtocol(name: "range", metadata: [5])
        _ = group.join(
            joinInput("b", memberId: "b-2", protocols: [changed], sessionTimeoutMs: 100_000, rebalanceTimeoutMs: 20_000), token: 9, now: 7000)
        #expect(group.deadlines[.join] == 27_000)
        #expect(group.tick(now: 27_000) == [
            .answerJoin(9, joined("b-2", generation: 2, leader: "b-2", members: [JoinedMember(memberId: "b-2", metadata: [5])]))
        ])
        #expect(group.memberIds == ["b-2"])
        #expect(group.leaderId == "b-2")
    }

    @Test func groupMaxSizeTurnsAwayNewMembers() {
        var group = newGroup(config: ClassicGroupConfig(maxSize: 1))
        _ = group.join(joinInput("a", version: 3), token: 1, now: 0)
        #expect(group.join(joinInput("b", version: 3), token: 2, now: 0) == [.answerJoin(2, .failure(.groupMaxSizeReached))])
        _ = group.tick(now: 3000)
        #expect(group.state == .completingRebalance)
        #expect(group.join(joinInput("b", version: 3), token: 3, now: 3001) == [.answerJoin(3, .failure(.groupMaxSizeReached))])
        // Members already in the group are accepted.
        #expect(group.join(joinInput("a", memberId: "a-1"), token: 4, now: 3002).count == 1)
    }

    @Test func sessionTimeoutOutsideTheBrokerBoundsIsRejected() {
        var group = newGroup()
        #expect(group.join(joinInput("a", sessionTimeoutMs: 1000), token: 1, now: 0) == [.answerJoin(1, .failure(.invalidSessionTimeout))])
        #expect(group.join(joinInput("a", memberId: "a-9", sessionTimeoutMs: 2_000_000), token: 2, now: 0) == [
            .answerJoin(2, .failure(.invalidSessionTimeout, memberId: "a-9"))
        ])
    }

    @Test func unknownMemberIdIsRejected() {
        var group = stableGroup()
        #expect(group.join(joinInput("z", memberId: "z-9"), token: 1, now: 7000) == [.answerJoin(1, .failure(.unknownMemberId, memberId: "z-9"))])
    }

    @Test func aNewMemberDuringCompletingRebalanceCancelsParkedSyncs() {
        var group = completingGroup()
        #expect(group.sync(SyncInput(memberId: "b-2", generationId: 1), token: 5, now: 6100) == [])
        #expect(group.join(joinInput("c", version: 3), token: 6, now: 6200) == [.answerSync(5, .failure(.rebalanceInProgress))])
        #expect(group.state == .preparingRebalance)
        #expect(group.deadlines[.sync] == nil)
    }

    @Test func aSecondJoinFromTheSameMemberReplacesTheParkedOne() {
        var group = stableGroup()
        _ = group.join(joinInput("a", memberId: "a-1"), token: 9, now: 7000)
        #expect(group.join(joinInput("a", memberId: "a-1"), token: 10, now: 7001) == [.abandon(9)])
    }
}

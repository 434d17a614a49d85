import KafkaProtocol
import Testing
@testable import GregorCoordination

@Suite struct ClassicGroupSyncTests {
    @Test func followersWaitForTheLeadersAssignment() {
        var group = completingGroup()
        #expect(group.sync(SyncInput(memberId: "b-2", generationId: 1), token: 3, now: 6100) == [])
        #expect(group.pendingSyncMembers == ["a-1"])
        #expect(group.sync(
            SyncInput(memberId: "a-1", generationId: 1, protocolType: "consumer", protocolName: "range",
                assignments: ["a-1": [10], "b-2": [20], "gone": [30]]),
            token: 4, now: 6200
        ) == [.answerSync(4, synced([10])), .answerSync(3, synced([20]))])
        #expect(group.state == .stable)
        #expect(group.deadlines == [.heartbeat("a-1"): 16_200, .heartbeat("b-2"): 16_200])
        // A late SyncGroup in Stable gets the current assignment.
        #expect(group.sync(SyncInput(memberId: "b-2", generationId: 1), token: 5, now: 7000) == [.answerSync(5, synced([20]))])
    }

    @Test func membersTheLeaderLeftOutGetAnEmptyAssignment() {
        var group = completingGroup()
        _ = group.sync(SyncInput(memberId: "b-2", generationId: 1), token: 3, now: 6100)
        #expect(group.sync(SyncInput(memberId: "a-1", generationId: 1, assignments: ["a-1": [10]]), token: 4, now: 6200) == [
            .answerSync(4, synced([10])), .answerSync(3, synced([])),
        ])
    }

    @Test func syncErrors() {
        var group = completingGroup()
        #expect(group.sync(SyncInput(memberId: "z-9", generationId: 1), token: 1, now: 6100) == [.answerSync(1, .failure(.unknownMemberId))])
        #expect(group.sync(SyncInput(memberId: "b-2", generationId: 7), token: 2, now: 6100) == [.answerSync(2, .failure(.illegalGeneration))])
        #expect(group.sync(SyncInput(memberId: "b-2", generationId: 1, protocolType: "connect"), token: 3, now: 6100) == [
            .answerSync(3, .failure(.inconsistentGroupProtocol))
        ])
        #expect(group.sync(SyncInput(memberId: "b-2", generationId: 1, protocolName: "sticky"), token: 4, now: 6100) == [
            .answerSync(4, .failure(.inconsistentGroupProtocol))
        ])
        #expect(group.sync(SyncInput(memberId: "b-2", groupInstanceId: "i9", generationId: 1), token: 5, now: 6100) == [
            .answerSync(5, .failure(.unknownMemberId))
        ])
        #expect(group.pendingSyncMembers == ["a-1", "b-2"])
    }

    @Test func syncWhilePreparingRebalanceIsTurnedAway() {
        var group = stableGroup()
        _ = group.join(joinInput("a", memberId: "a-1"), token: 9, now: 7000)
        #expect(group.sync(SyncInput(memberId: "b-2", generationId: 1), token: 10, now: 7001) == [.answerSync(10, .failure(.rebalanceInProgress))])
    }

    @Test func syncToAnEmptyGroupIsUnknownMember() {
        var group = newGroup()
        #expect(group.sync(SyncInput(memberId: "a-1", generationId: 0), token: 1, now: 0) == [.answerSync(1, .failure(.unknownMemberId))])
    }

    @Test func membersThatNeverSyncAreRemovedAtTheRebalanceTimeout() {
        var group = completingGroup()
        _ = group.sync(SyncInput(memberId: "a-1", generationId: 1, assignments: ["a-1": [10], "b-2": [20]]), token: 3, now: 6100)
        #expect(group.state == .stable)
        #expect(group.deadlines[.sync] == 66_000)
        // Keep a alive; b never syncs.
        _ = group.heartbeat(HeartbeatInput(memberId: "a-1", generationId: 1), token: 4, now: 15_000)
        _ = group.heartbeat(HeartbeatInput(memberId: "b-2", generationId: 1), token: 5, now: 15_000)
        for now in stride(from: Int64(24_000), through: 64_000, by: 8000) {
            _ = group.heartbeat(HeartbeatInput(memberId: "a-1", generationId: 1), token: 6, now: now)
            _ = group.heartbeat(HeartbeatInput(memberId: "b-2", generationId: 1), token: 7, now: now)
        }
        #expect(group.tick(now: 66_000) == [])
        #expect(group.memberIds == ["a-1"])
        #expect(group.state == .preparingRebalance)
        #expect(group.lastRebalanceReason == "Removing [b-2] on pending sync request expiration")
    }
}

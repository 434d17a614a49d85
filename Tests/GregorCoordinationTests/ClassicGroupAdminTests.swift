import KafkaProtocol
import Testing
@testable import GregorCoordination

@Suite struct ClassicGroupAdminTests {
    @Test func stateNamesAndTransitionsAreKafkas() {
        #expect(ClassicGroup.State.allCases.map(\.name) == ["Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"])
        #expect(ClassicGroup.State.stable.validPreviousStates == [.completingRebalance])
        #expect(ClassicGroup.State.preparingRebalance.validPreviousStates == [.empty, .stable, .completingRebalance])
        #expect(ClassicGroup.State.empty.validPreviousStates == [.preparingRebalance])
    }

    @Test func describeShowsMetadataOnlyWhenStable() {
        let stable = stableGroup()
        #expect(stable.describeGroup() == ClassicGroupDescription(
            groupId: "g", state: "Stable", protocolType: "consumer", protocolData: "range",
            members: [
                .init(memberId: "a-1", groupInstanceId: nil, clientId: "a", clientHost: "/127.0.0.1", metadata: [1], assignment: [10]),
                .init(memberId: "b-2", groupInstanceId: nil, clientId: "b", clientHost: "/127.0.0.1", metadata: [1], assignment: [20]),
            ]))
        let completing = completingGroup()
        #expect(completing.describeGroup().state == "CompletingRebalance")
        #expect(completing.describeGroup().protocolData == "")
        #expect(completing.describeGroup().members.map(\.metadata) == [[], []])

        #expect(stable.listedGroup() == ClassicGroupListing(groupId: "g", protocolType: "consumer", state: "Stable", groupType: "classic"))
        #expect(newGroup().listedGroup() == ClassicGroupListing(groupId: "g", protocolType: "", state: "Empty", groupType: "classic"))
        #expect(newGroup().isSimpleGroup)
        #expect(!stable.isSimpleGroup)
    }

    @Test func offsetCommitChecks() {
        let empty = newGroup()
        // Admin clients and consumers without group management commit with generation -1.
        #expect(empty.validateOffsetCommit(memberId: "", groupInstanceId: nil, generationId: -1) == nil)
        #expect(empty.validateOffsetCommit(memberId: "a-1", groupInstanceId: nil, generationId: 1) == .unknownMemberId)

        let stable = stableGroup()
        #expect(stable.validateOffsetCommit(memberId: "a-1", groupInstanceId: nil, generationId: 1) == nil)
        #expect(stable.validateOffsetCommit(memberId: "a-1", groupInstanceId: nil, generationId: 0) == .illegalGeneration)
        #expect(stable.validateOffsetCommit(memberId: "z-9", groupInstanceId: nil, generationId: 1) == .unknownMemberId)
        #expect(stable.validateOffsetCommit(memberId: "a-1", groupInstanceId: "i1", generationId: 1) == .unknownMemberId)
        #expect(stable.validateOffsetCommit(memberId: "", groupInstanceId: nil, generationId: -1) == .unknownMemberId)
        #expect(stable.validateOffsetCommit(memberId: "", groupInstanceId: nil, generationId: -1, isTransactional: true) == nil)

        let completing = completingGroup()
        #expect(completing.validateOffsetCommit(memberId: "a-1", groupInstanceId: nil, generationId: 1) == .rebalanceInProgress)
        #expect(completing.validateOffsetCommit(memberId: "a-1", groupInstanceId: nil, generationId: 1, isTransactional: true) == nil)

        var preparing = stableGroup()
        _ = preparing.join(joinInput("a", memberId: "a-1"), token: 9, now: 7000)
        // The previous generation may still commit while the group rebalances.
        #expect(preparing.validateOffsetCommit(memberId: "b-2", groupInstanceId: nil, generationId: 1) == nil)
    }

    @Test func deletingAnEmptyGroupMakesItDead() {
        var stable = stableGroup()
        #expect(stable.delete(now: 7000) == .nonEmptyGroup)
        #expect(stable.validateOffsetDelete() == nil)

        var group = newGroup()
        #expect(group.delete(now: 1) == nil)
        #expect(group.state == .dead)
        #expect(group.describeGroup().state == "Dead")
        #expect(group.join(joinInput("a"), token: 1, now: 2) == [.answerJoin(1, .failure(.coordinatorNotAvailable))])
        #expect(group.join(joinInput("a", memberId: "a-1"), token: 2, now: 2) == [.answerJoin(2, .failure(.coordinatorNotAvailable, memberId: "a-1"))])
        #expect(group.sync(SyncInput(memberId: "a-1", generationId: 0), token: 3, now: 2) == [.answerSync(3, .failure(.coordinatorNotAvailable))])
        #expect(group.heartbeat(HeartbeatInput(memberId: "a-1", generationId: 0), token: 4, now: 2) == [.answerHeartbeat(4, .coordinatorNotAvailable)])
        #expect(group.leave([LeavingMember(memberId: "a-1")], token: 5, now: 2) == [.answerLeave(5, LeaveResult(error: .coordinatorNotAvailable))])
        #expect(group.validateOffsetCommit(memberId: "", groupInstanceId: nil, generationId: -1) == .coordinatorNotAvailable)
        #expect(group.validateOffsetFetch() == .groupIdNotFound)
        #expect(group.delete(now: 3) == .groupIdNotFound)
    }

    @Test func unloadingAnswersParkedRequestsWithNotCoordinator() {
        var group = stableGroup()
        _ = group.join(joinInput("a", memberId: "a-1"), token: 9, now: 7000)
        #expect(group.unload(now: 7100) == [.answerJoin(9, .failure(.notCoordinator, memberId: "a-1"))])
        #expect(group.state == .dead)
        #expect(group.nextDeadline == nil)

        var completing = completingGroup()
        _ = completing.sync(SyncInput(memberId: "b-2", generationId: 1), token: 3, now: 6100)
        #expect(completing.unload(now: 6200) == [.answerSync(3, .failure(.notCoordinator))])
    }

    @Test func randomMemberIdsLookLikeJavaUUIDs() {
        var group = ClassicGroup(groupId: "g", now: 0)
        guard case .answerJoin(_, let result) = group.join(joinInput("client"), token: 1, now: 0).first else {
            Issue.record("no answer")
            return
        }
        #expect(result.error == .memberIdRequired)
        let suffix = result.memberId.dropFirst("client-".count)
        #expect(result.memberId.hasPrefix("client-"))
        #expect(suffix.count == 36)
        #expect(suffix.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
        #expect(suffix == suffix.lowercased())
    }
}

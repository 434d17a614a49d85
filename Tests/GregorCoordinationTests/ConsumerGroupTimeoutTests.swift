import KafkaProtocol
import Testing
@testable import GregorCoordination

@Suite struct ConsumerGroupTimeoutTests {
    @Test func sessionTimeoutFencesSilentMembers() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        h.now = 10_000
        _ = h.send(cgJoin("b"))
        #expect(h.group.sessionDeadline(of: "a") == 45_000)
        #expect(h.group.nextDeadline == 45_000)
        #expect(h.advance(to: 44_999).isEmpty)
        #expect(h.advance(to: 45_000) == [
            .memberFenced(memberId: "a", reason: .sessionTimeout), .groupEpochBumped(to: 3),
            .stateChanged(from: .reconciling, to: .assigning),
        ])
        #expect(h.send(cgBeat("a", epoch: 1)).reply == failed(.unknownMemberId))
        // b's next heartbeat computes the new target: everything, free at once.
        #expect(h.send(cgBeat("b", epoch: 2, owned: [:])).reply == ok("b", 3, [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(h.state == .stable)
        #expect(h.group.nextDeadline == 90_000)
    }

    @Test func heartbeatsPushTheSessionDeadline() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        h.now = 40_000
        _ = h.send(cgBeat("a", epoch: 1))
        #expect(h.advance(to: 84_999).isEmpty)
        #expect(h.advance(to: 85_000).first == .memberFenced(memberId: "a", reason: .sessionTimeout))
        #expect(h.state == .empty)
    }

    @Test func rebalanceTimeoutFencesAMemberThatDoesNotRevoke() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a", rebalanceTimeoutMs: 30_000))
        _ = h.send(cgJoin("b"))
        h.now = 1000
        _ = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(h.group.rebalanceDeadline(of: "a") == 31_000)
        #expect(h.group.nextDeadline == 31_000)
        // Heartbeats keep the session alive but do not move the rebalance deadline.
        h.now = 20_000
        _ = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]]))
        _ = h.send(cgBeat("b", epoch: 2, owned: [:]))
        #expect(h.advance(to: 30_999).isEmpty)
        #expect(h.advance(to: 31_000).first == .memberFenced(memberId: "a", reason: .rebalanceTimeout))
        #expect(h.send(cgBeat("b", epoch: 2, owned: [:])).reply == ok("b", 3, [ordersId: [0, 1, 2, 3, 4, 5]]))
    }

    @Test func rebalanceTimerIsDroppedOnceTheMemberMovesOn() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a", rebalanceTimeoutMs: 30_000))
        _ = h.send(cgJoin("b"))
        _ = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]]))
        _ = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2]]))
        #expect(h.group.rebalanceDeadline(of: "a") == nil)
        #expect(h.advance(to: 30_000).isEmpty)
    }

    @Test func regexSubscriptionPicksUpANewTopic() {
        var h = ConsumerGroupHarness(topics: TopicsImage([
            .init(id: ordersEuId, name: "orders-eu", partitionCount: 2),
            .init(id: paymentsId, name: "payments", partitionCount: 3),
        ]))
        #expect(h.send(cgJoin("r", topics: nil, regex: "orders-.*")).reply == ok("r", 1, [ordersEuId: [0, 1]]))
        #expect(h.send(cgBeat("r", epoch: 1)).reply == ok("r", 1))

        h.topics.upsert(.init(id: ordersUsId, name: "orders-us", partitionCount: 2))
        let picked = h.send(cgBeat("r", epoch: 1))
        #expect(picked.reply == ok("r", 2, [ordersEuId: [0, 1], ordersUsId: [0, 1]]))
        #expect(picked.events.contains(.groupEpochBumped(to: 2)))
        // Whole-name matches only, as RE2J's matches(): "xorders-eu" is not picked up.
        h.topics.upsert(.init(id: KafkaUUID(high: 9, low: 9), name: "xorders-eu", partitionCount: 1))
        #expect(h.send(cgBeat("r", epoch: 2)).reply == ok("r", 2))
    }

    @Test func invalidRegularExpressionsAreRejected() {
        var h = ConsumerGroupHarness()
        let broken = h.send(cgJoin("r", topics: nil, regex: "orders-("))
        #expect(broken.reply == failed(.invalidRegularExpression))
        #expect(broken.errorMessage?.hasPrefix("SubscribedTopicRegex `orders-(` is not a valid regular expression") == true)
        // RE2 has no lookarounds or backreferences.
        #expect(h.send(cgJoin("r", topics: nil, regex: "(?!internal).*")).reply == failed(.invalidRegularExpression))
        #expect(h.send(cgJoin("r", topics: nil, regex: "(a)\\1")).reply == failed(.invalidRegularExpression))
        #expect(!h.group.exists)
    }

    @Test func partitionCountChangeAndTopicDeletionBumpTheEpoch() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        h.topics.upsert(.init(id: ordersId, name: "orders", partitionCount: 8))
        #expect(h.group.topicsChanged(h.topics) == [.groupEpochBumped(to: 2), .stateChanged(from: .stable, to: .assigning)])
        #expect(h.send(cgBeat("a", epoch: 1)).reply == ok("a", 2, [ordersId: [0, 1, 2, 3, 4, 5, 6, 7]]))

        h.topics.remove(named: "orders")
        // Without topicsChanged: the next heartbeat notices on its own.
        let deleted = h.send(cgBeat("a", epoch: 2, owned: [ordersId: [0, 1, 2, 3, 4, 5, 6, 7]]))
        #expect(deleted.reply == ok("a", 2, [:]))
        #expect(h.group.groupEpoch == 3 && h.member("a")?.state == .unrevokedPartitions)
        #expect(h.send(cgBeat("a", epoch: 2, owned: [:])).reply == ok("a", 3))
        #expect(h.state == .stable)
    }

    @Test func offsetCommitsAreFencedByMemberEpoch() {
        var h = ConsumerGroupHarness()
        #expect(h.group.validateOffsetCommit(memberId: "", memberEpoch: -1, apiVersion: 9) == nil)
        _ = h.send(cgJoin("a"))
        #expect(h.group.validateOffsetCommit(memberId: "", memberEpoch: -1, apiVersion: 9)?.code == .unknownMemberId)
        #expect(h.group.validateOffsetCommit(memberId: "a", memberEpoch: 1, apiVersion: 9) == nil)
        let stale = h.group.validateOffsetCommit(memberId: "a", memberEpoch: 0, apiVersion: 9)
        #expect(stale?.code == .staleMemberEpoch)
        #expect(stale?.message == "The received member epoch 0 does not match the expected member epoch 1.")
        #expect(h.group.validateOffsetCommit(memberId: "a", memberEpoch: 1, apiVersion: 8)?.code == .unsupportedVersion)
        #expect(h.group.validateOffsetCommit(memberId: "a", memberEpoch: 1, isTransactional: true, apiVersion: 3) == nil)
        #expect(h.group.validateOffsetFetch(memberId: nil, memberEpoch: -1) == nil)
        #expect(h.group.validateOffsetFetch(memberId: "a", memberEpoch: 2)?.code == .staleMemberEpoch)
    }
}

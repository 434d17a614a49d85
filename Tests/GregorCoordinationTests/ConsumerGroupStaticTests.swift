import KafkaProtocol
import Testing
@testable import GregorCoordination

/// KIP-848 static membership: an instance id survives restarts under new member ids.
@Suite struct ConsumerGroupStaticTests {
    @Test func instanceIdIsOwnedUntilReleased() {
        var h = ConsumerGroupHarness()
        #expect(h.send(cgJoin("s1", instance: "i1")).reply == ok("s1", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        let unreleased = h.send(cgJoin("s2", instance: "i1"))
        #expect(unreleased.reply == failed(.unreleasedInstanceId))
        #expect(unreleased.errorMessage
            == "Static member s2 with instance id i1 cannot join the group because the instance id is owned by s1 member.")
        let fenced = h.send(cgBeat("s2", epoch: 1, instance: "i1"))
        #expect(fenced.reply == failed(.fencedInstanceId))
        #expect(fenced.errorMessage == "Static member s2 with instance id i1 was fenced by member s1.")
        let unknown = h.send(cgBeat("s9", epoch: 1, instance: "i9"))
        #expect(unknown.reply == failed(.unknownMemberId))
        #expect(unknown.errorMessage == "Instance id i9 is unknown.")
        #expect(h.send(cgLeave("s2", instance: "i1", epoch: -2)).reply == failed(.fencedInstanceId))
        #expect(h.send(cgLeave("s9", instance: "i9", epoch: -2)).reply == failed(.unknownMemberId))
    }

    @Test func staticLeaveKeepsPartitionsAndRejoinTakesThemBackWithoutRebalance() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("s1", instance: "i1"))
        _ = h.send(cgJoin("d", topics: ["payments"]))
        #expect(h.group.groupEpoch == 2)

        let left = h.send(cgLeave("s1", instance: "i1", epoch: -2))
        #expect(left.reply == ok("s1", -2))
        #expect(left.events.first == .staticMemberLeftTemporarily(memberId: "s1"))
        #expect(h.group.groupEpoch == 2)
        #expect(h.member("s1")?.memberEpoch == -2)
        #expect(h.member("s1")?.assignedPartitions == [ordersId: [0, 1, 2, 3, 4, 5]])

        // The restarted instance comes back under a new member id and gets the same partitions.
        let back = h.send(cgJoin("s1-restarted", instance: "i1"))
        #expect(back.reply == ok("s1-restarted", 2, [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(back.events.first == .memberReplaced(instanceId: "i1", oldMemberId: "s1", newMemberId: "s1-restarted"))
        #expect(h.member("s1") == nil)
        #expect(h.group.groupEpoch == 2)
        #expect(h.group.staticMember(instanceId: "i1")?.memberId == "s1-restarted")
    }

    @Test func staticMemberLeavingForGoodIsRemoved() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("s1", instance: "i1"))
        #expect(h.send(cgLeave("s1", instance: "i1")).reply == ok("s1", -1))
        #expect(h.state == .empty && h.group.staticMember(instanceId: "i1") == nil)
        #expect(h.send(cgJoin("s2", instance: "i1")).reply == ok("s2", 3, [ordersId: [0, 1, 2, 3, 4, 5]]))
    }

    @Test func temporarilyLeftStaticMemberIsRemovedAfterItsSession() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("s1", instance: "i1"))
        h.now = 1000
        _ = h.send(cgLeave("s1", instance: "i1", epoch: -2))
        #expect(h.state == .reconciling)
        #expect(h.advance(to: 45_000).contains(.memberFenced(memberId: "s1", reason: .sessionTimeout)))
        #expect(h.state == .empty)
    }
}

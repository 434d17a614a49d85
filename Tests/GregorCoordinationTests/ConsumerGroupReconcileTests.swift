import KafkaProtocol
import Testing
@testable import GregorCoordination

@Suite struct ConsumerGroupReconcileTests {
    /// a and b share "orders" (6 partitions); c joins; partitions move only once revoked.
    @Test func threeMembersPartitionsMoveOnlyAfterRevocationIsAcknowledged() {
        var h = ConsumerGroupHarness()
        #expect(h.send(cgJoin("a")).reply == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))

        // b joins: its target (3, 4, 5) is still owned by a, so it waits in UNRELEASED_PARTITIONS.
        #expect(h.send(cgJoin("b")).reply == ok("b", 2, [:]))
        #expect(h.member("b")?.state == .unreleasedPartitions)
        #expect(h.state == .reconciling)

        // a is asked to revoke 3, 4, 5 and stays at epoch 1 until it does.
        #expect(h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]])).reply == ok("a", 1, [ordersId: [0, 1, 2]]))
        #expect(h.member("a")?.state == .unrevokedPartitions)
        #expect(h.member("a")?.partitionsPendingRevocation == [ordersId: [3, 4, 5]])
        #expect(h.group.rebalanceDeadline(of: "a") == 60_000)
        #expect(h.send(cgBeat("b", epoch: 2, owned: [:])).reply == ok("b", 2))
        #expect(h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]])).reply == ok("a", 1))

        // a acknowledges: it moves to epoch 2, and only then b receives 3, 4, 5.
        #expect(h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2]])).reply == ok("a", 2))
        #expect(h.group.rebalanceDeadline(of: "a") == nil)
        #expect(h.send(cgBeat("b", epoch: 2, owned: [:])).reply == ok("b", 2, [ordersId: [3, 4, 5]]))
        #expect(h.state == .stable)

        // c joins at epoch 3: a gives up 2, b gives up 5, c waits for both.
        #expect(h.send(cgJoin("c")).reply == ok("c", 3, [:]))
        #expect(h.group.targetAssignment == ["a": [ordersId: [0, 1]], "b": [ordersId: [3, 4]], "c": [ordersId: [2, 5]]])
        #expect(h.send(cgBeat("a", epoch: 2, owned: [ordersId: [0, 1, 2]])).reply == ok("a", 2, [ordersId: [0, 1]]))
        #expect(h.send(cgBeat("b", epoch: 2, owned: [ordersId: [3, 4, 5]])).reply == ok("b", 2, [ordersId: [3, 4]]))
        #expect(h.send(cgBeat("c", epoch: 3, owned: [:])).reply == ok("c", 3))

        // a lets go of 2: c gets 2 but not 5, which b still holds.
        #expect(h.send(cgBeat("a", epoch: 2, owned: [ordersId: [0, 1]])).reply == ok("a", 3))
        #expect(h.send(cgBeat("c", epoch: 3, owned: [:])).reply == ok("c", 3, [ordersId: [2]]))
        #expect(h.member("c")?.state == .unreleasedPartitions)
        #expect(h.state == .reconciling)

        #expect(h.send(cgBeat("b", epoch: 2, owned: [ordersId: [3, 4]])).reply == ok("b", 3))
        #expect(h.send(cgBeat("c", epoch: 3, owned: [ordersId: [2]])).reply == ok("c", 3, [ordersId: [2, 5]]))
        #expect(h.state == .stable)
        #expect(h.group.describe().members.map(\.memberEpoch) == [3, 3, 3])
    }

    @Test func heartbeatWithoutOwnedPartitionsDoesNotCountAsRevocation() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        _ = h.send(cgJoin("b"))
        _ = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(h.send(cgBeat("a", epoch: 1)).reply == ok("a", 1))
        #expect(h.member("a")?.state == .unrevokedPartitions)
    }

    @Test func previousEpochIsAcceptedWhenTheBumpWasLost() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        _ = h.send(cgJoin("b"))
        _ = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]]))
        _ = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2]]))
        #expect(h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1]])).reply == ok("a", 2))
        #expect(h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 3]])).reply == failed(.fencedMemberEpoch))
        #expect(h.send(cgBeat("a", epoch: 1)).reply == failed(.fencedMemberEpoch))
    }

    @Test func rangeAssignorGivesCoPartitionedRanges() {
        var h = ConsumerGroupHarness(topics: TopicsImage([
            .init(id: ordersId, name: "orders", partitionCount: 3),
            .init(id: paymentsId, name: "payments", partitionCount: 3),
        ]))
        _ = h.send(cgJoin("a", topics: ["orders", "payments"], assignor: "range"))
        _ = h.send(cgJoin("b", topics: ["orders", "payments"], assignor: "range"))
        #expect(h.group.targetAssignment == [
            "a": [ordersId: [0, 1], paymentsId: [0, 1]],
            "b": [ordersId: [2], paymentsId: [2]],
        ])
    }

    @Test func uniformAssignorBalancesCountsAndIsSticky() {
        var h = ConsumerGroupHarness(topics: TopicsImage([
            .init(id: ordersId, name: "orders", partitionCount: 3),
            .init(id: paymentsId, name: "payments", partitionCount: 3),
        ]))
        _ = h.send(cgJoin("a", topics: ["orders", "payments"]))
        _ = h.send(cgJoin("b", topics: ["orders", "payments"]))
        #expect(h.group.targetAssignment["a"]?.partitionCount == 3)
        #expect(h.group.targetAssignment["b"]?.partitionCount == 3)
        let before = h.group.targetAssignment
        _ = h.send(cgJoin("c", topics: ["orders", "payments"]))
        let after = h.group.targetAssignment
        #expect(after.values.map(\.partitionCount).sorted() == [2, 2, 2])
        // Sticky: a and b each keep two of what they had.
        #expect(after["a"]!.isSubset(of: before["a"]!) && after["b"]!.isSubset(of: before["b"]!))
    }

    @Test func uniformAssignorWithDifferentSubscriptions() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a", topics: ["orders", "payments"]))
        _ = h.send(cgJoin("b", topics: ["payments"]))
        let target = h.group.targetAssignment
        #expect(target["a"]?[ordersId] == [0, 1, 2, 3, 4, 5])
        #expect(target["b"]?[paymentsId] == [0, 1, 2])
        #expect(target["a"]?[paymentsId] == nil)
    }

    @Test func mostRequestedAssignorWins() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a", assignor: "range"))
        _ = h.send(cgJoin("b", assignor: "range"))
        _ = h.send(cgJoin("c", assignor: "uniform"))
        let computed = h.send(cgBeat("c", epoch: 3, topics: ["orders", "payments"])).events
        #expect(computed.contains(.targetAssignmentComputed(epoch: 4, assignor: "range")))
        #expect(h.group.describe().assignorName == "range")
    }
}

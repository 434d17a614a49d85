import KafkaProtocol
import Testing
@testable import GregorCluster

@Suite struct AlterPartitionTests {
    /// Partition t-0 on 1, 2, 3, led by 1 at leader epoch 5 and partition epoch 7, with 3 out of sync.
    func machine(brokers: [Int32] = [1, 2, 3]) -> ControllerStateMachine {
        controller(brokers: brokers, partitions: [state([1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 5, partitionEpoch: 7)])
    }

    func request(from broker: Int32 = 1, leaderEpoch: Int32 = 5, partitionEpoch: Int32 = 7, isr: [Int32]) -> IsrChangeRequest {
        IsrChangeRequest(brokerId: broker, partition: t0, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch, newIsr: isr)
    }

    @Test func theLeaderExpandsTheIsrAndOnlyThePartitionEpochMoves() {
        var machine = machine()
        let expanded = state([1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 5, partitionEpoch: 8)
        #expect(machine.alterPartition(request(isr: [1, 2, 3])) == AlterPartitionOutcome(
            writes: [.updatePartition(t0, expanded, expectedPartitionEpoch: 7)], error: .none, state: expanded))
        // The same request again is now at a stale partition epoch.
        #expect(machine.alterPartition(request(isr: [1, 2, 3])) == AlterPartitionOutcome(error: .invalidUpdateVersion))
    }

    @Test func theLeaderShrinksTheIsr() {
        var machine = machine()
        let shrunk = state([1, 2, 3], isr: [1], leader: 1, leaderEpoch: 5, partitionEpoch: 8)
        #expect(machine.alterPartition(request(isr: [1])) == AlterPartitionOutcome(
            writes: [.updatePartition(t0, shrunk, expectedPartitionEpoch: 7)], error: .none, state: shrunk))
    }

    @Test func anUnchangedIsrIsAcceptedWithoutAWrite() {
        var machine = machine()
        #expect(machine.alterPartition(request(isr: [1, 2])) == AlterPartitionOutcome(
            error: .none, state: state([1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 5, partitionEpoch: 7)))
    }

    @Test func requestsAreCheckedInKafkasOrder() {
        var machine = machine()
        #expect(machine.alterPartition(request(leaderEpoch: 6, isr: [1, 2, 3])).error == .notController)
        #expect(machine.alterPartition(request(partitionEpoch: 8, isr: [1, 2, 3])).error == .notController)
        #expect(machine.alterPartition(request(leaderEpoch: 4, isr: [1, 2, 3])).error == .fencedLeaderEpoch)
        #expect(machine.alterPartition(request(from: 2, isr: [1, 2, 3])).error == .invalidRequest)
        #expect(machine.alterPartition(request(partitionEpoch: 6, isr: [1, 2, 3])).error == .invalidUpdateVersion)
        #expect(machine.alterPartition(request(isr: [1, 2, 2])).error == .invalidRequest)
        #expect(machine.alterPartition(request(isr: [1, 2, 4])).error == .invalidRequest)
        #expect(machine.alterPartition(request(isr: [2, 3])).error == .invalidRequest)
        #expect(machine.alterPartition(request(from: 9, isr: [1, 2, 3])).error == .staleBrokerEpoch)
        #expect(machine.alterPartition(IsrChangeRequest(brokerId: 1, partition: t1, leaderEpoch: 5, partitionEpoch: 7, newIsr: [1])).error
            == .unknownTopicOrPartition)
        #expect(machine.image.partitions[t0]?.partitionEpoch == 7)
    }

    @Test func deadOrShuttingDownReplicasMayNotJoinTheIsr() {
        var gone = machine(brokers: [1, 2])
        #expect(gone.alterPartition(request(isr: [1, 2, 3])) == AlterPartitionOutcome(error: .ineligibleReplica))
        var shuttingDown = machine()
        #expect(shuttingDown.handle(.brokerPut(broker(3, shuttingDown: true))) == [])
        #expect(shuttingDown.alterPartition(request(isr: [1, 2, 3])) == AlterPartitionOutcome(error: .ineligibleReplica))
    }
}

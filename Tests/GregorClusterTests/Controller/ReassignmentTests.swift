import KafkaProtocol
import Testing
@testable import GregorCluster

@Suite struct ReassignmentTests {
    @Test func movingToNewBrokersAddsThemAndCompletesWhenTheyAreInSync() throws {
        var machine = controller(brokers: [1, 2, 3, 4], partitions: [state([1, 2, 3], isr: [1, 2, 3], leader: 1)])
        #expect(try machine.reassign(t0, to: [4, 2, 3]).get() == [
            .updatePartition(t0, state([4, 2, 3, 1], isr: [1, 2, 3], leader: 1, partitionEpoch: 1, adding: [4], removing: [1]),
                             expectedPartitionEpoch: 0),
        ])
        #expect(machine.listReassignments() == [
            OngoingReassignment(partition: t0, replicas: [4, 2, 3, 1], addingReplicas: [4], removingReplicas: [1]),
        ])

        // The leader adds 4 to the ISR: that completes the move, which removes the leader itself.
        let outcome = machine.alterPartition(IsrChangeRequest(brokerId: 1, partition: t0, leaderEpoch: 0, partitionEpoch: 1, newIsr: [1, 2, 3, 4]))
        #expect(outcome == AlterPartitionOutcome(writes: [
            .updatePartition(t0, state([4, 2, 3], isr: [2, 3, 4], leader: 4, leaderEpoch: 1, partitionEpoch: 2), expectedPartitionEpoch: 1),
        ], error: .newLeaderElected))
        #expect(machine.listReassignments() == [])
    }

    @Test func reorderingCompletesAtOnceAndKeepsTheLeaderUntilAPreferredElection() throws {
        var machine = controller(partitions: [state([1, 2, 3], isr: [1, 2, 3], leader: 1)])
        #expect(try machine.reassign(t0, to: [3, 2, 1]).get() == [
            .updatePartition(t0, state([3, 2, 1], isr: [1, 2, 3], leader: 1, partitionEpoch: 1), expectedPartitionEpoch: 0),
        ])
        #expect(machine.listReassignments() == [])
    }

    @Test func droppingAReplicaCompletesAtOnceAndFencesItWithANewLeaderEpoch() throws {
        var machine = controller(partitions: [state([1, 2, 3], isr: [1, 2, 3], leader: 1)])
        #expect(try machine.reassign(t0, to: [1, 2]).get() == [
            .updatePartition(t0, state([1, 2], isr: [1, 2], leader: 1, leaderEpoch: 1, partitionEpoch: 1), expectedPartitionEpoch: 0),
        ])
    }

    @Test func cancellingTakesTheAddedReplicasBackOut() throws {
        var machine = controller(brokers: [1, 2, 3, 4], partitions: [
            state([4, 2, 3, 1], isr: [1, 2, 3, 4], leader: 1, partitionEpoch: 3, adding: [4], removing: [1]),
        ])
        // As in Kafka the replicas keep the moved order, less the added ones, so the preferred leader
        // becomes 2; dropping 4 from the replicas bumps the leader epoch.
        #expect(try machine.reassign(t0, to: nil).get() == [
            .updatePartition(t0, state([2, 3, 1], isr: [1, 2, 3], leader: 1, leaderEpoch: 1, partitionEpoch: 4), expectedPartitionEpoch: 3),
        ])
        #expect(machine.reassign(t0, to: nil) == .failure(ControllerFailure(.noReassignmentInProgress,
            "No partition reassignment is in progress.")))
    }

    @Test func cancellingWhenOnlyAddedReplicasAreInSyncNeedsUncleanElection() {
        let moving = state([4, 1], isr: [4], leader: 4, partitionEpoch: 3, adding: [4], removing: [1])
        var machine = controller(brokers: [1, 4], partitions: [moving])
        #expect(machine.reassign(t0, to: nil) == .failure(ControllerFailure(.invalidReplicaAssignment,
            "Unable to revert partition assignment for t:0 because it would require an unclean leader election.")))

        var unclean = controller(brokers: [1, 4], partitions: [moving], topicConfigs: ["unclean.leader.election.enable": "true"])
        #expect(unclean.reassign(t0, to: nil) == .success([
            .updatePartition(t0, state([1], isr: [1], leader: 1, leaderEpoch: 1, partitionEpoch: 4), expectedPartitionEpoch: 3),
        ]))
    }

    @Test func targetsAreValidatedAsManualAssignments() {
        var machine = controller(partitions: [state([1, 2], isr: [1, 2], leader: 1)])
        #expect(machine.reassign(t0, to: [1, 9]) == .failure(ControllerFailure(.invalidReplicaAssignment,
            "The manual partition assignment includes broker 9, but no such broker is registered.")))
        #expect(machine.reassign(t0, to: []) == .failure(ControllerFailure(.invalidReplicaAssignment,
            "The manual partition assignment includes an empty replica list.")))
        #expect(machine.reassign(PartitionKey("t", 5), to: [1]) == .failure(ControllerFailure(.unknownTopicOrPartition,
            "Unable to find partition t:5.")))
        #expect(machine.reassign(PartitionKey("u", 0), to: [1]) == .failure(ControllerFailure(.unknownTopicOrPartition,
            "Unable to find a topic named u.")))
    }
}

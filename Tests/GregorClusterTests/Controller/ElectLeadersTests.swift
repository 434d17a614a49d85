import KafkaProtocol
import Testing
@testable import GregorCluster

@Suite struct ElectLeadersTests {
    @Test func aPreferredElectionHandsLeadershipBackToTheFirstReplica() {
        var machine = controller(partitions: [state([1, 2, 3], isr: [1, 2, 3], leader: 2, leaderEpoch: 3, partitionEpoch: 4)])
        let outcome = machine.electLeaders(.preferred, partitions: [t0])
        #expect(outcome.writes == [
            .updatePartition(t0, state([1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 5), expectedPartitionEpoch: 4),
        ])
        #expect(outcome.results == [ElectionResult(partition: t0, error: .none)])
        #expect(machine.electLeaders(.preferred, partitions: [t0]).results == [
            ElectionResult(partition: t0, error: .electionNotNeeded, message: "Leader election not needed for topic partition."),
        ])
    }

    @Test func thePreferredReplicaMustBeLiveAndInSync() {
        var notInSync = controller(partitions: [state([1, 2], isr: [2], leader: 2)])
        #expect(notInSync.electLeaders(.preferred, partitions: [t0]) == ([], [
            ElectionResult(partition: t0, error: .preferredLeaderNotAvailable, message: ErrorCode.preferredLeaderNotAvailable.defaultMessage),
        ]))
        var notLive = controller(brokers: [2], partitions: [state([1, 2], isr: [1, 2], leader: 2)])
        #expect(notLive.electLeaders(.preferred, partitions: [t0]).results.map(\.error) == [.preferredLeaderNotAvailable])
    }

    @Test func anUncleanElectionRevivesALeaderlessPartitionFromOutsideTheIsr() {
        var machine = controller(brokers: [2, 3], partitions: [
            state([1, 2], isr: [1], leader: -1, leaderEpoch: 1, partitionEpoch: 1),
            state([2, 3], isr: [2, 3], leader: 2),
            state([1], isr: [1], leader: -1),
        ])
        let outcome = machine.electLeaders(.unclean, partitions: [t0, t1, t2])
        #expect(outcome.writes == [
            .updatePartition(t0, state([1, 2], isr: [2], leader: 2, leaderEpoch: 2, partitionEpoch: 2), expectedPartitionEpoch: 1),
        ])
        #expect(outcome.results.map(\.error) == [.none, .electionNotNeeded, .eligibleLeadersNotAvailable])
    }

    @Test func unknownPartitionsAreNamedInTheAnswer() {
        var machine = controller(partitions: [state([1], isr: [1], leader: 1)])
        #expect(machine.electLeaders(.preferred, partitions: [PartitionKey("nope", 0), t1]).results == [
            ElectionResult(partition: PartitionKey("nope", 0), error: .unknownTopicOrPartition, message: "No such topic as nope"),
            ElectionResult(partition: t1, error: .unknownTopicOrPartition, message: "No such partition as t-1"),
        ])
    }

    @Test func electingEverywhereLeavesOutThePartitionsThatNeedNothing() {
        var machine = controller(partitions: [
            state([1, 2], isr: [1, 2], leader: 1),
            state([1, 2], isr: [1, 2], leader: 2),
        ])
        let outcome = machine.electLeaders(.preferred, partitions: nil)
        #expect(outcome.results == [ElectionResult(partition: t1, error: .none)])
        #expect(outcome.writes.count == 1)
    }

    @Test func theLeaderRebalancePassMovesEveryPartitionItCan() {
        var machine = controller(brokers: [2, 3], partitions: [
            state([2, 3], isr: [2, 3], leader: 3),
            state([1, 2], isr: [1, 2], leader: 2),
            state([3, 2], isr: [3, 2], leader: 3),
        ])
        #expect(machine.balancePartitionLeaders() == [
            .updatePartition(t0, state([2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 1), expectedPartitionEpoch: 0),
        ])
        #expect(machine.balancePartitionLeaders() == [])
    }

    @Test func theRebalancePassStopsAtTheElectionLimit() {
        var machine = controller(partitions: [
            state([1, 2], isr: [1, 2], leader: 2),
            state([1, 2], isr: [1, 2], leader: 2),
        ], config: ControllerConfig(maxElectionsPerPass: 1))
        #expect(machine.balancePartitionLeaders().count == 1)
        #expect(machine.balancePartitionLeaders().count == 1)
        #expect(machine.balancePartitionLeaders() == [])
    }
}

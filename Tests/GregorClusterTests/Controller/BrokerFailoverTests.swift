import KafkaProtocol
import Testing
@testable import GregorCluster

@Suite struct BrokerFailoverTests {
    @Test func aDeadLeaderIsSucceededByTheNextIsrReplicaInReplicaOrder() {
        var machine = controller(partitions: [state([1, 2, 3], isr: [3, 1, 2], leader: 1, leaderEpoch: 4, partitionEpoch: 9)])
        #expect(machine.brokerGone(1) == [
            .updatePartition(t0, state([1, 2, 3], isr: [3, 2], leader: 2, leaderEpoch: 5, partitionEpoch: 10), expectedPartitionEpoch: 9),
        ])
        #expect(machine.image.brokers[1] == nil)
    }

    @Test func aDeadFollowerOnlyLeavesTheIsr() {
        var machine = controller(partitions: [state([1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 9)])
        #expect(machine.brokerGone(3) == [
            .updatePartition(t0, state([1, 2, 3], isr: [1, 2], leader: 1, leaderEpoch: 4, partitionEpoch: 10), expectedPartitionEpoch: 9),
        ])
    }

    @Test func aReplicaOutsideTheIsrDyingChangesNothing() {
        var machine = controller(partitions: [state([1, 2, 3], isr: [1, 2], leader: 1)])
        #expect(machine.brokerGone(3) == [])
    }

    @Test func theLastIsrMemberDyingLeavesThePartitionLeaderlessWithItAsTheIsr() {
        var machine = controller(partitions: [state([1, 2], isr: [1], leader: 1, leaderEpoch: 2, partitionEpoch: 5)])
        #expect(machine.brokerGone(1) == [
            .updatePartition(t0, state([1, 2], isr: [1], leader: -1, leaderEpoch: 3, partitionEpoch: 6), expectedPartitionEpoch: 5),
        ])
        // Broker 2 was not in sync: coming back does not make it leader.
        #expect(machine.brokerRegistered(broker(2, incarnation: "second")) == [])
        // The last ISR member does.
        #expect(machine.brokerRegistered(broker(1, incarnation: "second")) == [
            .updatePartition(t0, state([1, 2], isr: [1], leader: 1, leaderEpoch: 4, partitionEpoch: 7), expectedPartitionEpoch: 6),
        ])
    }

    @Test func withUncleanElectionAReplicaOutsideTheIsrTakesOverAtOnce() {
        var machine = controller(partitions: [state([1, 2], isr: [1], leader: 1, leaderEpoch: 2, partitionEpoch: 5)],
                                 topicConfigs: ["unclean.leader.election.enable": "true"])
        #expect(machine.brokerGone(1) == [
            .updatePartition(t0, state([1, 2], isr: [2], leader: 2, leaderEpoch: 3, partitionEpoch: 6), expectedPartitionEpoch: 5),
        ])
    }

    @Test func withUncleanElectionAsTheClusterDefaultAReturningReplicaLeadsALeaderlessPartition() {
        var machine = controller(brokers: [], partitions: [state([1, 2], isr: [1], leader: -1, leaderEpoch: 3, partitionEpoch: 6)],
                                 config: ControllerConfig(uncleanLeaderElectionEnable: true))
        #expect(machine.brokerRegistered(broker(2)) == [
            .updatePartition(t0, state([1, 2], isr: [2], leader: 2, leaderEpoch: 4, partitionEpoch: 7), expectedPartitionEpoch: 6),
        ])
    }

    @Test func aTopicOverrideTurnsUncleanElectionOffAgainstTheDefault() {
        var machine = controller(brokers: [], partitions: [state([1, 2], isr: [1], leader: -1)],
                                 topicConfigs: ["unclean.leader.election.enable": "false"],
                                 config: ControllerConfig(uncleanLeaderElectionEnable: true))
        #expect(machine.brokerRegistered(broker(2)) == [])
    }

    @Test func enablingUncleanElectionOnATopicRevivesItsLeaderlessPartitions() {
        var machine = controller(brokers: [2], partitions: [state([1, 2], isr: [1], leader: -1, leaderEpoch: 3, partitionEpoch: 6)])
        #expect(machine.handle(.topicPut(TopicRecord(name: "t", topicId: "T", partitionCount: 1, configs: ["retention.ms": "1"]))) == [])
        #expect(machine.handle(.topicPut(TopicRecord(name: "t", topicId: "T", partitionCount: 1,
                                                     configs: ["unclean.leader.election.enable": "true"]))) == [
            .updatePartition(t0, state([1, 2], isr: [2], leader: 2, leaderEpoch: 4, partitionEpoch: 7), expectedPartitionEpoch: 6),
        ])
    }

    @Test func aBrokerRestartingUnderANewIncarnationIsGoneAndBack() {
        var machine = controller(partitions: [state([1, 2], isr: [1, 2], leader: 1)])
        #expect(machine.handle(.brokerPut(broker(1, incarnation: "second"))) == [
            .updatePartition(t0, state([1, 2], isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 1), expectedPartitionEpoch: 0),
        ])
        #expect(machine.image.brokers[1]?.incarnationId == "second")
        // The same registration put again (an endpoint change, a lease renewal) changes nothing.
        #expect(machine.handle(.brokerPut(broker(1, incarnation: "second"))) == [])
    }

    @Test func watchEventsDriveTheSameDecisionsAndEchoesChangeNothing() {
        var machine = controller(partitions: [state([1, 2, 3], isr: [1, 2, 3], leader: 1)])
        let writes = machine.handle(.brokerDeleted(1))
        #expect(writes == [.updatePartition(t0, state([1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 1, partitionEpoch: 1), expectedPartitionEpoch: 0)])
        let afterDecision = machine.image
        let later = machine.handle(.brokerDeleted(2))
        #expect(later == [.updatePartition(t0, state([1, 2, 3], isr: [3], leader: 3, leaderEpoch: 2, partitionEpoch: 2), expectedPartitionEpoch: 1)])
        // The echo of the first write arrives after the second decision: it is older, and dropped.
        #expect(machine.handle(writes[0].event) == [])
        #expect(machine.image.partitions[t0]?.leader == 3)
        #expect(afterDecision.partitions[t0]?.leader == 2)
    }

    @Test func everyPartitionOfTheBrokerChangesInOneDecision() {
        var machine = controller(partitions: [
            state([1, 2], isr: [1, 2], leader: 1),
            state([2, 1], isr: [2, 1], leader: 2),
            state([2, 3], isr: [2, 3], leader: 2),
        ])
        #expect(machine.brokerGone(1) == [
            .updatePartition(t0, state([1, 2], isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 1), expectedPartitionEpoch: 0),
            .updatePartition(t1, state([2, 1], isr: [2], leader: 2, leaderEpoch: 0, partitionEpoch: 1), expectedPartitionEpoch: 0),
        ])
        #expect(machine.image.partitionsLed(by: 2) == [t0, t1, t2])
    }
}

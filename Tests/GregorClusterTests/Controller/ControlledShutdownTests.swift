import KafkaProtocol
import Testing
@testable import GregorCluster

@Suite struct ControlledShutdownTests {
    @Test func leadershipMovesToAnotherIsrMemberAndTheBrokerLeavesEveryIsr() {
        var machine = controller(partitions: [
            state([1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 1, partitionEpoch: 1),
            state([2, 1], isr: [2, 1], leader: 2),
        ])
        let shutdown = machine.controlledShutdown(1)
        #expect(shutdown.writes == [
            .updatePartition(t0, state([1, 2, 3], isr: [2, 3], leader: 2, leaderEpoch: 2, partitionEpoch: 2), expectedPartitionEpoch: 1),
            .updatePartition(t1, state([2, 1], isr: [2], leader: 2, leaderEpoch: 0, partitionEpoch: 1), expectedPartitionEpoch: 0),
        ])
        #expect(shutdown.remainingLeaderships == [])
        #expect(machine.image.brokers[1]?.inControlledShutdown == true)
    }

    @Test func asTheOnlyIsrMemberItGivesUpLeadershipAndStaysInTheIsr() {
        // KRaft: a broker shutting down is no acceptable leader, so the partition goes offline
        // rather than keeping the broker as leader.
        var machine = controller(partitions: [state([1, 2], isr: [1], leader: 1)])
        let shutdown = machine.controlledShutdown(1)
        #expect(shutdown.writes == [
            .updatePartition(t0, state([1, 2], isr: [1], leader: -1, leaderEpoch: 1, partitionEpoch: 1), expectedPartitionEpoch: 0),
        ])
        #expect(shutdown.remainingLeaderships == [])
    }

    @Test func theRegistrationFlagStartsItThroughTheWatch() {
        var machine = controller(partitions: [state([1, 2], isr: [1, 2], leader: 1)])
        #expect(machine.handle(.brokerPut(broker(1, shuttingDown: true))) == [
            .updatePartition(t0, state([1, 2], isr: [2], leader: 2, leaderEpoch: 1, partitionEpoch: 1), expectedPartitionEpoch: 0),
        ])
        // Its lease then lapses: it is in no ISR any more, so nothing changes.
        #expect(machine.handle(.brokerDeleted(1)) == [])
    }

    @Test func aBrokerShuttingDownIsNotElectedEvenAsTheLastIsrMember() {
        var machine = controller(partitions: [state([1, 2], isr: [1], leader: 1)])
        _ = machine.controlledShutdown(1)
        #expect(machine.handle(.brokerPut(broker(1, shuttingDown: true))) == [])
        #expect(machine.image.partitions[t0] == state([1, 2], isr: [1], leader: -1, leaderEpoch: 1, partitionEpoch: 1))
        // Restarted, it registers afresh and leads again.
        #expect(machine.handle(.brokerPut(broker(1, incarnation: "second"))) == [
            .updatePartition(t0, state([1, 2], isr: [1], leader: 1, leaderEpoch: 2, partitionEpoch: 2), expectedPartitionEpoch: 1),
        ])
    }
}

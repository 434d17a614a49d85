import KafkaProtocol
import Testing
@testable import GregorCluster

@Suite struct ControllerTopicTests {
    func rackedController() -> ControllerStateMachine {
        let brokers = (1...6).map { broker(Int32($0), rack: "rack-\(($0 + 1) / 2)") }
        return ControllerStateMachine(image: ClusterImage(brokers: brokers), seed: 42)
    }

    @Test func aNewTopicIsOneTransactionOfTopicAndPartitionsLedByTheirFirstReplica() throws {
        var machine = rackedController()
        let writes = try machine.createTopic(NewTopicRequest(name: "orders", topicId: "ID", numPartitions: 6, replicationFactor: 3)).get()

        #expect(writes.first == .createTopic(TopicRecord(name: "orders", topicId: "ID", partitionCount: 6)))
        #expect(writes.count == 7)
        let partitions = machine.image.partitions(of: "orders")
        #expect(partitions.map(\.key.partition) == [0, 1, 2, 3, 4, 5])
        for (key, state) in partitions {
            #expect(writes.contains(.createPartition(key, state)))
            #expect(state.isr == state.replicas)
            #expect(state.leader == state.replicas[0])
            #expect(state.leaderEpoch == 0 && state.partitionEpoch == 0)
            #expect(Set(state.replicas.map { (machine.image.brokers[$0]!.rack)! }).count == 3)
        }
        #expect(Set(partitions.map(\.state.leader)) == [1, 2, 3, 4, 5, 6])
    }

    @Test func minusOneTakesTheConfiguredDefaults() throws {
        var machine = controller(brokers: [1, 2], config: ControllerConfig(defaultPartitions: 3, defaultReplicationFactor: 2))
        _ = try machine.createTopic(NewTopicRequest(name: "d", topicId: "D")).get()
        #expect(machine.image.topics["d"]?.partitionCount == 3)
        #expect(machine.image.partitions(of: "d").allSatisfy { Set($0.state.replicas) == [1, 2] })
    }

    @Test func impossibleTopicsAreRefusedWithKafkasErrors() {
        var machine = controller(brokers: [1, 2])
        #expect(machine.createTopic(NewTopicRequest(name: "x", topicId: "X", numPartitions: 1, replicationFactor: 3)) == .failure(ControllerFailure(
            .invalidReplicationFactor,
            "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.")))
        #expect(machine.createTopic(NewTopicRequest(name: "x", topicId: "X", numPartitions: 1, replicationFactor: 0)) == .failure(ControllerFailure(
            .invalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value.")))
        #expect(machine.createTopic(NewTopicRequest(name: "x", topicId: "X", numPartitions: 0, replicationFactor: 1)) == .failure(ControllerFailure(
            .invalidPartitions, "Number of partitions was set to an invalid non-positive value.")))
        _ = machine.createTopic(NewTopicRequest(name: "x", topicId: "X", numPartitions: 1, replicationFactor: 1))
        #expect(machine.createTopic(NewTopicRequest(name: "x", topicId: "Y", numPartitions: 1, replicationFactor: 1)) == .failure(ControllerFailure(
            .topicAlreadyExists, "Topic 'x' already exists.")))
    }

    @Test func brokersShuttingDownGetNoNewReplicas() throws {
        var machine = ControllerStateMachine(image: ClusterImage(brokers: [broker(1), broker(2), broker(3, shuttingDown: true)]), seed: 1)
        _ = try machine.createTopic(NewTopicRequest(name: "s", topicId: "S", numPartitions: 4, replicationFactor: 2)).get()
        #expect(machine.image.partitions(of: "s").allSatisfy { Set($0.state.replicas) == [1, 2] })
        #expect(machine.createTopic(NewTopicRequest(name: "u", topicId: "U", numPartitions: 1, replicationFactor: 3)) == .failure(ControllerFailure(
            .invalidReplicationFactor,
            "Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.")))
    }

    @Test func manualAssignmentsKeepTheirOrderAndLeaveShuttingDownBrokersOutOfTheIsr() throws {
        var machine = ControllerStateMachine(image: ClusterImage(brokers: [broker(1), broker(2), broker(3, shuttingDown: true)]), seed: 1)
        let writes = try machine.createTopic(NewTopicRequest(name: "m", topicId: "M", assignments: [
            ManualAssignment(partitionIndex: 1, brokerIds: [2, 1]),
            ManualAssignment(partitionIndex: 0, brokerIds: [3, 1]),
        ])).get()
        #expect(writes == [
            .createTopic(TopicRecord(name: "m", topicId: "M", partitionCount: 2)),
            .createPartition(PartitionKey("m", 0), state([3, 1], isr: [1], leader: 1)),
            .createPartition(PartitionKey("m", 1), state([2, 1], isr: [2, 1], leader: 2)),
        ])
    }

    @Test func manualAssignmentsAreValidatedAsKafkaDoes() {
        var machine = ControllerStateMachine(image: ClusterImage(brokers: [broker(1), broker(2), broker(3, shuttingDown: true)]), seed: 1)
        func create(_ assignments: [ManualAssignment], partitions: Int32 = -1, replication: Int16 = -1) -> Result<[ControllerWrite], ControllerFailure> {
            machine.createTopic(NewTopicRequest(name: "m", topicId: "M", numPartitions: partitions, replicationFactor: replication, assignments: assignments))
        }
        func refused(_ code: ErrorCode, _ message: String) -> Result<[ControllerWrite], ControllerFailure> {
            .failure(ControllerFailure(code, message))
        }
        let ok = ManualAssignment(partitionIndex: 0, brokerIds: [1, 2])
        #expect(create([ok], replication: 2) == refused(.invalidRequest,
            "A manual partition assignment was specified, but replication factor was not set to -1."))
        #expect(create([ok], partitions: 1) == refused(.invalidRequest,
            "A manual partition assignment was specified, but numPartitions was not set to -1."))
        #expect(create([ok, ManualAssignment(partitionIndex: 1, brokerIds: [1])]) == refused(.invalidReplicaAssignment,
            "The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s)."))
        #expect(create([ManualAssignment(partitionIndex: 0, brokerIds: [2, 2])]) == refused(.invalidReplicaAssignment,
            "The manual partition assignment includes the broker 2 more than once."))
        #expect(create([ManualAssignment(partitionIndex: 0, brokerIds: [1, 9])]) == refused(.invalidReplicaAssignment,
            "The manual partition assignment includes broker 9, but no such broker is registered."))
        #expect(create([ManualAssignment(partitionIndex: 0, brokerIds: [])]) == refused(.invalidReplicaAssignment,
            "The manual partition assignment includes an empty replica list."))
        #expect(create([ok, ManualAssignment(partitionIndex: 0, brokerIds: [2, 1])]) == refused(.invalidReplicaAssignment,
            "Found multiple manual partition assignments for partition 0"))
        #expect(create([ok, ManualAssignment(partitionIndex: 2, brokerIds: [2, 1])]) == refused(.invalidReplicaAssignment,
            "partitions should be a consecutive 0-based integer sequence"))
        #expect(create([ManualAssignment(partitionIndex: 0, brokerIds: [3])]) == refused(.invalidReplicaAssignment,
            "All brokers specified in the manual partition assignment for partition 0 are fenced or in controlled shutdown."))
        #expect(machine.image.topics.isEmpty)
    }

    @Test func partitionsAreAddedWithTheTopicsReplicationFactor() throws {
        var machine = controller(partitions: [state([1, 2], isr: [1, 2], leader: 1)])
        let writes = try machine.createPartitions(topic: "t", count: 3).get()
        #expect(writes.first == .updateTopic(TopicRecord(name: "t", topicId: "T", partitionCount: 3)))
        #expect(writes.count == 3)
        #expect(machine.image.partitions(of: "t").map(\.state.replicas.count) == [2, 2, 2])

        #expect(try machine.createPartitions(topic: "t", count: 4, assignments: [[3, 1]]).get() == [
            .updateTopic(TopicRecord(name: "t", topicId: "T", partitionCount: 4)),
            .createPartition(PartitionKey("t", 3), state([3, 1], isr: [3, 1], leader: 3)),
        ])
    }

    @Test func partitionCountsThatDoNotGrowAreRefused() {
        var machine = controller(partitions: [state([1, 2], isr: [1, 2], leader: 1), state([2, 3], isr: [2, 3], leader: 2)])
        #expect(machine.createPartitions(topic: "t", count: 2) == .failure(ControllerFailure(.invalidPartitions, "Topic already has 2 partition(s).")))
        #expect(machine.createPartitions(topic: "t", count: 1) == .failure(ControllerFailure(.invalidPartitions,
            "The topic t currently has 2 partition(s); 1 would not be an increase.")))
        #expect(machine.createPartitions(topic: "t", count: 4, assignments: [[1, 2]]) == .failure(ControllerFailure(.invalidReplicaAssignment,
            "Attempted to add 2 additional partition(s), but only 1 assignment(s) were specified.")))
        #expect(machine.createPartitions(topic: "t", count: 3, assignments: [[1]]) == .failure(ControllerFailure(.invalidReplicaAssignment,
            "The manual partition assignment includes a partition with 1 replica(s), but this is not consistent with previous partitions, which have 2 replica(s).")))
        #expect(machine.createPartitions(topic: "nope", count: 3) == .failure(ControllerFailure(.unknownTopicOrPartition)))
    }

    @Test func placementFailuresWhenAddingPartitionsKeepThePlacersBareMessage() {
        var machine = controller(brokers: [1], partitions: [state([1, 2], isr: [1], leader: 1)])
        #expect(machine.createPartitions(topic: "t", count: 2) == .failure(ControllerFailure(.invalidReplicationFactor,
            "The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.")))
    }

    @Test func deletingATopicDeletesItsPartitionsInTheSameTransaction() throws {
        var machine = controller(partitions: [state([1], isr: [1], leader: 1), state([2], isr: [2], leader: 2)])
        #expect(try machine.deleteTopic("t").get() == [.deleteTopic("t"), .deletePartition(t0), .deletePartition(t1)])
        #expect(machine.image.topics.isEmpty && machine.image.partitions.isEmpty)
        #expect(machine.deleteTopic("t") == .failure(ControllerFailure(.unknownTopicOrPartition)))
    }
}

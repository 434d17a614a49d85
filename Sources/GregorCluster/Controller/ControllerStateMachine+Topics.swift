import KafkaProtocol

/// One partition's replicas as CreateTopics or CreatePartitions name them.
public struct ManualAssignment: Hashable, Sendable {
    public var partitionIndex: Int32
    public var brokerIds: [Int32]

    public init(partitionIndex: Int32, brokerIds: [Int32]) {
        self.partitionIndex = partitionIndex
        self.brokerIds = brokerIds
    }
}

/// A topic to create, as CreateTopics carries it after the broker's own checks (name, duplicates
/// in the request, configs).
public struct NewTopicRequest: Hashable, Sendable {
    public var name: String
    /// The id the new topic gets (Kafka's base64 form); the caller draws it.
    public var topicId: String
    /// -1 for `num.partitions` (KIP-464), and with manual assignments.
    public var numPartitions: Int32
    /// -1 for `default.replication.factor`, and with manual assignments.
    public var replicationFactor: Int16
    public var assignments: [ManualAssignment]
    public var configs: [String: String]

    public init(name: String, topicId: String, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
                assignments: [ManualAssignment] = [], configs: [String: String] = [:]) {
        self.name = name
        self.topicId = topicId
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.assignments = assignments
        self.configs = configs
    }
}

extension ControllerStateMachine {
    /// CreateTopics for one topic (ReplicationControlManager.createTopic). The writes are one
    /// transaction: the topic and all its partitions, each at epoch 0, led by the first live replica
    /// with the live replicas as the ISR.
    public mutating func createTopic(_ request: NewTopicRequest) -> Result<[ControllerWrite], ControllerFailure> {
        if image.topics[request.name] != nil {
            return .failure(ControllerFailure(.topicAlreadyExists, "Topic '\(request.name)' already exists."))
        }
        var states: [Int32: PartitionState] = [:]
        if !request.assignments.isEmpty {
            if request.replicationFactor != -1 {
                return .failure(ControllerFailure(.invalidRequest, "A manual partition assignment was specified, but replication factor was not set to -1."))
            }
            if request.numPartitions != -1 {
                return .failure(ControllerFailure(.invalidRequest, "A manual partition assignment was specified, but numPartitions was not set to -1."))
            }
            var replicationFactor: Int?
            for assignment in request.assignments {
                if states[assignment.partitionIndex] != nil {
                    return .failure(ControllerFailure(.invalidReplicaAssignment, "Found multiple manual partition assignments for partition \(assignment.partitionIndex)"))
                }
                if let failure = validateManualAssignment(assignment.brokerIds, replicationFactor: replicationFactor) { return .failure(failure) }
                replicationFactor = assignment.brokerIds.count
                let isr = assignment.brokerIds.filter(image.isActive)
                if isr.isEmpty {
                    return .failure(ControllerFailure(.invalidReplicaAssignment, "All brokers specified in the manual partition assignment for partition \(assignment.partitionIndex) are fenced or in controlled shutdown."))
                }
                states[assignment.partitionIndex] = PartitionState(replicas: assignment.brokerIds, isr: isr, leader: isr[0])
            }
            for index in 0..<Int32(states.count) where states[index] == nil {
                return .failure(ControllerFailure(.invalidReplicaAssignment, "partitions should be a consecutive 0-based integer sequence"))
            }
        } else if request.replicationFactor < -1 || request.replicationFactor == 0 {
            return .failure(ControllerFailure(.invalidReplicationFactor, "Replication factor must be larger than 0, or -1 to use the default value."))
        } else if request.numPartitions < -1 || request.numPartitions == 0 {
            return .failure(ControllerFailure(.invalidPartitions, "Number of partitions was set to an invalid non-positive value."))
        } else {
            let count = request.numPartitions == -1 ? config.defaultPartitions : request.numPartitions
            let replicationFactor = request.replicationFactor == -1 ? config.defaultReplicationFactor : request.replicationFactor
            let placements: [[Int32]]
            do {
                placements = try StripedReplicaPlacer.place(partitions: Int(count), replicationFactor: Int(replicationFactor),
                                                            brokers: usableBrokers, using: &generator)
            } catch {
                return .failure(ControllerFailure(.invalidReplicationFactor, "Unable to replicate the partition \(replicationFactor) time(s): \(error.message)"))
            }
            for (index, replicas) in placements.enumerated() {
                let isr = replicas.filter(image.isActive)
                if isr.isEmpty {
                    return .failure(ControllerFailure(.invalidReplicationFactor, "Unable to replicate the partition \(replicationFactor) time(s): All brokers are currently fenced or in controlled shutdown."))
                }
                states[Int32(index)] = PartitionState(replicas: replicas, isr: isr, leader: isr[0])
            }
        }
        let topic = TopicRecord(name: request.name, topicId: request.topicId, partitionCount: Int32(states.count), configs: request.configs)
        let writes = [ControllerWrite.createTopic(topic)]
            + states.sorted { $0.key < $1.key }.map { .createPartition(PartitionKey(request.name, $0.key), $0.value) }
        commit(writes)
        return .success(writes)
    }

    /// CreatePartitions for one topic (ReplicationControlManager.createPartitions): new partitions
    /// with the replication factor of partition 0, placed as a new topic's are unless assigned.
    /// The writes are one transaction.
    public mutating func createPartitions(topic name: String, count: Int32, assignments: [[Int32]]? = nil) -> Result<[ControllerWrite], ControllerFailure> {
        guard var topic = image.topics[name] else { return .failure(ControllerFailure(.unknownTopicOrPartition)) }
        let existing = image.partitions(of: name)
        if count == Int32(existing.count) {
            return .failure(ControllerFailure(.invalidPartitions, "Topic already has \(existing.count) partition(s)."))
        }
        if count < Int32(existing.count) {
            return .failure(ControllerFailure(.invalidPartitions, "The topic \(name) currently has \(existing.count) partition(s); \(count) would not be an increase."))
        }
        let additional = Int(count) - existing.count
        if let assignments, assignments.count != additional {
            return .failure(ControllerFailure(.invalidReplicaAssignment, "Attempted to add \(additional) additional partition(s), but only \(assignments.count) assignment(s) were specified."))
        }
        guard let first = existing.first else {
            return .failure(ControllerFailure(.unknownServerError, "Invalid state: topic \(name) appears to have no partitions."))
        }
        let replicationFactor = first.state.replicas.count
        let start = Int32(existing.count)
        let placements: [[Int32]]
        if let assignments {
            for (offset, replicas) in assignments.enumerated() {
                if let failure = validateManualAssignment(replicas, replicationFactor: replicationFactor) { return .failure(failure) }
                if !replicas.contains(where: image.isActive) {
                    return .failure(ControllerFailure(.invalidReplicaAssignment, "All brokers specified in the manual partition assignment for partition \(start + Int32(offset)) are fenced or in controlled shutdown."))
                }
            }
            placements = assignments
        } else {
            do {
                placements = try StripedReplicaPlacer.place(partitions: additional, replicationFactor: replicationFactor,
                                                            brokers: usableBrokers, using: &generator)
            } catch {
                // Unlike CreateTopics, Kafka passes the placer's message on without a prefix.
                return .failure(ControllerFailure(.invalidReplicationFactor, error.message))
            }
        }
        var writes: [ControllerWrite] = []
        for (offset, replicas) in placements.enumerated() {
            let isr = replicas.filter(image.isActive)
            if isr.isEmpty {
                return .failure(ControllerFailure(.invalidReplicationFactor, "Unable to replicate the partition \(replicationFactor) time(s): All brokers are currently fenced or in controlled shutdown."))
            }
            writes.append(.createPartition(PartitionKey(name, start + Int32(offset)), PartitionState(replicas: replicas, isr: isr, leader: isr[0])))
        }
        topic.partitionCount = count
        writes.insert(.updateTopic(topic), at: 0)
        commit(writes)
        return .success(writes)
    }

    /// DeleteTopics for one topic: the topic and its partitions go in one transaction.
    public mutating func deleteTopic(_ name: String) -> Result<[ControllerWrite], ControllerFailure> {
        guard image.topics[name] != nil else { return .failure(ControllerFailure(.unknownTopicOrPartition)) }
        let writes = [ControllerWrite.deleteTopic(name)] + image.partitions(of: name).map { .deletePartition($0.key) }
        commit(writes)
        return .success(writes)
    }

    /// Brokers new replicas may go to: all registered ones but those shutting down.
    var usableBrokers: [UsableBroker] {
        image.brokers.values.filter { !$0.inControlledShutdown }.map { UsableBroker(id: $0.id, rack: $0.rack) }
    }

    /// ReplicationControlManager.validateManualPartitionAssignment, with its messages. A broker
    /// registered but shutting down is accepted here; the ISR check that follows catches a
    /// partition with no active broker at all.
    func validateManualAssignment(_ replicas: [Int32], replicationFactor: Int?) -> ControllerFailure? {
        if replicas.isEmpty {
            return ControllerFailure(.invalidReplicaAssignment, "The manual partition assignment includes an empty replica list.")
        }
        var previous: Int32?
        for id in replicas.sorted() {
            if image.brokers[id] == nil {
                return ControllerFailure(.invalidReplicaAssignment, "The manual partition assignment includes broker \(id), but no such broker is registered.")
            }
            if id == previous {
                return ControllerFailure(.invalidReplicaAssignment, "The manual partition assignment includes the broker \(id) more than once.")
            }
            previous = id
        }
        if let replicationFactor, replicas.count != replicationFactor {
            return ControllerFailure(.invalidReplicaAssignment, "The manual partition assignment includes a partition with \(replicas.count) replica(s), but this is not consistent with previous partitions, which have \(replicationFactor) replica(s).")
        }
        return nil
    }
}

import KafkaProtocol

/// A partition leader's request to change its ISR (KIP-497 AlterPartition, one partition).
public struct IsrChangeRequest: Hashable, Sendable {
    /// The broker asking: it must be the partition's leader.
    public var brokerId: Int32
    public var partition: PartitionKey
    /// The leader and partition epochs of the state the leader changes.
    public var leaderEpoch: Int32
    public var partitionEpoch: Int32
    public var newIsr: [Int32]

    public init(brokerId: Int32, partition: PartitionKey, leaderEpoch: Int32, partitionEpoch: Int32, newIsr: [Int32]) {
        self.brokerId = brokerId
        self.partition = partition
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.newIsr = newIsr
    }
}

/// The answer to an AlterPartition request, and the writes it made.
public struct AlterPartitionOutcome: Hashable, Sendable {
    public var writes: [ControllerWrite]
    public var error: ErrorCode
    /// The partition as it now stands, when `error` is none: the leader adopts it.
    public var state: PartitionState?

    public init(writes: [ControllerWrite] = [], error: ErrorCode, state: PartitionState? = nil) {
        self.writes = writes
        self.error = error
        self.state = state
    }
}

extension ControllerStateMachine {
    /// An ISR change from a partition's leader, checked in the order of Kafka's
    /// ReplicationControlManager.validateAlterPartitionData:
    ///
    /// - epochs above the controller's: NOT_CONTROLLER (this controller is behind; the leader
    ///   retries, finding the current controller);
    /// - a stale leader epoch: FENCED_LEADER_EPOCH;
    /// - not from the leader: INVALID_REQUEST;
    /// - a stale partition epoch: INVALID_UPDATE_VERSION;
    /// - an ISR with duplicates, non-replicas or without the leader: INVALID_REQUEST;
    /// - an ISR member that is not registered or is shutting down: INELIGIBLE_REPLICA (KIP-841).
    ///
    /// On success the partition epoch is bumped and the leader epoch kept. If the new ISR completes
    /// a reassignment that removes the leader, a new leader is elected and the answer is
    /// NEW_LEADER_ELECTED although the change is made (Kafka answers FENCED_LEADER_EPOCH to
    /// AlterPartition v0-1).
    public mutating func alterPartition(_ request: IsrChangeRequest) -> AlterPartitionOutcome {
        // Kafka checks the broker epoch of the whole request first (ClusterControlManager.checkBrokerEpoch).
        guard image.brokers[request.brokerId] != nil else { return AlterPartitionOutcome(error: .staleBrokerEpoch) }
        let key = request.partition
        guard image.topics[key.topic] != nil, let state = image.partitions[key] else {
            return AlterPartitionOutcome(error: .unknownTopicOrPartition)
        }
        if request.leaderEpoch > state.leaderEpoch || request.partitionEpoch > state.partitionEpoch {
            return AlterPartitionOutcome(error: .notController)
        }
        if request.leaderEpoch < state.leaderEpoch { return AlterPartitionOutcome(error: .fencedLeaderEpoch) }
        if request.brokerId != state.leader { return AlterPartitionOutcome(error: .invalidRequest) }
        if request.partitionEpoch < state.partitionEpoch { return AlterPartitionOutcome(error: .invalidUpdateVersion) }
        let members = Set(request.newIsr)
        if members.count != request.newIsr.count || !members.isSubset(of: state.replicas) || !members.contains(state.leader) {
            return AlterPartitionOutcome(error: .invalidRequest)
        }
        if request.newIsr.contains(where: { !image.isActive($0) }) { return AlterPartitionOutcome(error: .ineligibleReplica) }

        var change = PartitionChange(state, isAcceptableLeader: image.isActive)
        if uncleanLeaderElectionEnabled(for: key.topic) { change.election = .unclean }
        change.targetIsr = request.newIsr
        guard let next = change.build() else { return AlterPartitionOutcome(error: .none, state: state) }
        let writes = [ControllerWrite.updatePartition(key, next, expectedPartitionEpoch: state.partitionEpoch)]
        commit(writes)
        if next.leader != request.brokerId { return AlterPartitionOutcome(writes: writes, error: .newLeaderElected) }
        return AlterPartitionOutcome(writes: writes, error: .none, state: next)
    }
}

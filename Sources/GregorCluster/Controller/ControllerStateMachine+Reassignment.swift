import KafkaProtocol

/// A partition being moved, as ListPartitionReassignments shows it.
public struct OngoingReassignment: Hashable, Sendable {
    public var partition: PartitionKey
    /// The target replicas followed by those leaving.
    public var replicas: [Int32]
    public var addingReplicas: [Int32]
    public var removingReplicas: [Int32]
}

extension ControllerStateMachine {
    /// AlterPartitionReassignments for one partition (KIP-455): `target` nil cancels.
    ///
    /// Moving starts with the replicas set to the target followed by those leaving, and the
    /// difference recorded as adding and removing. Once every remaining replica is in the ISR (the
    /// leader adds the new ones through AlterPartition) the move completes in the same change: the
    /// leaving replicas drop out of the replicas and the ISR, the leader epoch is bumped, and a new
    /// leader is elected if the old one left. A move that only reorders or drops replicas already
    /// satisfies that and completes at once.
    ///
    /// Cancelling takes the adding replicas back out; if that empties the ISR the first remaining
    /// replica is put back into it alone, which Kafka allows only where unclean election is.
    public mutating func reassign(_ key: PartitionKey, to target: [Int32]?) -> Result<[ControllerWrite], ControllerFailure> {
        guard image.topics[key.topic] != nil else {
            return .failure(ControllerFailure(.unknownTopicOrPartition, "Unable to find a topic named \(key.topic)."))
        }
        guard let state = image.partitions[key] else {
            return .failure(ControllerFailure(.unknownTopicOrPartition, "Unable to find partition \(key.topic):\(key.partition)."))
        }
        var change = PartitionChange(state, isAcceptableLeader: image.isActive)
        if let target {
            if let failure = validateManualAssignment(target, replicationFactor: nil) { return .failure(failure) }
            let move = Reassignment.start(current: state.replicas, target: target)
            change.targetReplicas = move.replicas
            // Kafka keeps an earlier move's lists where the new one has nothing to add or remove.
            if !move.removing.isEmpty { change.targetRemoving = move.removing }
            if !move.adding.isEmpty { change.targetAdding = move.adding }
        } else {
            guard !state.addingReplicas.isEmpty || !state.removingReplicas.isEmpty else {
                return .failure(ControllerFailure(.noReassignmentInProgress, ErrorCode.noReassignmentInProgress.defaultMessage))
            }
            let unclean = uncleanLeaderElectionEnabled(for: key.topic)
            let revert = Reassignment.revert(state)
            if revert.unclean && !unclean {
                return .failure(ControllerFailure(.invalidReplicaAssignment, "Unable to revert partition assignment for \(key.topic):\(key.partition) because it would require an unclean leader election."))
            }
            if unclean { change.election = .unclean }
            change.targetIsr = revert.isr
            change.targetReplicas = revert.replicas
            change.targetAdding = []
            change.targetRemoving = []
        }
        guard let next = change.build() else { return .success([]) }
        let writes = [ControllerWrite.updatePartition(key, next, expectedPartitionEpoch: state.partitionEpoch)]
        commit(writes)
        return .success(writes)
    }

    /// ListPartitionReassignments: the partitions being moved, of those named or of all.
    public func listReassignments(_ partitions: [PartitionKey]? = nil) -> [OngoingReassignment] {
        (partitions ?? image.partitions.keys.sorted()).compactMap { key in
            guard let state = image.partitions[key], !state.addingReplicas.isEmpty || !state.removingReplicas.isEmpty else { return nil }
            return OngoingReassignment(partition: key, replicas: state.replicas, addingReplicas: state.addingReplicas,
                                       removingReplicas: state.removingReplicas)
        }
    }
}

import KafkaProtocol

/// ElectLeaders' election types (KIP-460).
public enum ElectionType: Hashable, Sendable {
    /// Move leadership to the first replica, if it is live and in the ISR.
    case preferred
    /// Give a leaderless partition any live replica, in or out of the ISR.
    case unclean
}

/// One partition's answer to ElectLeaders.
public struct ElectionResult: Hashable, Sendable {
    public var partition: PartitionKey
    public var error: ErrorCode
    public var message: String?

    public init(partition: PartitionKey, error: ErrorCode, message: String? = nil) {
        self.partition = partition
        self.error = error
        self.message = message
    }
}

extension ControllerStateMachine {
    /// ElectLeaders (ReplicationControlManager.electLeaders). With `partitions` nil every partition
    /// is tried, and those that need no election are left out of the answer.
    public mutating func electLeaders(_ type: ElectionType, partitions: [PartitionKey]?) -> (writes: [ControllerWrite], results: [ElectionResult]) {
        var writes: [ControllerWrite] = []
        var results: [ElectionResult] = []
        for key in partitions ?? image.partitions.keys.sorted() {
            let (result, write) = electLeader(key, type)
            if let write {
                writes.append(write)
                commit([write])
            }
            if partitions == nil && result.error == .electionNotNeeded { continue }
            results.append(result)
        }
        return (writes, results)
    }

    /// Auto leader rebalance (`auto.leader.rebalance.enable`, run every
    /// `leader.imbalance.check.interval.seconds` by the caller): a preferred election for every
    /// partition not led by its first replica, at most `maxElectionsPerPass` writes. As in KRaft,
    /// `leader.imbalance.per.broker.percentage` plays no part. Partitions whose preferred replica
    /// cannot lead are left alone.
    public mutating func balancePartitionLeaders() -> [ControllerWrite] {
        var writes: [ControllerWrite] = []
        for key in image.partitions.keys.sorted() where writes.count < config.maxElectionsPerPass {
            guard let state = image.partitions[key], state.leader != state.replicas.first else { continue }
            var change = PartitionChange(state, isAcceptableLeader: image.isActive)
            change.election = .preferred
            guard let next = change.build() else { continue }
            let write = ControllerWrite.updatePartition(key, next, expectedPartitionEpoch: state.partitionEpoch)
            writes.append(write)
            commit([write])
        }
        return writes
    }

    /// Unclean elections for the leaderless partitions of topics that allow them
    /// (ReplicationControlManager.maybeElectUncleanLeaders, which KRaft's QuorumController runs
    /// every `unclean.leader.election.interval.ms` while some partition has no leader), at most
    /// `maxElectionsPerPass` writes; `topic` limits it to one topic.
    public mutating func electUncleanLeaders(topic: String? = nil) -> [ControllerWrite] {
        var writes: [ControllerWrite] = []
        let leaderless = image.partitions.filter { $0.value.leader == PartitionState.noLeader && (topic == nil || $0.key.topic == topic) }
        for key in leaderless.keys.sorted() where writes.count < config.maxElectionsPerPass {
            guard uncleanLeaderElectionEnabled(for: key.topic) else { continue }
            if let write = electLeader(key, .unclean).write {
                writes.append(write)
                commit([write])
            }
        }
        return writes
    }

    private func electLeader(_ key: PartitionKey, _ type: ElectionType) -> (result: ElectionResult, write: ControllerWrite?) {
        func result(_ error: ErrorCode, _ message: String? = nil) -> ElectionResult {
            ElectionResult(partition: key, error: error, message: message ?? error.defaultMessage)
        }
        guard image.topics[key.topic] != nil else { return (result(.unknownTopicOrPartition, "No such topic as \(key.topic)"), nil) }
        guard let state = image.partitions[key] else {
            return (result(.unknownTopicOrPartition, "No such partition as \(key.topic)-\(key.partition)"), nil)
        }
        switch type {
        case .preferred where state.leader == state.replicas.first, .unclean where state.leader != PartitionState.noLeader:
            return (result(.electionNotNeeded), nil)
        default:
            break
        }
        var change = PartitionChange(state, isAcceptableLeader: image.isActive)
        change.election = type == .preferred ? .preferred : .unclean
        guard let next = change.build() else {
            return (result(type == .preferred ? .preferredLeaderNotAvailable : .eligibleLeadersNotAvailable), nil)
        }
        return (ElectionResult(partition: key, error: .none), .updatePartition(key, next, expectedPartitionEpoch: state.partitionEpoch))
    }
}

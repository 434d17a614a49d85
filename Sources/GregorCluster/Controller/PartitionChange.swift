/// How a new leader may be chosen (Kafka's PartitionChangeBuilder.Election).
enum Election: Hashable, Sendable {
    /// The first replica if it can lead, else keep the partition online from the ISR.
    case preferred
    /// Keep the partition online from the ISR.
    case online
    /// As `online`, but with no eligible ISR member take any acceptable replica and make it the
    /// whole ISR: what was committed only on the old ISR may be lost.
    case unclean
}

/// One partition's next state: Kafka's PartitionChangeBuilder as it behaves without ELR
/// (KIP-966's eligible leader replicas are not modelled).
///
/// Set the targets, then `build()`; it completes a reassignment the target ISR allows (KIP-455),
/// elects a leader, and returns nil when nothing changes. Every change bumps the partition epoch;
/// a leader change, or a reassignment that drops replicas, bumps the leader epoch too. An ISR
/// shrink does not (it did before metadata version 3.6, KAFKA-15021).
struct PartitionChange {
    let current: PartitionState
    let isAcceptableLeader: (Int32) -> Bool
    var election: Election = .online
    var targetIsr: [Int32]
    var targetReplicas: [Int32]
    var targetAdding: [Int32]
    var targetRemoving: [Int32]

    init(_ current: PartitionState, isAcceptableLeader: @escaping (Int32) -> Bool) {
        self.current = current
        self.isAcceptableLeader = isAcceptableLeader
        self.targetIsr = current.isr
        self.targetReplicas = current.replicas
        self.targetAdding = current.addingReplicas
        self.targetRemoving = current.removingReplicas
    }

    func build() -> PartitionState? {
        var isr = targetIsr
        var replicas = targetReplicas
        var adding = targetAdding
        var removing = targetRemoving
        if let completed = Reassignment.completion(replicas: replicas, adding: adding, removing: removing, isr: isr) {
            isr = completed.isr
            replicas = completed.replicas
            adding = []
            removing = []
        }

        var next = current
        var leaderChanged = false
        var isrSetByElection = false
        let (elected, unclean) = electLeader(isr: isr, replicas: replicas)
        if elected != current.leader {
            next.leader = elected
            leaderChanged = true
            if unclean {
                next.isr = [elected]
                isrSetByElection = true
            }
        }
        // Dropping replicas fences the removed ones' fetches through a new leader epoch.
        if !leaderChanged && !Set(replicas).isSuperset(of: current.replicas) {
            leaderChanged = true
        }
        // Without ELR the ISR is never written empty: the last member stays, so that it alone
        // may lead again when it returns.
        if !isrSetByElection && !isr.isEmpty {
            next.isr = isr
        }
        if !replicas.isEmpty { next.replicas = replicas }
        next.addingReplicas = adding
        next.removingReplicas = removing
        if leaderChanged { next.leaderEpoch += 1 }
        if next == current { return nil }
        next.partitionEpoch += 1
        return next
    }

    private func isValidLeader(_ replica: Int32, isr: [Int32]) -> Bool {
        isr.contains(replica) && isAcceptableLeader(replica)
    }

    private func electLeader(isr: [Int32], replicas: [Int32]) -> (leader: Int32, unclean: Bool) {
        if election == .preferred {
            if let preferred = replicas.first, isValidLeader(preferred, isr: isr) { return (preferred, false) }
            if isValidLeader(current.leader, isr: isr) { return (current.leader, false) }
            if let online = replicas.dropFirst().first(where: { isValidLeader($0, isr: isr) }) { return (online, false) }
            return (PartitionState.noLeader, false)
        }
        if isValidLeader(current.leader, isr: isr) { return (current.leader, false) }
        if let online = replicas.first(where: { isValidLeader($0, isr: isr) }) { return (online, false) }
        if election == .unclean, let any = replicas.first(where: isAcceptableLeader) { return (any, true) }
        return (PartitionState.noLeader, false)
    }
}

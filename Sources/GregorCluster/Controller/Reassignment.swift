/// The replica-list arithmetic of a reassignment (KIP-455), as Kafka's
/// PartitionReassignmentReplicas and PartitionReassignmentRevert do it.
enum Reassignment {
    /// Starting a move from `current` to `target`: the replicas are the target followed by the ones
    /// leaving, so the preferred leader is already the target's first. Adding and removing are in
    /// broker-id order (Kafka builds them as TreeSets).
    static func start(current: [Int32], target: [Int32]) -> (replicas: [Int32], adding: [Int32], removing: [Int32]) {
        let removing = Set(current).subtracting(target).sorted()
        let adding = Set(target).subtracting(current).sorted()
        return (target + removing, adding, removing)
    }

    /// The replicas and ISR once the reassignment completes, or nil while it cannot: every replica
    /// that stays must be in the ISR, and the ISR must keep at least one member.
    static func completion(replicas: [Int32], adding: [Int32], removing: [Int32], isr: [Int32]) -> (replicas: [Int32], isr: [Int32])? {
        guard !adding.isEmpty || !removing.isEmpty else { return nil }
        let newIsr = isr.filter { !removing.contains($0) }
        let newReplicas = replicas.filter { !removing.contains($0) }
        guard !newIsr.isEmpty, !newReplicas.isEmpty, Set(newIsr).isSuperset(of: newReplicas) else { return nil }
        return (newReplicas, newIsr)
    }

    /// Cancelling: the replicas being added leave the replica list and the ISR. When that empties
    /// the ISR the first remaining replica becomes its only member, which is an unclean election.
    static func revert(_ state: PartitionState) -> (replicas: [Int32], isr: [Int32], unclean: Bool) {
        let replicas = state.replicas.filter { !state.addingReplicas.contains($0) }
        let isr = state.isr.filter { !state.addingReplicas.contains($0) }
        if isr.isEmpty, let first = replicas.first {
            return (replicas, [first], true)
        }
        return (replicas, isr, false)
    }
}

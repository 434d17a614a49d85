import KafkaProtocol

/// One partition of one topic.
struct TopicIdPartition: Hashable, Sendable {
    var topicId: KafkaUUID
    var partition: Int32
}

extension ConsumerGroup {
    /// Kafka's `maybeReconcile`: move the member towards its target assignment, and schedule
    /// (or cancel) its rebalance timeout when it starts (or stops) owing a revocation.
    mutating func reconcile(memberId: String, ownedPartitions: PartitionAssignment?, now: Int64) {
        guard let member = members[memberId], !member.isReconciled(to: assignmentEpoch) else { return }
        // Kafka's `currentPartitionEpoch`: a partition is held while assigned or pending revocation.
        var heldByOthers = Set<TopicIdPartition>()
        for other in members.values where other.memberId != memberId {
            for assignment in [other.assignedPartitions, other.partitionsPendingRevocation] {
                for (topicId, partitions) in assignment {
                    for partition in partitions { heldByOthers.insert(TopicIdPartition(topicId: topicId, partition: partition)) }
                }
            }
        }
        let builder = CurrentAssignmentBuilder(
            member: member, targetEpoch: assignmentEpoch, target: targetAssignment[memberId] ?? [:],
            owned: ownedPartitions, heldByOthers: heldByOthers)
        let updated = builder.build()
        guard updated.reconciliationState != member.reconciliationState else { return }
        members[memberId] = updated
        if updated.state == .unrevokedPartitions {
            rebalanceDeadlines[memberId] = RebalanceDeadline(
                memberEpoch: updated.memberEpoch, deadline: now + Int64(updated.rebalanceTimeoutMs))
        } else {
            rebalanceDeadlines[memberId] = nil
        }
    }
}

/// Kafka's `CurrentAssignmentBuilder`: one step of a member's reconciliation.
///
/// A member keeps `assigned ∩ target`; the rest of what it had is pending revocation. While it
/// still reports owning any of those, it stays at its epoch in UNREVOKED_PARTITIONS. Once it
/// has let go, it moves to the target epoch and receives the target partitions that no other
/// member still holds; the ones still held leave it in UNRELEASED_PARTITIONS until released.
struct CurrentAssignmentBuilder {
    var member: ConsumerGroupMember
    var targetEpoch: Int32
    var target: PartitionAssignment
    /// nil: the request did not say, so the member is assumed to still own everything.
    var owned: PartitionAssignment?
    /// Kafka's `currentPartitionEpoch(...) != -1`.
    var heldByOthers: Set<TopicIdPartition>

    func build() -> ConsumerGroupMember {
        switch member.state {
        case .stable:
            guard member.memberEpoch != targetEpoch else { return member }
            return computeNextAssignment(memberEpoch: member.memberEpoch)
        case .unrevokedPartitions:
            if ownsRevokedPartitions(member.partitionsPendingRevocation) { return member }
            return computeNextAssignment(memberEpoch: member.memberEpoch + 1)
        case .unreleasedPartitions:
            return computeNextAssignment(memberEpoch: member.memberEpoch)
        }
    }

    private func ownsRevokedPartitions(_ pending: PartitionAssignment) -> Bool {
        guard let owned else { return true }
        return owned.contains { topicId, partitions in
            guard let revoking = pending[topicId] else { return false }
            return !partitions.isDisjoint(with: revoking)
        }
    }

    private func computeNextAssignment(memberEpoch: Int32) -> ConsumerGroupMember {
        var hasUnreleased = false
        var assigned: PartitionAssignment = [:]
        var pendingRevocation: PartitionAssignment = [:]
        var pendingAssignment: PartitionAssignment = [:]

        for topicId in Set(target.keys).union(member.assignedPartitions.keys) {
            let targetPartitions = target[topicId] ?? []
            let current = member.assignedPartitions[topicId] ?? []
            let kept = current.intersection(targetPartitions)
            let revoking = current.subtracting(kept)
            var adding = targetPartitions.subtracting(kept)
            let unreleased = adding.filter { heldByOthers.contains(TopicIdPartition(topicId: topicId, partition: $0)) }
            if !unreleased.isEmpty {
                hasUnreleased = true
                adding.subtract(unreleased)
            }
            if !kept.isEmpty { assigned[topicId] = kept }
            if !revoking.isEmpty { pendingRevocation[topicId] = revoking }
            if !adding.isEmpty { pendingAssignment[topicId] = adding }
        }

        var next = member
        if !pendingRevocation.isEmpty && ownsRevokedPartitions(pendingRevocation) {
            // Revoke first: the epoch stays until the member acknowledges.
            next.state = .unrevokedPartitions
            next.updateMemberEpoch(memberEpoch)
            next.assignedPartitions = assigned
            next.partitionsPendingRevocation = pendingRevocation
            return next
        }
        for (topicId, partitions) in pendingAssignment { assigned[topicId, default: []].formUnion(partitions) }
        next.state = hasUnreleased ? .unreleasedPartitions : .stable
        next.updateMemberEpoch(targetEpoch)
        next.assignedPartitions = assigned
        next.partitionsPendingRevocation = [:]
        return next
    }
}

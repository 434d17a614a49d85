import KafkaProtocol

/// The state of a consumer group (Kafka's `ConsumerGroup.ConsumerGroupState`), derived from the
/// members and the epochs after every change.
public enum ConsumerGroupState: String, Hashable, Sendable, CaseIterable {
    /// No members. The group lives on (for its offsets) until it is deleted.
    case empty = "Empty"
    /// The group epoch is ahead of the target assignment epoch: a new target assignment is due
    /// (computed on the next heartbeat of any member).
    case assigning = "Assigning"
    /// The target assignment is current, but some member has not converged to it yet.
    case reconciling = "Reconciling"
    /// Every member is stable at the target assignment epoch.
    case stable = "Stable"
    /// The group was deleted.
    case dead = "Dead"

    /// The name ConsumerGroupDescribe and ListGroups show.
    public var name: String { rawValue }
}

/// Where a member is in its reconciliation (Kafka's `MemberState`).
public enum ConsumerMemberState: String, Hashable, Sendable {
    /// The member owns its assignment at its epoch; it may still be behind the target epoch.
    case stable = "stable"
    /// The member must revoke partitions (stop fetching, commit, drop them) and say so by
    /// heartbeating without them; its epoch stays put until it does.
    case unrevokedPartitions = "unrevoked_partitions"
    /// The member is at the target epoch, but some of its target partitions are still owned by
    /// other members; it receives them once they are released.
    case unreleasedPartitions = "unreleased_partitions"
}

/// One member of a consumer group (Kafka's `ConsumerGroupMember`).
public struct ConsumerGroupMember: Hashable, Sendable {
    public var memberId: String
    public var instanceId: String?
    public var rackId: String?
    public var rebalanceTimeoutMs: Int32 = -1
    public var clientId: String = ""
    public var clientHost: String = ""
    /// As sent: Kafka compares the lists, so the order counts.
    public var subscribedTopicNames: [String] = []
    public var subscribedTopicRegex: String?
    public var serverAssignor: String?

    public var memberEpoch: Int32 = 0
    public var previousMemberEpoch: Int32 = 0
    public var state: ConsumerMemberState = .stable
    /// What the member is told it owns.
    public var assignedPartitions: PartitionAssignment = [:]
    /// What it must give up; still counted as owned until it acknowledges.
    public var partitionsPendingRevocation: PartitionAssignment = [:]

    public init(memberId: String) {
        self.memberId = memberId
    }

    func isReconciled(to targetEpoch: Int32) -> Bool {
        state == .stable && memberEpoch == targetEpoch
    }

    /// Like Kafka's `Builder.updateMemberEpoch`: the old epoch becomes the previous one.
    mutating func updateMemberEpoch(_ epoch: Int32) {
        previousMemberEpoch = memberEpoch
        memberEpoch = epoch
    }

    /// The fields reconciliation moves; a change means the rebalance timer is rescheduled.
    var reconciliationState: ReconciliationState {
        ReconciliationState(
            memberEpoch: memberEpoch, previousMemberEpoch: previousMemberEpoch, state: state,
            assigned: assignedPartitions, pending: partitionsPendingRevocation)
    }

    struct ReconciliationState: Hashable {
        var memberEpoch: Int32
        var previousMemberEpoch: Int32
        var state: ConsumerMemberState
        var assigned: PartitionAssignment
        var pending: PartitionAssignment
    }
}

extension Dictionary where Key == KafkaUUID, Value == Set<Int32> {
    /// Every (topic, partition) of the assignment belongs to `other`.
    func isSubset(of other: PartitionAssignment) -> Bool {
        allSatisfy { topicId, partitions in
            partitions.isEmpty || (other[topicId].map { partitions.isSubset(of: $0) } ?? false)
        }
    }

    var partitionCount: Int { values.reduce(0) { $0 + $1.count } }

    /// Drops topics left without partitions, so that equal assignments compare equal.
    var normalized: PartitionAssignment { filter { !$0.value.isEmpty } }
}

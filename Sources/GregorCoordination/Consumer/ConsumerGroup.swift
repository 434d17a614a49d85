import KafkaProtocol

/// A KIP-848 consumer group as a pure state machine: ConsumerGroupHeartbeat requests, timer
/// ticks and topic snapshots go in; responses, events and deadlines come out. The driver (its
/// ``GroupShard`` on the coordinator runtime) owns the clock, the timers, the records it is
/// persisted in (``records(since:)``) and the topics image.
///
/// Mirrors Kafka's `GroupMetadataManager.consumerGroupHeartbeat` and `ConsumerGroup`: a group
/// epoch bumped by membership and subscription changes, a target assignment computed by the
/// server assignor at that epoch, and per-member reconciliation towards it in which a partition
/// moves only after its previous owner has acknowledged revoking it.
public struct ConsumerGroup: Hashable, Sendable {
    public let groupId: String
    public var config: ConsumerGroupConfig
    var memberIdSource: ConsumerMemberIdSource

    /// Bumped on every membership or subscription change.
    public internal(set) var groupEpoch: Int32 = 0
    /// The epoch of the current target assignment.
    public internal(set) var assignmentEpoch: Int32 = 0
    public internal(set) var members: [String: ConsumerGroupMember] = [:]
    /// instance id -> member id, for static members (KIP-848 static membership).
    var staticMembers: [String: String] = [:]
    /// member id -> the partitions the assignor gave it at `assignmentEpoch`.
    public internal(set) var targetAssignment: [String: PartitionAssignment] = [:]
    /// The subscribed topics that exist (Kafka's subscription metadata): a change bumps the epoch.
    var subscriptionMetadata: [String: TopicsImage.Topic] = [:]
    /// regex -> the topic names it matched in the last snapshot.
    var resolvedRegexes: [String: Set<String>] = [:]
    var sessionDeadlines: [String: Int64] = [:]
    var rebalanceDeadlines: [String: RebalanceDeadline] = [:]
    var isDeleted = false
    /// The last topics snapshot seen: fencing on a timer recomputes the subscription against it.
    var lastTopics: TopicsImage = .empty
    /// After a reload, the hash of the subscription metadata the group had (its records keep
    /// only that), until the first heartbeat compares the topics with it.
    var restoredMetadataHash: Int64?

    struct RebalanceDeadline: Hashable, Sendable {
        /// The timer fires only if the member is still at this epoch.
        var memberEpoch: Int32
        var deadline: Int64
    }

    public init(
        groupId: String,
        config: ConsumerGroupConfig = ConsumerGroupConfig(),
        memberIdSource: ConsumerMemberIdSource = .random
    ) {
        self.groupId = groupId
        self.config = config
        self.memberIdSource = memberIdSource
    }

    /// Kafka creates the group on the first join (epoch 0); before that it does not exist.
    public var exists: Bool { !isDeleted && (groupEpoch > 0 || !members.isEmpty) }

    /// Kafka's `maybeUpdateGroupState`.
    public var state: ConsumerGroupState {
        if isDeleted { return .dead }
        if members.isEmpty { return .empty }
        if groupEpoch > assignmentEpoch { return .assigning }
        if members.values.contains(where: { !$0.isReconciled(to: assignmentEpoch) }) { return .reconciling }
        return .stable
    }

    /// The earliest session or rebalance deadline: call `tick(now:)` then.
    public var nextDeadline: Int64? {
        let session = sessionDeadlines.values.min()
        let rebalance = rebalanceDeadlines.values.map(\.deadline).min()
        switch (session, rebalance) {
        case let (s?, r?): return Swift.min(s, r)
        case let (s?, nil): return s
        case let (nil, r?): return r
        case (nil, nil): return nil
        }
    }

    public func sessionDeadline(of memberId: String) -> Int64? { sessionDeadlines[memberId] }

    public func rebalanceDeadline(of memberId: String) -> Int64? { rebalanceDeadlines[memberId]?.deadline }

    public func staticMember(instanceId: String) -> ConsumerGroupMember? {
        staticMembers[instanceId].flatMap { members[$0] }
    }

    /// Kafka's `computePreferredServerAssignor`: the assignor most members asked for, else the
    /// default. (Kafka breaks ties in hash order; we pick the first name.)
    func preferredAssignor(in members: [String: ConsumerGroupMember]) -> ConsumerAssignor {
        var counts: [String: Int] = [:]
        for member in members.values {
            if let name = member.serverAssignor { counts[name, default: 0] += 1 }
        }
        let best = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.first
        return best.flatMap { config.assignor(named: $0.key) } ?? config.defaultAssignor
    }

    /// DeleteGroups: only an empty group can go (NON_EMPTY_GROUP otherwise); it is then Dead.
    public mutating func delete() -> ErrorCode {
        guard state == .empty || state == .dead else { return .nonEmptyGroup }
        isDeleted = true
        return .none
    }
}

/// What ConsumerGroupDescribe v0-1 needs for one group.
public struct ConsumerGroupDescription: Hashable, Sendable {
    public var groupId: String
    public var state: ConsumerGroupState
    public var groupEpoch: Int32
    public var assignmentEpoch: Int32
    public var assignorName: String
    /// Sorted by member id.
    public var members: [Member]

    public struct Member: Hashable, Sendable {
        public var memberId: String
        public var instanceId: String?
        public var rackId: String?
        public var memberEpoch: Int32
        public var clientId: String
        public var clientHost: String
        public var subscribedTopicNames: [String]
        public var subscribedTopicRegex: String?
        public var assignment: PartitionAssignment
        public var targetAssignment: PartitionAssignment
    }
}

extension ConsumerGroup {
    public func describe() -> ConsumerGroupDescription {
        ConsumerGroupDescription(
            groupId: groupId, state: state, groupEpoch: groupEpoch, assignmentEpoch: assignmentEpoch,
            assignorName: preferredAssignor(in: members).name,
            members: members.values.sorted { $0.memberId < $1.memberId }.map { member in
                ConsumerGroupDescription.Member(
                    memberId: member.memberId, instanceId: member.instanceId, rackId: member.rackId,
                    memberEpoch: member.memberEpoch, clientId: member.clientId, clientHost: member.clientHost,
                    subscribedTopicNames: member.subscribedTopicNames,
                    subscribedTopicRegex: member.subscribedTopicRegex,
                    assignment: member.assignedPartitions,
                    targetAssignment: targetAssignment[member.memberId] ?? [:])
            })
    }
}

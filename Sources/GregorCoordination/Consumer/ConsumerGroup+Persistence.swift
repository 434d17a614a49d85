import KafkaProtocol

/// A consumer group as its records describe it, gathered while a partition loads.
public struct ConsumerGroupImage: Hashable, Sendable {
    public var metadata: ConsumerGroupRecords.Metadata?
    public var members: [String: ConsumerGroupRecords.Member] = [:]
    public var targetEpoch: Int32?
    public var target: [String: PartitionAssignment] = [:]
    public var current: [String: ConsumerGroupRecords.CurrentAssignment] = [:]

    public init() {}
}

extension ConsumerGroup {
    /// A stable hash of the subscribed topics (FNV-1a over id, name and partition count, in name
    /// order), kept as ConsumerGroupMetadataValue's MetadataHash so that a reloaded group
    /// notices whether its topics changed while it was unloaded (KIP-1101's purpose; Kafka's
    /// own hash function differs, and only Gregor reads this one back).
    var metadataHash: Int64 {
        guard !subscriptionMetadata.isEmpty else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (name, topic) in subscriptionMetadata.sorted(by: { $0.key < $1.key }) {
            for byte in Array("\(name)\u{0}\(topic.id)\u{0}\(topic.partitionCount)\u{0}".utf8) {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        return Int64(bitPattern: hash)
    }

    /// Whether `metadata` differs from the subscription metadata the group had. A group just
    /// reloaded knows only the hash of it.
    mutating func subscriptionChanged(to metadata: [String: TopicsImage.Topic]) -> Bool {
        if let restored = restoredMetadataHash, subscriptionMetadata.isEmpty {
            restoredMetadataHash = nil
            let candidate = ConsumerGroup(groupId: groupId, subscriptionMetadata: metadata)
            return candidate.metadataHash != restored
        }
        return metadata != subscriptionMetadata
    }

    private init(groupId: String, subscriptionMetadata: [String: TopicsImage.Topic]) {
        self.init(groupId: groupId)
        self.subscriptionMetadata = subscriptionMetadata
    }

    /// The group its records describe, as Kafka's `GroupMetadataManager.onLoaded` brings it
    /// back: every member's session runs from `now`, and a member owing a revocation gets its
    /// rebalance timeout again.
    public init(restoring image: ConsumerGroupImage, groupId: String, config: ConsumerGroupConfig,
                memberIdSource: ConsumerMemberIdSource, now: Int64) {
        self.init(groupId: groupId, config: config, memberIdSource: memberIdSource)
        groupEpoch = image.metadata?.epoch ?? 0
        restoredMetadataHash = image.metadata?.metadataHash
        assignmentEpoch = image.targetEpoch ?? 0
        targetAssignment = image.target.filter { image.members[$0.key] != nil }
        for (memberId, record) in image.members {
            var member = ConsumerGroupMember(memberId: memberId)
            member.instanceId = record.instanceId
            member.rackId = record.rackId
            member.clientId = record.clientId
            member.clientHost = record.clientHost
            member.subscribedTopicNames = record.subscribedTopicNames
            member.subscribedTopicRegex = record.subscribedTopicRegex
            member.rebalanceTimeoutMs = record.rebalanceTimeoutMs
            member.serverAssignor = record.serverAssignor
            if let current = image.current[memberId] {
                member.memberEpoch = current.memberEpoch
                member.previousMemberEpoch = current.previousMemberEpoch
                member.state = current.state
                member.assignedPartitions = current.assigned
                member.partitionsPendingRevocation = current.pendingRevocation
            }
            members[memberId] = member
            if let instanceId = member.instanceId { staticMembers[instanceId] = memberId }
            sessionDeadlines[memberId] = now + Int64(config.sessionTimeoutMs)
            if member.state == .unrevokedPartitions {
                rebalanceDeadlines[memberId] = RebalanceDeadline(memberEpoch: member.memberEpoch, deadline: now + Int64(member.rebalanceTimeoutMs))
            }
        }
    }

    /// The records that take what `old` had written to what this group is now, in the order
    /// Kafka's heartbeat writes them (`GroupCoordinatorRecordHelpers`): member subscriptions,
    /// the group epoch, the target assignment, then members' current assignments; a member
    /// gone is tombstoned. A group that no longer exists is tombstoned whole.
    func records(since old: ConsumerGroup?) -> [GroupShard.Record] {
        let before = old.flatMap { $0.exists ? $0 : nil }
        guard exists else { return before?.tombstones ?? [] }
        let id = groupId
        var out: [GroupShard.Record] = []
        let oldMembers = before?.members ?? [:]
        for (memberId, member) in members.sorted(by: { $0.key < $1.key }) where oldMembers[memberId].map(Self.record) != Self.record(member) {
            out.append(.consumerMember(group: id, memberId: memberId, Self.record(member)))
        }
        for memberId in oldMembers.keys.sorted() where members[memberId] == nil {
            out += Self.memberTombstones(id, memberId)
        }
        if before?.groupEpoch != groupEpoch || before?.metadataHash != metadataHash {
            out.append(.consumerGroupMetadata(group: id, ConsumerGroupRecords.Metadata(epoch: groupEpoch, metadataHash: metadataHash)))
        }
        for (memberId, assignment) in targetAssignment.sorted(by: { $0.key < $1.key })
        where members[memberId] != nil && before?.targetAssignment[memberId]?.normalized != assignment.normalized {
            out.append(.consumerTargetMember(group: id, memberId: memberId, assignment.normalized))
        }
        if before?.assignmentEpoch != assignmentEpoch {
            out.append(.consumerTargetAssignmentMetadata(group: id, epoch: assignmentEpoch))
        }
        for (memberId, member) in members.sorted(by: { $0.key < $1.key })
        where oldMembers[memberId]?.reconciliationState != member.reconciliationState {
            out.append(.consumerCurrentAssignment(group: id, memberId: memberId, Self.current(member)))
        }
        return out
    }

    /// Kafka's `ConsumerGroup.createGroupTombstoneRecords`.
    var tombstones: [GroupShard.Record] {
        members.keys.sorted().flatMap { Self.memberTombstones(groupId, $0) }
            + [.consumerTargetAssignmentMetadata(group: groupId, epoch: nil), .consumerGroupMetadata(group: groupId, nil)]
    }

    static func memberTombstones(_ group: String, _ memberId: String) -> [GroupShard.Record] {
        [.consumerCurrentAssignment(group: group, memberId: memberId, nil), .consumerTargetMember(group: group, memberId: memberId, nil),
         .consumerMember(group: group, memberId: memberId, nil)]
    }

    static func record(_ m: ConsumerGroupMember) -> ConsumerGroupRecords.Member {
        ConsumerGroupRecords.Member(
            instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
            rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor)
    }

    static func current(_ m: ConsumerGroupMember) -> ConsumerGroupRecords.CurrentAssignment {
        ConsumerGroupRecords.CurrentAssignment(
            memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state,
            assigned: m.assignedPartitions.normalized, pendingRevocation: m.partitionsPendingRevocation.normalized)
    }
}

import KafkaProtocol

extension GroupShard {
    // MARK: DescribeGroups, ListGroups, DeleteGroups

    /// DescribeGroups. An unknown group is described as Dead with no error, as Kafka's
    /// `GroupMetadataManager.describeGroups` does (the empty group id included); so is a
    /// consumer group, which DescribeGroups up to v5 cannot show (`classicGroup` throws
    /// GROUP_ID_NOT_FOUND and the catch describes it Dead).
    func describeGroup(_ groupId: String) -> ClassicGroupDescription {
        classic[groupId]?.describeGroup()
            ?? ClassicGroupDescription(groupId: groupId, state: ClassicGroup.State.dead.name, protocolType: "", protocolData: "", members: [])
    }

    /// The shard's groups as ListGroups lists them, classic and consumer together.
    func listedGroups() -> [ClassicGroupListing] {
        // Kafka's `ConsumerGroup.asListedGroup`: protocol type "consumer" (ConsumerProtocol.PROTOCOL_TYPE).
        classic.values.map { $0.listedGroup() } + consumer.values.map {
            ClassicGroupListing(groupId: $0.groupId, protocolType: "consumer", state: $0.state.name, groupType: "consumer")
        }
    }

    /// DeleteGroups for one group: GROUP_ID_NOT_FOUND if unknown, NON_EMPTY_GROUP while it has
    /// members (Kafka's `validateDeleteGroup`, for either type), else the group is gone with its
    /// committed offsets and GroupMetadata, tombstoned in one write (Kafka's
    /// `GroupCoordinatorShard.deleteGroups`).
    mutating func deleteGroup(_ groupId: String, now: Int64) -> CoordinatorResult<Self, ErrorCode?> {
        let offsetTombstones = (offsets[groupId] ?? [:]).keys.sorted().map { Record.offsetCommit(group: groupId, $0, nil) }
        var groupTombstones: [Record] = [.groupMetadata(group: groupId, nil)]
        if let group = consumer[groupId] {
            let error = consumer[groupId]!.delete()
            guard error == .none else { return CoordinatorResult(response: error) }
            groupTombstones = group.tombstones
            consumer[groupId] = nil
        } else {
            guard classic[groupId] != nil else { return CoordinatorResult(response: .groupIdNotFound) }
            if let error = classic[groupId]!.delete(now: now) { return CoordinatorResult(response: error) }
            classic[groupId] = nil
        }
        // Kafka's `OffsetMetadataManager.deleteAllOffsets` then `createGroupTombstoneRecords`.
        return CoordinatorResult(records: offsetTombstones + groupTombstones, response: nil, timers: [timer(for: groupId)])
    }

    /// After expiry: an Empty group left with no offsets is deleted, with a GroupMetadata
    /// tombstone for a classic one, as Kafka's `cleanupGroupMetadata` does.
    mutating func removeIfEmpty(_ groupId: String, now: Int64) -> CoordinatorResult<Self, Void> {
        guard isEmpty(groupId) == true, offsets[groupId] == nil else { return CoordinatorResult() }
        if let group = consumer[groupId] {
            guard consumer[groupId]!.delete() == .none else { return CoordinatorResult() }
            consumer[groupId] = nil
            return CoordinatorResult(records: group.tombstones, timers: [timer(for: groupId)])
        }
        guard classic[groupId]!.delete(now: now) == nil else { return CoordinatorResult() }
        classic[groupId] = nil
        return CoordinatorResult(records: [.groupMetadata(group: groupId, nil)], timers: [timer(for: groupId)])
    }

    /// Whether the group exists and has no members (nil: no such group).
    func isEmpty(_ groupId: String) -> Bool? {
        if let group = consumer[groupId] { return group.state == .empty }
        return classic[groupId].map { $0.state == .empty }
    }

    // MARK: Offsets

    /// OffsetCommit as one operation (Kafka's `OffsetMetadataManager.commitOffset`): the group
    /// check, then one batch of the offsets whose metadata fits `offset.metadata.max.bytes`
    /// (the others are OFFSET_METADATA_TOO_LARGE). Answers the group's error, or one code per
    /// entry.
    mutating func commitOffsets(
        _ request: OffsetCommitInput, _ entries: [OffsetCommitEntry], now: Int64
    ) -> CoordinatorResult<Self, OffsetCommitOutcome> {
        if let error = validateOffsetCommit(request, now: now) { return CoordinatorResult(response: .rejected(error)) }
        var codes: [ErrorCode] = []
        var records: [Record] = []
        for entry in entries {
            if entry.committed.metadata.utf16.count > settings.offsets.metadataMaxBytes {
                codes.append(.offsetMetadataTooLarge)
            } else {
                codes.append(.none)
                var committed = entry.committed
                // Value v1 has no leader epoch: keep in memory what a reload would find.
                if committed.expireTimestamp != nil { committed.leaderEpoch = nil }
                records.append(.offsetCommit(group: request.groupId, entry.topicPartition, committed))
            }
        }
        return CoordinatorResult(records: records, response: .committed(codes))
    }

    /// TxnOffsetCommit (KIP-98, KIP-447): the same checks and records as OffsetCommit, written in
    /// the producer's transaction; they count once its commit marker is written. A consumer
    /// group's stale member epoch is ILLEGAL_GENERATION here (`validateTransactionalOffsetCommit`).
    mutating func commitTransactionalOffsets(
        _ request: OffsetCommitInput, _ entries: [OffsetCommitEntry], producer: CoordinatorProducer, now: Int64
    ) -> CoordinatorResult<Self, OffsetCommitOutcome> {
        var request = request
        request.isTransactional = true
        var result = commitOffsets(request, entries, now: now)
        if case .rejected(.staleMemberEpoch) = result.response { result.response = .rejected(.illegalGeneration) }
        result.producer = producer
        return result
    }

    /// Kafka's `OffsetMetadataManager.validateOffsetCommit`: nil if the commit may proceed.
    /// A consumer group fences commits by member epoch (`generationId` is the member epoch).
    /// A commit at a negative generation to an unknown group creates a "simple" classic group (an
    /// admin client or a consumer without group management); any other commit to an unknown group
    /// is GROUP_ID_NOT_FOUND from OffsetCommit v9, ILLEGAL_GENERATION before.
    mutating func validateOffsetCommit(_ request: OffsetCommitInput, now: Int64) -> ErrorCode? {
        let groupId = request.groupId
        if let group = consumer[groupId] {
            return group.validateOffsetCommit(
                memberId: request.memberId, instanceId: request.groupInstanceId, memberEpoch: request.generationId,
                isTransactional: request.isTransactional, apiVersion: request.apiVersion)?.code
        }
        if classic[groupId] == nil {
            guard request.generationId < 0 else { return request.apiVersion >= 9 ? .groupIdNotFound : .illegalGeneration }
            classic[groupId] = ClassicGroup(groupId: groupId, config: settings.classic, memberIdSource: settings.memberIdSource, now: now)
        }
        return classic[groupId]!.validateOffsetCommit(
            memberId: request.memberId, groupInstanceId: request.groupInstanceId, generationId: request.generationId,
            isTransactional: request.isTransactional)
    }

    /// Whether a member of the group consumes `topic`, per the subscriptions in its consumer
    /// protocol metadata: OffsetDelete refuses such partitions (GROUP_SUBSCRIBED_TO_TOPIC) and
    /// their offsets never expire while the group is active (Kafka's `ClassicGroup.isSubscribedToTopic`).
    func isSubscribed(_ groupId: String, topic: String) -> Bool {
        if let group = consumer[groupId] { return group.isSubscribed(toTopic: topic) }
        guard let group = classic[groupId], group.protocolType == "consumer", group.state != .empty, group.state != .dead,
            let chosen = group.protocolName
        else { return false }
        return group.members.contains { member in
            guard let metadata = member.protocols.first(where: { $0.name == chosen })?.metadata else { return false }
            return ConsumerProtocolSubscription.topics(in: metadata)?.contains(topic) ?? false
        }
    }

    /// How each group's offsets age for `offsets.retention.minutes` (KIP-211): for a classic
    /// group not at all while it has members, from when it became Empty for a consumer-protocol
    /// group, and from each commit for a group that never had a protocol (admin or standalone
    /// commits). A KIP-848 group's offsets age from their commits, but only for topics it no
    /// longer subscribes to (Kafka's `ConsumerGroup.offsetExpirationCondition`).
    func offsetExpiration(_ groupId: String) -> OffsetExpiration {
        if consumer[groupId] != nil { return .fromCommit }
        guard let group = classic[groupId] else { return .fromCommit }
        switch group.state {
        case .empty: return group.protocolType == nil ? .fromCommit : .fromEmptySince(group.stateTimestampMs)
        case .dead: return .fromCommit
        default: return .never
        }
    }
}

/// What became of an OffsetCommit.
public enum OffsetCommitOutcome: Sendable, Hashable {
    /// The group refused it: every partition answers this.
    case rejected(ErrorCode)
    /// One code per entry, in order.
    case committed([ErrorCode])
}

/// An OffsetCommit's group fields.
public struct OffsetCommitInput: Sendable, Hashable {
    public var groupId: String
    public var memberId: String
    public var groupInstanceId: String?
    /// The generation (classic) or member epoch (KIP-848); -1 for a simple commit.
    public var generationId: Int32
    public var apiVersion: Int16
    public var isTransactional: Bool

    public init(groupId: String, memberId: String, groupInstanceId: String?, generationId: Int32, apiVersion: Int16, isTransactional: Bool = false) {
        self.groupId = groupId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.generationId = generationId
        self.apiVersion = apiVersion
        self.isTransactional = isTransactional
    }
}

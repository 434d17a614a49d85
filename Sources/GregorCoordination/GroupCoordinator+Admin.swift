import KafkaProtocol

extension GroupCoordinator {
    // MARK: DescribeGroups, ListGroups, DeleteGroups

    /// DescribeGroups. An unknown group is described as Dead with no error, as Kafka's
    /// `GroupMetadataManager.describeGroups` does (the empty group id included); so is a
    /// consumer group, which DescribeGroups up to v5 cannot show (`classicGroup` throws
    /// GROUP_ID_NOT_FOUND and the catch describes it Dead).
    public func describeGroup(_ groupId: String) -> ClassicGroupDescription {
        groups[groupId]?.describeGroup()
            ?? ClassicGroupDescription(groupId: groupId, state: ClassicGroup.State.dead.name, protocolType: "", protocolData: "", members: [])
    }

    /// ListGroups, by group id, classic and consumer groups together. Filters are Kafka's: states
    /// compared case-insensitively after trimming (v4+), types parsed case-insensitively (v5+;
    /// an unknown type matches no group); empty means all.
    public func listGroups(statesFilter: [String] = [], typesFilter: [String] = []) -> [ClassicGroupListing] {
        let states = Set(statesFilter.map { $0.trimmed.lowercased() })
        let types = Set(typesFilter.map { $0.lowercased() })
        let classic = groups.values.map { $0.listedGroup() }
        // Kafka's `ConsumerGroup.asListedGroup`: protocol type "consumer" (ConsumerProtocol.PROTOCOL_TYPE).
        let consumer = consumerGroups.values.map {
            ClassicGroupListing(groupId: $0.groupId, protocolType: "consumer", state: $0.state.name, groupType: "consumer")
        }
        return (classic + consumer)
            .filter { states.isEmpty || states.contains($0.state.lowercased()) }
            .filter { types.isEmpty || types.contains($0.groupType) }
            .sorted { $0.groupId < $1.groupId }
    }

    /// DeleteGroups for one group: GROUP_ID_NOT_FOUND if unknown, NON_EMPTY_GROUP while it has
    /// members (Kafka's `validateDeleteGroup`, for either type), else the group is gone. The
    /// offset store deletes the group's offsets with it (Kafka's `GroupCoordinatorShard.deleteGroups`
    /// does both in one write).
    public func deleteGroup(_ groupId: String) -> ErrorCode? {
        if consumerGroups[groupId] != nil {
            let error = consumerGroups[groupId]!.delete()
            guard error == .none else { return error }
            consumerGroups.removeValue(forKey: groupId)
            rearmTimer()
            return nil
        }
        guard groups[groupId] != nil else { return .groupIdNotFound }
        if let error = groups[groupId]!.delete(now: clock.now()) { return error }
        groups.removeValue(forKey: groupId)
        rearmTimer()
        return nil
    }

    // MARK: The seam for offsets

    /// Whether the group exists and has no members (nil: no such group). The offset store
    /// deletes an Empty group whose offsets have all expired (Kafka's `cleanupGroupMetadata`).
    public func groupIsEmpty(_ groupId: String) -> Bool? {
        if let consumer = consumerGroups[groupId] { return consumer.state == .empty }
        return groups[groupId].map { $0.state == .empty }
    }

    /// The ids of every group, of both types (offset expiry walks them).
    public var groupIds: [String] { Array(groups.keys) + Array(consumerGroups.keys) }

    /// Kafka's `OffsetMetadataManager.validateOffsetCommit`: nil if the commit may proceed.
    /// A consumer group fences commits by member epoch (`generationId` is the member epoch;
    /// ``ConsumerGroup/validateOffsetCommit(memberId:instanceId:memberEpoch:isTransactional:apiVersion:)``).
    /// A commit at a negative generation to an unknown group creates a "simple" classic group (an
    /// admin client or a consumer without group management); any other commit to an unknown group
    /// is GROUP_ID_NOT_FOUND from OffsetCommit v9, ILLEGAL_GENERATION before.
    public func validateOffsetCommit(
        groupId: String, memberId: String, groupInstanceId: String?, generationId: Int32,
        apiVersion: Int16, isTransactional: Bool = false
    ) -> ErrorCode? {
        if let consumer = consumerGroups[groupId] {
            return consumer.validateOffsetCommit(
                memberId: memberId, instanceId: groupInstanceId, memberEpoch: generationId,
                isTransactional: isTransactional, apiVersion: apiVersion)?.code
        }
        if groups[groupId] == nil {
            guard generationId < 0 else { return apiVersion >= 9 ? .groupIdNotFound : .illegalGeneration }
            groups[groupId] = ClassicGroup(groupId: groupId, config: config, memberIdSource: memberIdSource, now: clock.now())
        }
        return groups[groupId]!.validateOffsetCommit(
            memberId: memberId, groupInstanceId: groupInstanceId, generationId: generationId, isTransactional: isTransactional)
    }

    /// OffsetFetch: an unknown group has no offsets but is no error (Kafka answers an empty fetch).
    /// A consumer group checks OffsetFetch v9's member id and epoch (nil and -1: an admin fetch,
    /// always allowed; STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID otherwise).
    public func validateOffsetFetch(groupId: String, memberId: String? = nil, memberEpoch: Int32 = -1) -> ErrorCode? {
        if let consumer = consumerGroups[groupId] {
            return consumer.validateOffsetFetch(memberId: memberId, memberEpoch: memberEpoch)?.code
        }
        return groups[groupId]?.validateOffsetFetch()
    }

    /// OffsetDelete: GROUP_ID_NOT_FOUND for an unknown group, else the group's own rule (a
    /// consumer group allows it: Kafka's `ConsumerGroup.validateOffsetDelete` is empty, and
    /// subscribed topics are refused per partition, see ``ConsumerGroup/isSubscribed(toTopic:)``).
    public func validateOffsetDelete(groupId: String) -> ErrorCode? {
        if consumerGroups[groupId] != nil { return nil }
        guard let group = groups[groupId] else { return .groupIdNotFound }
        return group.validateOffsetDelete()
    }
}

extension String {
    /// Java's `String.trim` for the filters Kafka trims (spaces and control characters).
    fileprivate var trimmed: String {
        String(drop { $0.asciiValue.map { $0 <= 0x20 } ?? false }.reversed().drop { $0.asciiValue.map { $0 <= 0x20 } ?? false }.reversed())
    }
}

import KafkaProtocol

extension GroupCoordinator {
    // MARK: DescribeGroups, ListGroups, DeleteGroups

    /// DescribeGroups. An unknown group is described as Dead with no error, as Kafka's
    /// `GroupMetadataManager.describeGroups` does (the empty group id included).
    public func describeGroup(_ groupId: String) -> ClassicGroupDescription {
        groups[groupId]?.describeGroup()
            ?? ClassicGroupDescription(groupId: groupId, state: ClassicGroup.State.dead.name, protocolType: "", protocolData: "", members: [])
    }

    /// ListGroups, by group id. Filters are Kafka's: states compared case-insensitively (v4+),
    /// types parsed case-insensitively (v5+; every group here is "classic"); empty means all.
    public func listGroups(statesFilter: [String] = [], typesFilter: [String] = []) -> [ClassicGroupListing] {
        let states = Set(statesFilter.map { $0.trimmed.lowercased() })
        let types = Set(typesFilter.map { $0.lowercased() })
        return groups.values
            .filter { states.isEmpty || states.contains($0.state.name.lowercased()) }
            .filter { _ in types.isEmpty || types.contains("classic") }
            .map { $0.listedGroup() }
            .sorted { $0.groupId < $1.groupId }
    }

    /// DeleteGroups for one group: GROUP_ID_NOT_FOUND if unknown, NON_EMPTY_GROUP while it has
    /// members, else the group is gone. The offset store deletes the group's offsets with it
    /// (Kafka's `GroupCoordinatorShard.deleteGroups` does both in one write).
    public func deleteGroup(_ groupId: String) -> ErrorCode? {
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
        groups[groupId].map { $0.state == .empty }
    }

    /// The ids of every group (offset expiry walks them).
    public var groupIds: [String] { Array(groups.keys) }

    /// Kafka's `OffsetMetadataManager.validateOffsetCommit` for classic groups: nil if the commit
    /// may proceed. A commit at a negative generation to an unknown group creates a "simple"
    /// group (an admin client or a consumer without group management); any other commit to an
    /// unknown group is GROUP_ID_NOT_FOUND from OffsetCommit v9, ILLEGAL_GENERATION before.
    public func validateOffsetCommit(
        groupId: String, memberId: String, groupInstanceId: String?, generationId: Int32,
        apiVersion: Int16, isTransactional: Bool = false
    ) -> ErrorCode? {
        if groups[groupId] == nil {
            guard generationId < 0 else { return apiVersion >= 9 ? .groupIdNotFound : .illegalGeneration }
            groups[groupId] = ClassicGroup(groupId: groupId, config: config, memberIdSource: memberIdSource, now: clock.now())
        }
        return groups[groupId]!.validateOffsetCommit(
            memberId: memberId, groupInstanceId: groupInstanceId, generationId: generationId, isTransactional: isTransactional)
    }

    /// OffsetFetch: an unknown group has no offsets but is no error (Kafka answers an empty fetch).
    public func validateOffsetFetch(groupId: String) -> ErrorCode? {
        groups[groupId]?.validateOffsetFetch()
    }

    /// OffsetDelete: GROUP_ID_NOT_FOUND for an unknown group, else the group's own rule.
    public func validateOffsetDelete(groupId: String) -> ErrorCode? {
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

import KafkaProtocol

extension GroupCoordinator {
    /// Reads the group's shard (a shard not loaded here reads as empty).
    func read<T>(_ groupId: String, _ body: (GroupShard) -> T) -> T? {
        try? runtime.read(partition(for: groupId), body)
    }

    /// Writes on the group's shard.
    func write<T: Sendable>(
        _ groupId: String, _ operation: @escaping @Sendable (inout GroupShard, Int64) -> CoordinatorResult<GroupShard, T>
    ) async -> Result<T, CoordinatorError> {
        do throws(CoordinatorError) {
            return .success(try await runtime.write(partition(for: groupId), operation))
        } catch {
            return .failure(error)
        }
    }

    /// Every shard loaded here, read.
    func readAll<T>(_ body: (GroupShard) -> [T]) -> [T] {
        runtime.partitions.flatMap { (try? runtime.read($0, body)) ?? [] }
    }

    // MARK: DescribeGroups, ListGroups, DeleteGroups

    /// DescribeGroups; an unknown group is described as Dead with no error.
    public func describeGroup(_ groupId: String) async -> ClassicGroupDescription {
        read(groupId) { $0.describeGroup(groupId) }
            ?? ClassicGroupDescription(groupId: groupId, state: ClassicGroup.State.dead.name, protocolType: "", protocolData: "", members: [])
    }

    /// ListGroups, by group id, classic and consumer groups together. Filters are Kafka's: states
    /// compared case-insensitively after trimming (v4+), types parsed case-insensitively (v5+;
    /// an unknown type matches no group); empty means all.
    public func listGroups(statesFilter: [String] = [], typesFilter: [String] = []) async -> [ClassicGroupListing] {
        let states = Set(statesFilter.map { $0.trimmed.lowercased() })
        let types = Set(typesFilter.map { $0.lowercased() })
        return readAll { $0.listedGroups() }
            .filter { states.isEmpty || states.contains($0.state.lowercased()) }
            .filter { types.isEmpty || types.contains($0.groupType) }
            .sorted { $0.groupId < $1.groupId }
    }

    /// DeleteGroups for one group: GROUP_ID_NOT_FOUND if unknown, NON_EMPTY_GROUP while it has
    /// members, else the group is gone with its committed offsets, in one write (Kafka's
    /// `GroupCoordinatorShard.deleteGroups`).
    public func deleteGroup(_ groupId: String) async -> ErrorCode? {
        switch await write(groupId, { shard, now in shard.deleteGroup(groupId, now: now) }) {
        case .success(let error): error
        case .failure(let error): Self.errorCode(error)
        }
    }

    /// After expiry: the Empty groups left with no offsets are deleted, with a GroupMetadata
    /// tombstone for classic ones, as Kafka's `cleanupGroupMetadata` does.
    public func removeEmptyGroups(_ groupIds: [String]) async {
        for id in groupIds { _ = await write(id) { shard, now in shard.removeIfEmpty(id, now: now) } }
    }

    /// Whether the group exists and has no members (nil: no such group).
    public func groupIsEmpty(_ groupId: String) async -> Bool? {
        read(groupId) { $0.isEmpty(groupId) } ?? nil
    }

    /// The ids of every group, of both types.
    public var groupIds: [String] {
        get async { readAll { Array($0.classic.keys) + Array($0.consumer.keys) } }
    }

    // MARK: Offsets

    /// OffsetCommit: the group check and the write of the offsets, in one operation. Answers the
    /// group's error for every partition, or one code per entry.
    public func commitOffsets(_ request: OffsetCommitInput, _ entries: [OffsetCommitEntry]) async -> OffsetCommitOutcome {
        switch await write(request.groupId, { shard, now in shard.commitOffsets(request, entries, now: now) }) {
        case .success(let outcome): outcome
        case .failure(let error): .rejected(Self.errorCode(error))
        }
    }

    /// TxnOffsetCommit: checked and written in the producer's transaction, counted once its
    /// commit marker is replayed (KIP-98, KIP-447).
    public func commitTransactionalOffsets(
        _ request: OffsetCommitInput, _ entries: [OffsetCommitEntry], producer: CoordinatorProducer
    ) async -> OffsetCommitOutcome {
        switch await write(request.groupId, { shard, now in shard.commitTransactionalOffsets(request, entries, producer: producer, now: now) }) {
        case .success(let outcome): outcome
        case .failure(let error): .rejected(Self.errorCode(error))
        }
    }

    /// Kafka's `OffsetMetadataManager.validateOffsetCommit` alone: nil if a commit may proceed.
    public func validateOffsetCommit(
        groupId: String, memberId: String, groupInstanceId: String?, generationId: Int32,
        apiVersion: Int16, isTransactional: Bool = false
    ) async -> ErrorCode? {
        let request = OffsetCommitInput(
            groupId: groupId, memberId: memberId, groupInstanceId: groupInstanceId, generationId: generationId, apiVersion: apiVersion,
            isTransactional: isTransactional)
        switch await write(groupId, { shard, now in CoordinatorResult(response: shard.validateOffsetCommit(request, now: now)) }) {
        case .success(let error): return error
        case .failure(let error): return Self.errorCode(error)
        }
    }

    /// OffsetFetch: an unknown group has no offsets but is no error (Kafka answers an empty fetch).
    /// A consumer group checks OffsetFetch v9's member id and epoch (nil and -1: an admin fetch,
    /// always allowed; STALE_MEMBER_EPOCH, UNKNOWN_MEMBER_ID otherwise).
    public func validateOffsetFetch(groupId: String, memberId: String? = nil, memberEpoch: Int32 = -1) async -> ErrorCode? {
        read(groupId) { shard in
            if let group = shard.consumer[groupId] {
                return group.validateOffsetFetch(memberId: memberId, memberEpoch: memberEpoch)?.code
            }
            return shard.classic[groupId]?.validateOffsetFetch()
        } ?? nil
    }

    /// OffsetDelete: GROUP_ID_NOT_FOUND for an unknown group, else the group's own rule (a
    /// consumer group allows it: Kafka's `ConsumerGroup.validateOffsetDelete` is empty, and
    /// subscribed topics are refused per partition, see ``ConsumerGroup/isSubscribed(toTopic:)``).
    public func validateOffsetDelete(groupId: String) async -> ErrorCode? {
        read(groupId) { shard in
            if shard.consumer[groupId] != nil { return nil }
            guard let group = shard.classic[groupId] else { return .groupIdNotFound }
            return group.validateOffsetDelete()
        } ?? .groupIdNotFound
    }

    /// Whether a member of the group consumes `topic`.
    public func isSubscribed(groupId: String, topic: String) async -> Bool {
        read(groupId) { $0.isSubscribed(groupId, topic: topic) } ?? false
    }

    /// How the group's offsets age for `offsets.retention.minutes` (KIP-211).
    public func offsetExpiration(groupId: String) async -> OffsetExpiration {
        read(groupId) { $0.offsetExpiration(groupId) } ?? .fromCommit
    }

    // MARK: ConsumerGroupHeartbeat, ConsumerGroupDescribe (KIP-848)

    /// ConsumerGroupHeartbeat, served against `topics`, the metadata snapshot of the moment: a
    /// topic created, deleted or grown since the group's last heartbeat is noticed now, and regex
    /// subscriptions are resolved anew.
    public func consumerHeartbeat(_ input: ConsumerHeartbeatInput, topics: TopicsImage) async -> ConsumerHeartbeatResult {
        switch await write(input.groupId, { shard, now in shard.consumerHeartbeat(input, topics: topics, now: now) }) {
        case .success(let result): result
        case .failure(let error): .failure(ConsumerGroupError(Self.errorCode(error), "\(error)"))
        }
    }

    /// ConsumerGroupDescribe for one group: INVALID_GROUP_ID for the empty id
    /// (`GroupCoordinatorService`), GROUP_ID_NOT_FOUND for an unknown or classic group.
    public func describeConsumerGroup(_ groupId: String) async -> Result<ConsumerGroupDescription, ConsumerGroupError> {
        if groupId.isEmpty { return .failure(ConsumerGroupError(.invalidGroupId, "")) }
        return read(groupId) { $0.describeConsumerGroup(groupId) } ?? .failure(ConsumerGroupError(.notCoordinator, ""))
    }

    /// A new metadata snapshot for every consumer group (topic created, deleted, partitions added).
    public func topicsChanged(_ topics: TopicsImage) async {
        for partition in runtime.partitions {
            _ = try? await runtime.write(partition) { shard, _ in shard.topicsChanged(topics) }
        }
    }

    /// The consumer group, for tests and diagnostics.
    public func consumerGroup(_ groupId: String) async -> ConsumerGroup? { read(groupId) { $0.consumer[groupId] } ?? nil }

    /// Whether the group id names a consumer group (KIP-848) rather than a classic one.
    public func isConsumerGroup(_ groupId: String) async -> Bool { read(groupId) { $0.consumer[groupId] != nil } ?? false }

    // MARK: Timers

    /// Returns once every timer due by the clock's current time has fired (tests move a manual
    /// clock, then settle, then look).
    public func settle() async { await runtime.settle() }

    /// When a timer wakes next, over every shard (tests).
    public var nextTimerDeadline: Int64? {
        runtime.partitions.compactMap { runtime.nextTimerDeadline($0) }.min()
    }
}

extension String {
    /// Java's `String.trim` for the filters Kafka trims (spaces and control characters).
    fileprivate var trimmed: String {
        String(drop { $0.asciiValue.map { $0 <= 0x20 } ?? false }.reversed().drop { $0.asciiValue.map { $0 <= 0x20 } ?? false }.reversed())
    }
}

import KafkaProtocol

/// The group coordinator: owns every ``ClassicGroup`` and KIP-848 ``ConsumerGroup`` on this broker,
/// parks JoinGroup and SyncGroup requests until their group answers them, and runs one timer for
/// all groups' deadlines. A group id names one group of one type at a time (Kafka's single
/// `groups` map): `groups` and `consumerGroups` never share a key.
///
/// Requests arrive in domain terms (``JoinInput``...), answers leave the same way; the broker's
/// handlers translate from and to wire messages. The checks Kafka makes before a group is looked
/// up (`GroupCoordinatorService`) and its answers for unknown groups (`GroupMetadataManager`) live
/// here; everything else is the state machine's.
public actor GroupCoordinator {
    public let config: ClassicGroupConfig
    let clock: any CoordinatorClock
    let memberIdSource: MemberIdSource
    var groups: [String: ClassicGroup] = [:]
    /// `group.consumer.*`: the settings every consumer group is created with.
    public let consumerConfig: ConsumerGroupConfig
    /// Member ids for ConsumerGroupHeartbeat v0 joins; carried from group to group so a
    /// sequential source (tests) never repeats an id.
    var consumerMemberIdSource: ConsumerMemberIdSource
    var consumerGroups: [String: ConsumerGroup] = [:]
    /// Requests waiting for their group's answer, by token.
    var parked: [RequestToken: CheckedContinuation<Answer, Never>] = [:]
    var lastToken: UInt64 = 0
    /// The one timer task: it sleeps until `deadline`, the earliest deadline of any group.
    var timer: (id: UInt64, deadline: Int64, task: Task<Void, Never>)?
    var lastTimerId: UInt64 = 0
    /// Where classic groups' GroupMetadata records go and come back from.
    let persistence: GroupMetadataPersistence

    public init(
        config: ClassicGroupConfig = ClassicGroupConfig(), clock: any CoordinatorClock, memberIdSource: MemberIdSource = .random,
        consumerConfig: ConsumerGroupConfig = ConsumerGroupConfig(), consumerMemberIdSource: ConsumerMemberIdSource = .random,
        persistence: GroupMetadataPersistence = .none
    ) {
        self.persistence = persistence
        self.config = config
        self.consumerConfig = consumerConfig
        self.consumerMemberIdSource = consumerMemberIdSource
        self.clock = clock
        self.memberIdSource = memberIdSource
    }

    deinit {
        timer?.task.cancel()
    }

    /// What became of a request handed to a group.
    enum Answer: Sendable {
        case join(JoinResult)
        case sync(SyncResult)
        case heartbeat(ErrorCode)
        case leave(LeaveResult)
        case abandoned
    }

    // MARK: Requests

    /// JoinGroup. Suspends while the group rebalances; throws ``GroupRequestAbandoned`` when a
    /// newer JoinGroup from the same member replaces this one (Kafka never answers it).
    public func join(groupId: String, _ input: JoinInput) async throws(GroupRequestAbandoned) -> JoinResult {
        if groupId.isEmpty {
            return .failure(.invalidGroupId, memberId: input.memberId)
        }
        if input.sessionTimeoutMs < config.minSessionTimeoutMs || input.sessionTimeoutMs > config.maxSessionTimeoutMs {
            return .failure(.invalidSessionTimeout, memberId: input.memberId)
        }
        if let consumer = consumerGroups[groupId] {
            // Kafka 4.x deletes an empty consumer group and creates a classic one in its place
            // (`maybeDeleteEmptyConsumerGroup`). A non-empty one would take the member in as a
            // classic-protocol member of a mixed group (`classicGroupJoinToConsumerGroup`), which
            // Gregor does not implement: it answers as Kafka 3.7 did, GROUP_ID_NOT_FOUND
            // ("Group X is not a classic group.").
            guard consumer.members.isEmpty else { return .failure(.groupIdNotFound, memberId: input.memberId) }
            guard input.memberId.isEmpty else { return .failure(.unknownMemberId, memberId: input.memberId) }
            consumerGroups.removeValue(forKey: groupId)
            rearmTimer()
        }
        if groups[groupId] == nil {
            // Only a member without an id creates a group (Kafka's getOrMaybeCreateClassicGroup).
            guard input.memberId.isEmpty else { return .failure(.unknownMemberId, memberId: input.memberId) }
            groups[groupId] = ClassicGroup(groupId: groupId, config: config, memberIdSource: memberIdSource, now: clock.now())
            // Kafka commits a new group with an empty GroupMetadata record (generation 0).
            groups[groupId]!.persistMetadata()
        }
        switch await submit(groupId, { group, token, now in group.join(input, token: token, now: now) }) {
        case .join(let result): return result
        default: throw GroupRequestAbandoned(groupId: groupId, request: "JoinGroup")
        }
    }

    /// SyncGroup. Followers suspend until the leader's assignment arrives; throws
    /// ``GroupRequestAbandoned`` when Kafka would never answer (the member was removed meanwhile).
    public func sync(groupId: String, _ input: SyncInput) async throws(GroupRequestAbandoned) -> SyncResult {
        if groupId.isEmpty { return .failure(.invalidGroupId) }
        guard groups[groupId] != nil else { return .failure(.unknownMemberId) }
        switch await submit(groupId, { group, token, now in group.sync(input, token: token, now: now) }) {
        case .sync(let result): return result
        default: throw GroupRequestAbandoned(groupId: groupId, request: "SyncGroup")
        }
    }

    /// Heartbeat; an unknown group answers UNKNOWN_MEMBER_ID, as Kafka's does. So does a consumer
    /// group (none of its members uses the classic protocol here), and likewise for SyncGroup and
    /// LeaveGroup (Kafka's `classicGroup{Sync,Heartbeat,Leave}ToConsumerGroup` for unknown members).
    public func heartbeat(groupId: String, _ input: HeartbeatInput) async -> ErrorCode {
        if groupId.isEmpty { return .invalidGroupId }
        guard groups[groupId] != nil else { return .unknownMemberId }
        switch await submit(groupId, { group, token, now in group.heartbeat(input, token: token, now: now) }) {
        case .heartbeat(let error): return error
        default: return .unknownServerError
        }
    }

    /// LeaveGroup; in an unknown group every member is UNKNOWN_MEMBER_ID (Kafka's
    /// `GroupCoordinatorService.leaveGroup`), with no top-level error.
    public func leave(groupId: String, _ members: [LeavingMember]) async -> LeaveResult {
        if groupId.isEmpty { return LeaveResult(error: .invalidGroupId) }
        guard groups[groupId] != nil else {
            return LeaveResult(members: members.map {
                .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, error: .unknownMemberId)
            })
        }
        switch await submit(groupId, { group, token, now in group.leave(members, token: token, now: now) }) {
        case .leave(let result): return result
        default: return LeaveResult(error: .unknownServerError)
        }
    }

    // MARK: Driving the groups

    /// Hands an event to an existing group and waits for the answer naming its token.
    private func submit(
        _ groupId: String, _ event: (inout ClassicGroup, RequestToken, Int64) -> [ClassicGroup.Action]
    ) async -> Answer {
        lastToken += 1
        let token = RequestToken(lastToken)
        return await withCheckedContinuation { continuation in
            parked[token] = continuation
            let now = clock.now()
            // In place (the dictionary's modify accessor): no copy of the group per request.
            let actions = event(&groups[groupId]!, token, now)
            persistMetadata(of: groupId)
            perform(actions)
            rearmTimer()
        }
    }

    func perform(_ actions: [ClassicGroup.Action]) {
        for action in actions {
            switch action {
            case .answerJoin(let token, let result): resume(token, .join(result))
            case .answerSync(let token, let result): resume(token, .sync(result))
            case .answerHeartbeat(let token, let error): resume(token, .heartbeat(error))
            case .answerLeave(let token, let result): resume(token, .leave(result))
            case .abandon(let token): resume(token, .abandoned)
            }
        }
    }

    /// Writes the GroupMetadata record the group's last event called for, before its answers go
    /// out (Kafka answers the leader's SyncGroup once the record is appended).
    func persistMetadata(of groupId: String) {
        guard let snapshot = groups[groupId]?.takePendingMetadata() else { return }
        persistence.store(snapshot)
    }

    private func resume(_ token: RequestToken, _ answer: Answer) {
        parked.removeValue(forKey: token)?.resume(returning: answer)
    }

    /// Requests parked now (tests: nothing may leak).
    public var parkedRequestCount: Int { parked.count }
}

/// Kafka leaves a replaced JoinGroup (or the SyncGroup of a member removed while it waited)
/// unanswered until the client's request timeout closes the connection; the handler closes the
/// connection at once instead, which the client handles the same way (it finds the coordinator
/// again and rejoins).
public struct GroupRequestAbandoned: Error, CustomStringConvertible {
    public let groupId: String
    public let request: String
    public var description: String { "\(request) for group \(groupId) replaced or its member removed; Kafka never answers it" }
}

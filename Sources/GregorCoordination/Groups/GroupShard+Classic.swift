import KafkaProtocol

/// What became of a request handed to a classic group.
public enum GroupAnswer: Sendable {
    case join(JoinResult)
    case sync(SyncResult)
    case heartbeat(ErrorCode)
    case leave(LeaveResult)
    /// Kafka never answers it (a replaced JoinGroup, the SyncGroup of a removed member).
    case abandoned
}

extension GroupShard {
    /// The runtime timer of a group: its earliest deadline, or none.
    func timer(for groupId: String) -> CoordinatorTimerChange {
        let key = Self.timerKey(groupId)
        let deadline = classic[groupId]?.nextDeadline ?? consumer[groupId]?.nextDeadline
        return deadline.map { .schedule(key: key, deadline: $0) } ?? .cancel(key: key)
    }

    static func timerKey(_ groupId: String) -> String { "group:" + groupId }

    /// Hands an event to an existing classic group: the answers it decided, the GroupMetadata
    /// record it asked for, its timer.
    mutating func classicEvent<Response>(
        _ groupId: String, response: Response, _ event: (inout ClassicGroup) -> [ClassicGroup.Action]
    ) -> CoordinatorResult<Self, Response> {
        // In place (the dictionary's modify accessor): no copy of the group per request.
        let actions = event(&classic[groupId]!)
        return CoordinatorResult(
            records: pendingMetadata(groupId), response: response, events: actions.map(Self.event), timers: [timer(for: groupId)],
            deliverEventsIfWriteFails: true)
    }

    /// The GroupMetadata record the group's last event called for.
    mutating func pendingMetadata(_ groupId: String) -> [Record] {
        guard let snapshot = classic[groupId]?.takePendingMetadata() else { return [] }
        return [.groupMetadata(group: groupId, snapshot)]
    }

    static func event(_ action: ClassicGroup.Action) -> Event {
        switch action {
        case .answerJoin(let token, let result): .answer(token, .join(result))
        case .answerSync(let token, let result): .answer(token, .sync(result))
        case .answerHeartbeat(let token, let error): .answer(token, .heartbeat(error))
        case .answerLeave(let token, let result): .answer(token, .leave(result))
        case .abandon(let token): .answer(token, .abandoned)
        }
    }

    /// JoinGroup, once the coordinator has checked the request: an empty consumer group gives
    /// way to a new classic one, and only a member without an id creates a group.
    mutating func join(_ groupId: String, _ input: JoinInput, token: RequestToken, now: Int64) -> CoordinatorResult<Self, JoinResult?> {
        if let group = consumer[groupId] {
            // Kafka 4.x deletes an empty consumer group and creates a classic one in its place
            // (`maybeDeleteEmptyConsumerGroup`). A non-empty one would take the member in as a
            // classic-protocol member of a mixed group (`classicGroupJoinToConsumerGroup`), which
            // Gregor does not implement: it answers as Kafka 3.7 did, GROUP_ID_NOT_FOUND
            // ("Group X is not a classic group.").
            guard group.members.isEmpty else { return CoordinatorResult(response: .failure(.groupIdNotFound, memberId: input.memberId)) }
            guard input.memberId.isEmpty else { return CoordinatorResult(response: .failure(.unknownMemberId, memberId: input.memberId)) }
        }
        var removed: [Record] = []
        if let group = consumer.removeValue(forKey: groupId) { removed = group.tombstones }
        if classic[groupId] == nil {
            guard input.memberId.isEmpty else { return CoordinatorResult(response: .failure(.unknownMemberId, memberId: input.memberId)) }
            classic[groupId] = ClassicGroup(groupId: groupId, config: settings.classic, memberIdSource: settings.memberIdSource, now: now)
            // Kafka commits a new group with an empty GroupMetadata record (generation 0).
            classic[groupId]!.persistMetadata()
        }
        var result = classicEvent(groupId, response: nil as JoinResult?) { $0.join(input, token: token, now: now) }
        result.records = removed + result.records
        return result
    }

    /// A classic-group request that needs an existing group; `missing` answers it otherwise.
    mutating func classicRequest(
        _ groupId: String, missing: GroupAnswer, _ event: (inout ClassicGroup) -> [ClassicGroup.Action]
    ) -> CoordinatorResult<Self, GroupAnswer?> {
        guard classic[groupId] != nil else { return CoordinatorResult(response: missing) }
        return classicEvent(groupId, response: nil, event)
    }

    /// A group's timer came due: the classic group ticks (answers, GroupMetadata), the
    /// consumer group fences (its fenced members learn it on their next heartbeat) and writes
    /// what changed.
    public mutating func timerFired(_ key: String, now: Int64) -> CoordinatorResult<Self, Void> {
        let groupId = String(key.dropFirst("group:".count))
        if classic[groupId] != nil {
            return classicEvent(groupId, response: ()) { $0.tick(now: now) }
        }
        guard let before = consumer[groupId] else { return CoordinatorResult(timers: [timer(for: groupId)]) }
        let events = consumer[groupId]!.tick(now: now)
        return CoordinatorResult(
            records: consumer[groupId]!.records(since: before), events: events.map { .consumer(group: groupId, $0) },
            timers: [timer(for: groupId)], deliverEventsIfWriteFails: true)
    }
}

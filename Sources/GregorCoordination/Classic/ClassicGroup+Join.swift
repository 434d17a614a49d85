import KafkaProtocol

extension ClassicGroup {
    /// A JoinGroup request. The answer may come now or from a later event (when the join phase
    /// completes); it always names `token`.
    ///
    /// Follows Kafka's `classicGroupJoinToClassicGroup`: the session-timeout bounds, then
    /// `group.max.size`, then a new member (empty member id) or an existing one.
    public mutating func join(_ input: JoinInput, token: RequestToken, now: Int64) -> [Action] {
        if input.sessionTimeoutMs < config.minSessionTimeoutMs || input.sessionTimeoutMs > config.maxSessionTimeoutMs {
            return [.answerJoin(token, .failure(.invalidSessionTimeout, memberId: input.memberId))]
        }
        if !acceptsJoiningMember(input.memberId) {
            // Kafka removes a member it turns away, so the last rejoining members are kicked out
            // when the group is over capacity.
            var actions: [Action] = []
            if let member = membersById[input.memberId] { actions += dropParkedRequests(of: member) }
            remove(input.memberId)
            return actions + [.answerJoin(token, .failure(.groupMaxSizeReached))]
        }
        if input.memberId.isEmpty {
            return joinNewMember(input, token: token, now: now)
        }
        return joinExistingMember(input, token: token, now: now)
    }

    /// `group.max.size`: while preparing, count members already parked (the group may be over a
    /// lowered limit); otherwise count members, since laggards were removed at the last join.
    func acceptsJoiningMember(_ memberId: String) -> Bool {
        switch state {
        case .empty, .dead:
            return true
        case .preparingRebalance:
            return (membersById[memberId]?.isAwaitingJoin ?? false) || awaitingJoinCount < config.maxSize
        case .completingRebalance, .stable:
            return hasMember(memberId) || memberIds.count < config.maxSize
        }
    }

    private mutating func joinNewMember(_ input: JoinInput, token: RequestToken, now: Int64) -> [Action] {
        if state == .dead {
            return [.answerJoin(token, .failure(.coordinatorNotAvailable))]
        }
        if !supportsProtocols(type: input.protocolType, names: Set(input.protocols.map(\.name))) {
            return [.answerJoin(token, .failure(.inconsistentGroupProtocol))]
        }
        let newMemberId = generateMemberId(clientId: input.clientId, groupInstanceId: input.groupInstanceId)
        if let instanceId = input.groupInstanceId {
            if let existingMemberId = staticMembers[instanceId] {
                return replaceStaticMember(input, oldMemberId: existingMemberId, newMemberId: newMemberId, token: token, now: now)
            }
            return addMember(input, memberId: newMemberId, token: token, now: now)
        }
        if input.requireKnownMemberId {
            // KIP-394: hand out an id and expect a second JoinGroup with it; a client that never
            // comes back is forgotten after its session timeout.
            pendingJoinMembers.insert(newMemberId)
            scheduleHeartbeat(newMemberId, timeoutMs: Int64(input.sessionTimeoutMs), now: now)
            return [.answerJoin(token, .failure(.memberIdRequired, memberId: newMemberId))]
        }
        return addMember(input, memberId: newMemberId, token: token, now: now)
    }

    private mutating func joinExistingMember(_ input: JoinInput, token: RequestToken, now: Int64) -> [Action] {
        let memberId = input.memberId
        if state == .dead {
            return [.answerJoin(token, .failure(.coordinatorNotAvailable, memberId: memberId))]
        }
        if !supportsProtocols(type: input.protocolType, names: Set(input.protocols.map(\.name))) {
            return [.answerJoin(token, .failure(.inconsistentGroupProtocol, memberId: memberId))]
        }
        if pendingJoinMembers.contains(memberId) {
            // Pending members are dynamic; Kafka throws here and answers UNKNOWN_SERVER_ERROR.
            guard input.groupInstanceId == nil else {
                return [.answerJoin(token, .failure(.unknownServerError))]
            }
            return addMember(input, memberId: memberId, token: token, now: now)
        }
        if let error = validateMember(memberId, groupInstanceId: input.groupInstanceId) {
            return [.answerJoin(token, .failure(error, memberId: memberId))]
        }
        guard let member = membersById[memberId] else {
            return [.answerJoin(token, .failure(.unknownMemberId, memberId: memberId))]
        }
        let reason = input.reasonOrDefault
        switch state {
        case .preparingRebalance:
            return updateMember(input, token: token, now: now,
                reason: "Member \(memberId) is joining group during \(state.name); client reason: \(reason)")
        case .completingRebalance:
            if member.matches(input.protocols) {
                // The member lost its JoinGroup answer: send the current generation again.
                return [.answerJoin(token, joinAnswer(for: memberId, includeMembers: isLeader(memberId)))]
            }
            return updateMember(input, token: token, now: now,
                reason: "Updating metadata for member \(memberId) during \(state.name); client reason: \(reason)")
        case .stable:
            if isLeader(memberId) {
                // The leader rejoins to rebalance for changes the metadata does not show (new partitions).
                return updateMember(input, token: token, now: now,
                    reason: "Leader \(memberId) re-joining group during \(state.name); client reason: \(reason)")
            }
            if !member.matches(input.protocols) {
                return updateMember(input, token: token, now: now,
                    reason: "Updating metadata for member \(memberId) during \(state.name); client reason: \(reason)")
            }
            return [.answerJoin(token, joinAnswer(for: memberId, includeMembers: false))]
        case .empty, .dead:
            return [.answerJoin(token, .failure(.unknownMemberId, memberId: memberId))]
        }
    }

    /// Adds a new member, parked until the join phase completes. Its session timer is the
    /// KIP-394 new-member join timeout: a client that gave up must not hold the rebalance forever.
    private mutating func addMember(_ input: JoinInput, memberId: String, token: RequestToken, now: Int64) -> [Action] {
        var member = ClassicGroupMember(
            memberId: memberId,
            groupInstanceId: input.groupInstanceId,
            clientId: input.clientId,
            clientHost: input.clientHost,
            rebalanceTimeoutMs: input.rebalanceTimeoutMs,
            sessionTimeoutMs: input.sessionTimeoutMs,
            protocolType: input.protocolType,
            protocols: input.protocols,
            joinReason: input.reason
        )
        member.isNew = true
        member.awaitingJoin = token
        if state == .preparingRebalance && previousState == .empty {
            newMemberAdded = true
        }
        add(member)
        scheduleHeartbeat(memberId, timeoutMs: config.newMemberJoinTimeoutMs, now: now)
        let instance = input.groupInstanceId ?? "null"
        return maybePrepareRebalanceOrCompleteJoin(
            reason: "Adding new member \(memberId) with group instance id \(instance); client reason: \(input.reasonOrDefault)",
            now: now)
    }

    /// Takes the member's new protocols and timeouts and parks its JoinGroup.
    private mutating func updateMember(_ input: JoinInput, token: RequestToken, now: Int64, reason: String) -> [Action] {
        let actions = park(input, memberId: input.memberId, token: token)
        return actions + maybePrepareRebalanceOrCompleteJoin(reason: reason, now: now)
    }

    /// Kafka replaces a parked JoinGroup future without completing it; we release the old token.
    private mutating func park(_ input: JoinInput, memberId: String, token: RequestToken) -> [Action] {
        guard var member = membersById[memberId] else { return [] }
        let replaced = member.awaitingJoin
        member.protocols = input.protocols
        member.rebalanceTimeoutMs = input.rebalanceTimeoutMs
        member.sessionTimeoutMs = input.sessionTimeoutMs
        member.joinReason = input.reason
        member.awaitingJoin = token
        membersById[memberId] = member
        return replaced.map { [.abandon($0)] } ?? []
    }
}

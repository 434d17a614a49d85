import KafkaProtocol

extension ClassicGroup {
    /// Starts a rebalance if the state allows one, else tries to finish the current join phase.
    mutating func maybePrepareRebalanceOrCompleteJoin(reason: String, now: Int64) -> [Action] {
        canRebalance ? prepareRebalance(reason: reason, now: now) : maybeCompleteJoinPhase(now: now)
    }

    /// Moves to PreparingRebalance. Parked SyncGroups are answered with REBALANCE_IN_PROGRESS.
    /// A group leaving Empty waits `group.initial.rebalance.delay.ms` for more members; otherwise
    /// the join phase ends as soon as every member has rejoined, or at the rebalance timeout.
    mutating func prepareRebalance(reason: String, now: Int64) -> [Action] {
        var actions: [Action] = []
        if state == .completingRebalance {
            for memberId in memberIds { membersById[memberId]?.assignment = [] }
            actions += propagateAssignment(error: .rebalanceInProgress, now: now)
        }
        pendingSyncMembers.removeAll()
        timers.removeValue(forKey: .sync)

        let isInitialRebalance = state == .empty
        if isInitialRebalance {
            let delayMs = config.initialRebalanceDelayMs
            let remainingMs = max(rebalanceTimeoutMs - delayMs, 0)
            timers[.join] = .initialRebalance(deadline: now + delayMs, delayMs: delayMs, remainingMs: remainingMs)
        }
        transition(to: .preparingRebalance, now: now)
        lastRebalanceReason = reason
        if isInitialRebalance { return actions }

        if hasAllMembersJoined {
            actions += completeJoin(now: now)
        } else {
            timers[.join] = .completeJoin(deadline: now + rebalanceTimeoutMs)
        }
        return actions
    }

    /// Ends the join phase early when every member has rejoined, except in the initial rebalance,
    /// which always waits out its delay.
    mutating func maybeCompleteJoinPhase(now: Int64) -> [Action] {
        guard state == .preparingRebalance, previousState != .empty, hasAllMembersJoined else { return [] }
        return completeJoin(now: now)
    }

    /// Ends the join phase: dynamic members that did not rejoin are removed (static ones keep
    /// their place), a leader is chosen among those that rejoined, the generation increments and
    /// every parked JoinGroup is answered; the leader's answer lists the members.
    mutating func completeJoin(now: Int64) -> [Action] {
        timers.removeValue(forKey: .join)
        for memberId in memberIds {
            guard let member = membersById[memberId], !member.isAwaitingJoin, !member.isStatic else { continue }
            remove(memberId)
        }
        if state == .dead { return [] }

        if !maybeElectNewJoinedLeader() && !memberIds.isEmpty {
            // Nobody rejoined: wait another rebalance timeout for sessions to expire.
            timers[.join] = .completeJoin(deadline: now + rebalanceTimeoutMs)
            return []
        }

        generationId += 1
        pendingSyncMembers.removeAll()
        if memberIds.isEmpty {
            protocolName = nil
            transition(to: .empty, now: now)
            // Kafka persists an empty generation (`completeClassicGroupJoin`); a non-empty one is
            // persisted only with its assignment, at the leader's SyncGroup.
            persistMetadata()
            return []
        }
        protocolName = selectProtocol()
        transition(to: .completingRebalance, now: now)

        var actions: [Action] = []
        for memberId in memberIds {
            guard var member = membersById[memberId] else { continue }
            if let token = member.awaitingJoin {
                actions.append(.answerJoin(token, joinAnswer(for: memberId, includeMembers: isLeader(memberId))))
                member.awaitingJoin = nil
            }
            member.isNew = false
            membersById[memberId] = member
            rescheduleHeartbeat(memberId, now: now)
            pendingSyncMembers.insert(memberId)
        }
        timers[.sync] = .pendingSync(deadline: now + rebalanceTimeoutMs, generationId: generationId)
        return actions
    }

    /// Keeps the leader if it rejoined, else promotes the first member that did. False if the
    /// group has no leader or nobody rejoined.
    mutating func maybeElectNewJoinedLeader() -> Bool {
        guard let leaderId, let leader = membersById[leaderId] else { return false }
        if leader.isAwaitingJoin { return true }
        guard let newLeader = members.first(where: \.isAwaitingJoin) else { return false }
        self.leaderId = newLeader.memberId
        return true
    }

    /// Answers every parked SyncGroup with the member's assignment (or the error) and restarts
    /// the session timers of those answered.
    mutating func propagateAssignment(error: ErrorCode, now: Int64) -> [Action] {
        var actions: [Action] = []
        for memberId in memberIds {
            guard let member = membersById[memberId], let token = member.awaitingSync else { continue }
            let result =
                error == ErrorCode.none
                ? SyncResult(protocolType: protocolType, protocolName: protocolName, assignment: member.assignment)
                : SyncResult(error: error, assignment: member.assignment)
            actions.append(.answerSync(token, result))
            membersById[memberId]?.awaitingSync = nil
            rescheduleHeartbeat(memberId, now: now)
        }
        return actions
    }
}

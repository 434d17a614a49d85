extension ClassicGroup {
    /// Which of the group's timers a deadline belongs to.
    public enum TimerKey: Hashable, Sendable {
        /// A member's (or pending member's) session: expiry removes it (Kafka's heartbeat key).
        case heartbeat(String)
        /// The join phase: the initial delay, or the rebalance timeout.
        case join
        /// The sync phase: members that have not sent SyncGroup within the rebalance timeout are removed.
        case sync
    }

    enum Timer: Equatable, Sendable {
        case heartbeat(deadline: Int64)
        /// `group.initial.rebalance.delay.ms`, extended while new members keep arriving.
        case initialRebalance(deadline: Int64, delayMs: Int64, remainingMs: Int64)
        case completeJoin(deadline: Int64)
        case pendingSync(deadline: Int64, generationId: Int32)

        var deadline: Int64 {
            switch self {
            case .heartbeat(let deadline), .initialRebalance(let deadline, _, _),
                .completeJoin(let deadline), .pendingSync(let deadline, _):
                deadline
            }
        }
    }

    /// Every armed timer and when it fires.
    public var deadlines: [TimerKey: Int64] { timers.mapValues(\.deadline) }

    /// The earliest deadline: the caller should call ``tick(now:)`` then.
    public var nextDeadline: Int64? { timers.values.map(\.deadline).min() }

    /// Fires every timer due at `now`. Timers armed while firing wait for the next tick, even if
    /// already due, so a zero timeout cannot spin inside one call.
    public mutating func tick(now: Int64) -> [Action] {
        let due = timers.filter { $0.value.deadline <= now }
            .sorted { ($0.value.deadline, order($0.key)) < ($1.value.deadline, order($1.key)) }
        var actions: [Action] = []
        for (key, timer) in due where timers[key] == timer {
            timers.removeValue(forKey: key)
            switch (key, timer) {
            case (.heartbeat(let memberId), _):
                actions += expireSession(of: memberId, now: now)
            case (.join, .initialRebalance(_, let delayMs, let remainingMs)):
                actions += tryCompleteInitialRebalance(delayMs: delayMs, remainingMs: remainingMs, now: now)
            case (.join, _):
                actions += completeJoin(now: now)
            case (.sync, .pendingSync(_, let generation)):
                actions += expirePendingSync(generation: generation, now: now)
            case (.sync, _):
                break
            }
        }
        return actions
    }

    private func order(_ key: TimerKey) -> String {
        switch key {
        case .join: "0"
        case .sync: "1"
        case .heartbeat(let memberId): "2" + memberId
        }
    }

    mutating func scheduleHeartbeat(_ memberId: String, timeoutMs: Int64, now: Int64) {
        timers[.heartbeat(memberId)] = .heartbeat(deadline: now + timeoutMs)
    }

    /// Restarts a member's session timer with its own session timeout.
    mutating func rescheduleHeartbeat(_ memberId: String, now: Int64) {
        guard let member = membersById[memberId] else { return }
        scheduleHeartbeat(memberId, timeoutMs: Int64(member.sessionTimeoutMs), now: now)
    }

    /// A session ran out: pending members are dropped; members are removed unless parked in a
    /// rebalance (Kafka's `expireClassicGroupMemberHeartbeat`).
    mutating func expireSession(of memberId: String, now: Int64) -> [Action] {
        if state == .dead { return [] }
        if pendingJoinMembers.contains(memberId) {
            remove(memberId)
            if state == .preparingRebalance && hasAllMembersJoined {
                return completeJoin(now: now)
            }
            return []
        }
        guard let member = membersById[memberId], !member.hasSatisfiedHeartbeat else { return [] }
        return removeMemberAndUpdateGroup(member, reason: "removing member \(memberId) on heartbeat expiration.", now: now)
    }

    /// Removes a failed member, answering its parked JoinGroup with UNKNOWN_MEMBER_ID so that a
    /// live client rejoins, then rebalances or completes the join phase.
    mutating func removeMemberAndUpdateGroup(_ member: ClassicGroupMember, reason: String, now: Int64) -> [Action] {
        var actions = dropParkedRequests(of: member)
        remove(member.memberId)
        switch state {
        case .stable, .completingRebalance:
            actions += maybePrepareRebalanceOrCompleteJoin(reason: reason, now: now)
        case .preparingRebalance where hasAllMembersJoined:
            actions += completeJoin(now: now)
        default:
            break
        }
        return actions
    }

    /// Answers a departing member's parked JoinGroup with UNKNOWN_MEMBER_ID (Kafka does) and
    /// abandons its parked SyncGroup (Kafka never completes it).
    mutating func dropParkedRequests(of member: ClassicGroupMember) -> [Action] {
        var actions: [Action] = []
        if let token = member.awaitingJoin {
            actions.append(.answerJoin(token, .failure(.unknownMemberId)))
            membersById[member.memberId]?.awaitingJoin = nil
        }
        if let token = member.awaitingSync {
            actions.append(.abandon(token))
            membersById[member.memberId]?.awaitingSync = nil
        }
        return actions
    }

    /// The initial delay ran out: wait once more if a member arrived meanwhile (and the largest
    /// rebalance timeout allows), else complete the join phase.
    mutating func tryCompleteInitialRebalance(delayMs: Int64, remainingMs: Int64, now: Int64) -> [Action] {
        if newMemberAdded && remainingMs != 0 {
            newMemberAdded = false
            let newDelayMs = min(config.initialRebalanceDelayMs, remainingMs)
            let newRemainingMs = max(remainingMs - delayMs, 0)
            timers[.join] = .initialRebalance(deadline: now + newDelayMs, delayMs: newDelayMs, remainingMs: newRemainingMs)
            return []
        }
        return completeJoin(now: now)
    }

    /// Members that never sent SyncGroup within the rebalance timeout are removed and the group
    /// rebalances again (Kafka's `expirePendingSync`).
    mutating func expirePendingSync(generation: Int32, now: Int64) -> [Action] {
        guard generation == generationId, state == .completingRebalance || state == .stable,
            !pendingSyncMembers.isEmpty
        else { return [] }
        let missing = memberIds.filter { pendingSyncMembers.contains($0) }
        var actions: [Action] = []
        for memberId in missing {
            if let member = membersById[memberId] { actions += dropParkedRequests(of: member) }
            remove(memberId)
        }
        actions += prepareRebalance(reason: "Removing [\(missing.joined(separator: ", "))] on pending sync request expiration", now: now)
        return actions
    }
}

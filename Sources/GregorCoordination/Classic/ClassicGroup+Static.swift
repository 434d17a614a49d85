import KafkaProtocol

extension ClassicGroup {
    /// KIP-345: a known static member joined with an empty member id (a restarted client). The new
    /// id takes over the old member's place; requests parked under the old id are fenced with
    /// FENCED_INSTANCE_ID. In a Stable group whose protocol would not change, the member gets
    /// the current generation and its old assignment without a rebalance.
    mutating func replaceStaticMember(
        _ input: JoinInput, oldMemberId: String, newMemberId: String, token: RequestToken, now: Int64
    ) -> [Action] {
        guard let instanceId = input.groupInstanceId, let old = membersById[oldMemberId] else { return [] }
        let previousLeader = leaderId

        var actions: [Action] = []
        if let parked = old.awaitingJoin {
            actions.append(.answerJoin(parked, .failure(.fencedInstanceId, memberId: oldMemberId)))
        }
        if let parked = old.awaitingSync {
            actions.append(.answerSync(parked, .failure(.fencedInstanceId)))
        }

        // The new member keeps everything but its id (even the old client id and host, as in Kafka).
        var member = ClassicGroupMember(
            memberId: newMemberId,
            groupInstanceId: old.groupInstanceId,
            clientId: old.clientId,
            clientHost: old.clientHost,
            rebalanceTimeoutMs: old.rebalanceTimeoutMs,
            sessionTimeoutMs: old.sessionTimeoutMs,
            protocolType: old.protocolType,
            protocols: old.protocols,
            assignment: old.assignment,
            joinReason: old.joinReason
        )
        membersById.removeValue(forKey: oldMemberId)
        if let index = memberIds.firstIndex(of: oldMemberId) { memberIds[index] = newMemberId }
        pendingSyncMembers.remove(oldMemberId)
        timers.removeValue(forKey: .heartbeat(oldMemberId))
        if leaderId == oldMemberId { leaderId = newMemberId }
        staticMembers[instanceId] = newMemberId
        scheduleHeartbeat(newMemberId, timeoutMs: Int64(old.sessionTimeoutMs), now: now)

        member.protocols = input.protocols
        member.rebalanceTimeoutMs = input.rebalanceTimeoutMs
        member.sessionTimeoutMs = input.sessionTimeoutMs
        member.joinReason = input.reason
        member.awaitingJoin = token
        membersById[newMemberId] = member

        let reason = input.reasonOrDefault
        switch state {
        case .stable:
            guard protocolName == selectProtocol() else {
                return actions + maybePrepareRebalanceOrCompleteJoin(
                    reason: "Group's selectedProtocol will change because static member \(newMemberId) "
                        + "with instance id \(instanceId) joined with change of protocol; client reason: \(reason)",
                    now: now)
            }
            // Kafka answers once the new member id is persisted. From v9 (KIP-814) a rejoining
            // leader gets the members but is told to skip the assignment; older versions name the
            // leader as it was before the replacement.
            membersById[newMemberId]?.awaitingJoin = nil
            persistMetadata()
            let answer: JoinResult
            if input.supportsSkippingAssignment {
                let leads = isLeader(newMemberId)
                answer = joinAnswer(for: newMemberId, includeMembers: leads, skipAssignment: leads)
            } else {
                answer = joinAnswer(for: newMemberId, includeMembers: false, leader: previousLeader ?? "")
            }
            return actions + [.answerJoin(token, answer)]
        case .completingRebalance:
            // The leader may already be assigning to the old id: rebalance so the new id gets a share.
            return actions + prepareRebalance(
                reason: "Updating metadata for static member \(newMemberId) with instance id \(instanceId); "
                    + "client reason: \(reason)",
                now: now)
        case .preparingRebalance:
            return actions + maybeCompleteJoinPhase(now: now)
        case .empty, .dead:
            return actions
        }
    }
}

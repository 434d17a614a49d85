import KafkaProtocol

extension ClassicGroup {
    /// A LeaveGroup request: v0-2 name one member by id, v3+ (KIP-345) a batch, where an admin may
    /// name static members by instance id alone. Each member gets its own error; the group then
    /// rebalances once. Follows Kafka's `classicGroupLeaveToClassicGroup`.
    public mutating func leave(_ leaving: [LeavingMember], token: RequestToken, now: Int64) -> [Action] {
        if state == .dead {
            return [.answerLeave(token, LeaveResult(error: .coordinatorNotAvailable))]
        }
        var actions: [Action] = []
        var results: [LeaveResult.Member] = []
        var removed: [String] = []
        for entry in leaving {
            var result = LeaveResult.Member(memberId: entry.memberId, groupInstanceId: entry.groupInstanceId)
            if entry.memberId.isEmpty {
                if let instanceId = entry.groupInstanceId, let memberId = staticMembers[instanceId],
                    let member = membersById[memberId]
                {
                    actions += dropParkedRequests(of: member)
                    remove(memberId)
                } else {
                    result.error = .unknownMemberId
                }
            } else if pendingJoinMembers.contains(entry.memberId) {
                remove(entry.memberId)
            } else if let error = validateMember(entry.memberId, groupInstanceId: entry.groupInstanceId) {
                result.error = error
            } else if let member = membersById[entry.memberId] {
                actions += dropParkedRequests(of: member)
                remove(entry.memberId)
            }
            if result.error == ErrorCode.none { removed.append(entry.memberId) }
            results.append(result)
        }

        if !removed.isEmpty {
            let reason = "explicit `LeaveGroup` request for (\(removed.joined(separator: ", "))) members."
            switch state {
            case .stable, .completingRebalance:
                actions += maybePrepareRebalanceOrCompleteJoin(reason: reason, now: now)
            case .preparingRebalance:
                actions += maybeCompleteJoinPhase(now: now)
            case .empty, .dead:
                break
            }
        }
        return actions + [.answerLeave(token, LeaveResult(members: results))]
    }
}

import KafkaProtocol

extension ClassicGroup {
    /// A SyncGroup request. Followers in CompletingRebalance are parked until the leader's
    /// assignment arrives; every other answer is immediate. Follows Kafka's
    /// `classicGroupSyncToClassicGroup` and `validateSyncGroup`.
    public mutating func sync(_ input: SyncInput, token: RequestToken, now: Int64) -> [Action] {
        if state == .empty {
            return [.answerSync(token, .failure(.unknownMemberId))]
        }
        if let error = validateSync(input) {
            return [.answerSync(token, .failure(error))]
        }
        switch state {
        case .preparingRebalance:
            return [.answerSync(token, .failure(.rebalanceInProgress))]
        case .completingRebalance:
            var actions: [Action] = []
            if let replaced = membersById[input.memberId]?.awaitingSync {
                actions.append(.abandon(replaced))
            }
            membersById[input.memberId]?.awaitingSync = token
            removePendingSyncMember(input.memberId)
            guard isLeader(input.memberId) else { return actions }
            // Kafka persists the assignment, then hands it out and becomes Stable; members the
            // leader left out get an empty assignment.
            for memberId in memberIds {
                membersById[memberId]?.assignment = input.assignments[memberId] ?? []
            }
            persistMetadata()
            actions += propagateAssignment(error: ErrorCode.none, now: now)
            transition(to: .stable, now: now)
            return actions
        case .stable:
            removePendingSyncMember(input.memberId)
            let assignment = membersById[input.memberId]?.assignment ?? []
            return [.answerSync(token, SyncResult(protocolType: protocolType, protocolName: protocolName, assignment: assignment))]
        case .empty, .dead:
            return [.answerSync(token, .failure(.unknownMemberId))]
        }
    }

    func validateSync(_ input: SyncInput) -> ErrorCode? {
        if state == .dead { return .coordinatorNotAvailable }
        if let error = validateMember(input.memberId, groupInstanceId: input.groupInstanceId) { return error }
        if input.generationId != generationId { return .illegalGeneration }
        // v5+ name the protocol type and name they expect; a mismatch is inconsistent.
        if Self.isInconsistent(input.protocolType, protocolType) || Self.isInconsistent(input.protocolName, protocolName) {
            return .inconsistentGroupProtocol
        }
        return nil
    }

    static func isInconsistent(_ requested: String?, _ current: String?) -> Bool {
        guard let requested, let current else { return false }
        return requested != current
    }

    /// Once every member has synced, the pending-sync timer has nothing left to catch.
    mutating func removePendingSyncMember(_ memberId: String) {
        pendingSyncMembers.remove(memberId)
        if pendingSyncMembers.isEmpty {
            timers.removeValue(forKey: .sync)
        }
    }
}

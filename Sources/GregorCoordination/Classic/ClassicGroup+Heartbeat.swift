import KafkaProtocol

extension ClassicGroup {
    /// A Heartbeat request: restarts the member's session timer. Answered at once; while the
    /// group prepares a rebalance the answer is REBALANCE_IN_PROGRESS, telling the client to rejoin.
    /// Follows Kafka's `classicGroupHeartbeatToClassicGroup`.
    public mutating func heartbeat(_ input: HeartbeatInput, token: RequestToken, now: Int64) -> [Action] {
        [.answerHeartbeat(token, heartbeat(input, now: now))]
    }

    private mutating func heartbeat(_ input: HeartbeatInput, now: Int64) -> ErrorCode {
        if state == .dead { return .coordinatorNotAvailable }
        if let error = validateMember(input.memberId, groupInstanceId: input.groupInstanceId) { return error }
        if input.generationId != generationId { return .illegalGeneration }
        switch state {
        case .empty, .dead:
            return .unknownMemberId
        case .preparingRebalance:
            rescheduleHeartbeat(input.memberId, now: now)
            return .rebalanceInProgress
        case .completingRebalance, .stable:
            // Consumers may heartbeat between their JoinGroup answer and SyncGroup.
            rescheduleHeartbeat(input.memberId, now: now)
            return ErrorCode.none
        }
    }
}

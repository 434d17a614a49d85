import KafkaProtocol

/// What DescribeGroups shows of a classic group.
public struct ClassicGroupDescription: Hashable, Sendable {
    public struct Member: Hashable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        /// The metadata for the group's protocol; empty unless the group is Stable.
        public var metadata: [UInt8]
        public var assignment: [UInt8]
    }

    public var groupId: String
    /// "Empty", "PreparingRebalance", "CompletingRebalance", "Stable" or "Dead".
    public var state: String
    public var protocolType: String
    /// The chosen protocol; empty unless the group is Stable (Kafka's `protocolData`).
    public var protocolData: String
    public var members: [Member]
}

/// What ListGroups shows of a classic group.
public struct ClassicGroupListing: Hashable, Sendable {
    public var groupId: String
    public var protocolType: String
    public var state: String
    /// Always "classic" (ListGroups v5+, KIP-848).
    public var groupType: String
}

extension ClassicGroup {
    /// DescribeGroups, as Kafka's `describeGroups`: member metadata only for a Stable group.
    public func describeGroup() -> ClassicGroupDescription {
        let stable = state == .stable
        return ClassicGroupDescription(
            groupId: groupId,
            state: state.name,
            protocolType: protocolType ?? "",
            protocolData: stable ? (protocolName ?? "") : "",
            members: members.map {
                .init(
                    memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                    clientHost: $0.clientHost, metadata: stable ? $0.metadata(for: protocolName) : [],
                    assignment: $0.assignment)
            })
    }

    /// ListGroups.
    public func listedGroup() -> ClassicGroupListing {
        ClassicGroupListing(groupId: groupId, protocolType: protocolType ?? "", state: state.name, groupType: "classic")
    }

    /// Kafka's `isSimpleGroup`: used only for offsets (no protocol type, no members, none pending).
    public var isSimpleGroup: Bool {
        protocolType == nil && state == .empty && pendingJoinMembers.isEmpty
    }

    /// Kafka's `validateOffsetCommit` for classic groups: nil if the commit may proceed.
    ///
    /// Generation -1 with no member id comes from an admin client or a consumer without group
    /// management; it may commit only while the group is Empty (transactional commits, from
    /// older producers that send no member, are exempt). Members must be of the current
    /// generation, and the group must not be awaiting its assignment.
    public func validateOffsetCommit(
        memberId: String, groupInstanceId: String?, generationId: Int32, isTransactional: Bool = false
    ) -> ErrorCode? {
        if state == .dead { return .coordinatorNotAvailable }
        if generationId < 0 && state == .empty { return nil }
        if generationId >= 0 || !memberId.isEmpty || groupInstanceId != nil {
            if let error = validateMember(memberId, groupInstanceId: groupInstanceId) { return error }
            if generationId != self.generationId { return .illegalGeneration }
        } else if !isTransactional && state != .empty {
            return .unknownMemberId
        }
        if !isTransactional && state == .completingRebalance { return .rebalanceInProgress }
        return nil
    }

    /// Kafka's `validateOffsetFetch`: a Dead group is gone.
    public func validateOffsetFetch() -> ErrorCode? {
        state == .dead ? .groupIdNotFound : nil
    }

    /// Kafka's `validateDeleteGroup` (and `validateOffsetDelete` for a non-consumer group):
    /// only an Empty group may be deleted.
    public func validateDeleteGroup() -> ErrorCode? {
        switch state {
        case .dead: .groupIdNotFound
        case .stable, .preparingRebalance, .completingRebalance: .nonEmptyGroup
        case .empty: nil
        }
    }

    /// Kafka's `validateOffsetDelete`: a group with members may only lose offsets of topics it
    /// does not consume, which only the consumer protocol lets Kafka know.
    public func validateOffsetDelete() -> ErrorCode? {
        switch state {
        case .dead: .groupIdNotFound
        case .stable, .preparingRebalance, .completingRebalance: protocolType == "consumer" ? nil : .nonEmptyGroup
        case .empty: nil
        }
    }
}

extension ClassicGroup {
    /// DeleteGroups (or offset expiry of an Empty group): the group becomes Dead, after which
    /// every request is answered with COORDINATOR_NOT_AVAILABLE. Returns the error instead if
    /// the group may not be deleted.
    public mutating func delete(now: Int64) -> ErrorCode? {
        if let error = validateDeleteGroup() { return error }
        timers.removeAll()
        transition(to: .dead, now: now)
        return nil
    }

    /// The coordinator lost the group's partition (Kafka's `onUnloaded`): the group becomes Dead
    /// and parked requests are answered with NOT_COORDINATOR, so clients find the new coordinator.
    public mutating func unload(now: Int64) -> [Action] {
        timers.removeAll()
        transition(to: .dead, now: now)
        var actions: [Action] = []
        for memberId in memberIds {
            guard var member = membersById[memberId] else { continue }
            switch previousState {
            case .preparingRebalance:
                if let token = member.awaitingJoin {
                    actions.append(.answerJoin(token, .failure(.notCoordinator, memberId: memberId)))
                }
            case .completingRebalance, .stable:
                if let token = member.awaitingSync {
                    actions.append(.answerSync(token, .failure(.notCoordinator)))
                }
            case .empty, .dead:
                break
            }
            // Nothing else will answer what is still parked.
            if let token = member.awaitingJoin, previousState != .preparingRebalance { actions.append(.abandon(token)) }
            member.awaitingJoin = nil
            member.awaitingSync = nil
            membersById[memberId] = member
        }
        return actions
    }
}

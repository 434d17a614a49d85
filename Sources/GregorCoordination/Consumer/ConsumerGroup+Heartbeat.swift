import KafkaProtocol

extension ConsumerGroup {
    /// Epoch -1: the member leaves the group.
    public static let leaveGroupMemberEpoch: Int32 = -1
    /// Epoch -2: a static member leaves for now and keeps its partitions until it comes back.
    public static let leaveGroupStaticMemberEpoch: Int32 = -2

    /// One ConsumerGroupHeartbeat request (Kafka's `GroupMetadataManager.consumerGroupHeartbeat`).
    /// `topics` is the metadata snapshot the request is served against: subscriptions, regexes
    /// and partition counts are resolved against it now, so a topic change is noticed on the
    /// next heartbeat of any member, as in Kafka.
    public mutating func heartbeat(
        _ input: ConsumerHeartbeatInput, now: Int64, topics: TopicsImage
    ) -> ConsumerHeartbeatResult {
        let before = state
        var events: [ConsumerGroupEvent] = []
        var result: ConsumerHeartbeatResult
        do {
            try validate(input)
            if input.memberEpoch == Self.leaveGroupMemberEpoch || input.memberEpoch == Self.leaveGroupStaticMemberEpoch {
                result = try leave(input, events: &events)
            } else {
                result = try join(input, now: now, topics: topics, events: &events)
            }
        } catch {
            return .failure(error)
        }
        appendStateChange(from: before, to: &events)
        result.events = events
        return result
    }

    /// Kafka's `throwIfConsumerGroupHeartbeatRequestIsInvalid` (4.x, with KIP-1082's v1 rule).
    func validate(_ input: ConsumerHeartbeatInput) throws(ConsumerGroupError) {
        let epoch = input.memberEpoch
        if input.apiVersion >= 1 || epoch > 0 || epoch == Self.leaveGroupMemberEpoch
            || epoch == Self.leaveGroupStaticMemberEpoch {
            try Self.throwIfEmpty(input.memberId, "MemberId can't be empty.")
        }
        try Self.throwIfEmpty(input.groupId, "GroupId can't be empty.")
        try Self.throwIfEmpty(input.instanceId, "InstanceId can't be empty.")
        try Self.throwIfEmpty(input.rackId, "RackId can't be empty.")

        if epoch == 0 {
            if input.rebalanceTimeoutMs == -1 {
                throw ConsumerGroupError(.invalidRequest, "RebalanceTimeoutMs must be provided in first request.")
            }
            if input.ownedPartitions.map({ !$0.normalized.isEmpty }) ?? true {
                throw ConsumerGroupError(.invalidRequest, "TopicPartitions must be empty when (re-)joining.")
            }
            // Joining with an empty list or regex is allowed: a member of the group with no topics.
            if input.subscribedTopicNames == nil && input.subscribedTopicRegex == nil {
                throw ConsumerGroupError(
                    .invalidRequest,
                    "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.")
            }
        } else if epoch == Self.leaveGroupStaticMemberEpoch {
            if input.instanceId == nil {
                throw ConsumerGroupError(.invalidRequest, "InstanceId can't be null.")
            }
        } else if epoch < Self.leaveGroupStaticMemberEpoch {
            throw ConsumerGroupError(.invalidRequest, "MemberEpoch is invalid.")
        }

        if let name = input.serverAssignor, config.assignor(named: name) == nil {
            let supported = config.assignors.map(\.name).joined(separator: ", ")
            throw ConsumerGroupError(
                .unsupportedAssignor, "ServerAssignor \(name) is not supported. Supported assignors: \(supported).")
        }
    }

    /// Java's `String.trim().isEmpty()`: blank means only characters up to U+0020.
    private static func throwIfEmpty(_ value: String?, _ message: String) throws(ConsumerGroupError) {
        if let value, value.unicodeScalars.allSatisfy({ $0.value <= 0x20 }) {
            throw ConsumerGroupError(.invalidRequest, message)
        }
    }

    /// A join (epoch 0) or a regular heartbeat. Everything that can fail is checked before the
    /// group is changed, so an error leaves it as it was (Kafka discards the records instead).
    private mutating func join(
        _ input: ConsumerHeartbeatInput, now: Int64, topics: TopicsImage, events: inout [ConsumerGroupEvent]
    ) throws(ConsumerGroupError) -> ConsumerHeartbeatResult {
        let joining = input.memberEpoch == 0
        if !exists {
            guard joining else { throw Self.groupNotFound(groupId) }
            if isDeleted { self = ConsumerGroup(groupId: groupId, config: config, memberIdSource: memberIdSource) }
        }
        if members.count >= config.maxSize && (input.memberId.isEmpty || members[input.memberId] == nil) {
            throw ConsumerGroupError(
                .groupMaxSizeReached,
                "The consumer group has reached its maximum capacity of \(config.maxSize) members.")
        }

        var memberId = input.memberId
        if memberId.isEmpty { memberId = memberIdSource.next() }
        let (member, replaced) = try memberForHeartbeat(input, memberId: memberId)

        var updated = member
        if let instanceId = input.instanceId { updated.instanceId = instanceId }
        if let rackId = input.rackId { updated.rackId = rackId }
        if input.rebalanceTimeoutMs != -1 { updated.rebalanceTimeoutMs = input.rebalanceTimeoutMs }
        if let assignor = input.serverAssignor { updated.serverAssignor = assignor }
        if let names = input.subscribedTopicNames { updated.subscribedTopicNames = names }
        if let regex = input.subscribedTopicRegex { updated.subscribedTopicRegex = regex.isEmpty ? nil : regex }
        updated.clientId = input.clientId
        updated.clientHost = input.clientHost
        if let regex = updated.subscribedTopicRegex, regex != member.subscribedTopicRegex {
            try Self.validateRegex(regex)
        }

        // From here on nothing fails.
        var newMembers = members
        if let replaced { newMembers[replaced.memberId] = nil }
        newMembers[memberId] = updated
        var bumpGroupEpoch = groupEpoch == 0
            || updated.subscribedTopicNames != member.subscribedTopicNames
            || updated.subscribedTopicRegex != member.subscribedTopicRegex
        let subscription = Self.subscription(of: newMembers, topics: topics)
        if subscriptionChanged(to: subscription.metadata) { bumpGroupEpoch = true }

        if let replaced {
            events.append(.memberReplaced(
                instanceId: replaced.instanceId ?? "", oldMemberId: replaced.memberId, newMemberId: memberId))
            if replaced.memberId != memberId {
                targetAssignment[memberId] = targetAssignment.removeValue(forKey: replaced.memberId)
                sessionDeadlines[replaced.memberId] = nil
                rebalanceDeadlines[replaced.memberId] = nil
            }
        } else if members[memberId] == nil {
            events.append(.memberJoined(memberId: memberId))
        }
        members = newMembers
        if let instanceId = updated.instanceId { staticMembers[instanceId] = memberId }
        resolvedRegexes = subscription.resolvedRegexes
        subscriptionMetadata = subscription.metadata
        lastTopics = topics
        if bumpGroupEpoch {
            groupEpoch += 1
            events.append(.groupEpochBumped(to: groupEpoch))
        }
        if groupEpoch > assignmentEpoch {
            let assignor = computeTargetAssignment()
            events.append(.targetAssignmentComputed(epoch: assignmentEpoch, assignor: assignor.name))
        }

        reconcile(memberId: memberId, ownedPartitions: input.ownedPartitions, now: now)
        sessionDeadlines[memberId] = now + Int64(config.sessionTimeoutMs)

        let final = members[memberId]!
        let isFullRequest = joining
            || (input.rebalanceTimeoutMs != -1
                && (input.subscribedTopicNames != nil || input.subscribedTopicRegex != nil)
                && input.ownedPartitions != nil)
        let changed = final.assignedPartitions.normalized != member.assignedPartitions.normalized
        return ConsumerHeartbeatResult(
            memberId: memberId, memberEpoch: final.memberEpoch, heartbeatIntervalMs: config.heartbeatIntervalMs,
            assignment: isFullRequest || changed ? final.assignedPartitions.normalized : nil)
    }

    /// Kafka's `getOrMaybeSubscribe{Dynamic,Static}ConsumerGroupMember`: the member the request
    /// speaks for, and the static member it replaces if any.
    private func memberForHeartbeat(
        _ input: ConsumerHeartbeatInput, memberId: String
    ) throws(ConsumerGroupError) -> (ConsumerGroupMember, replaced: ConsumerGroupMember?) {
        let joining = input.memberEpoch == 0
        guard let instanceId = input.instanceId else {
            if let member = members[memberId] {
                try Self.validateMemberEpoch(member, received: input.memberEpoch, owned: input.ownedPartitions)
                return (member, nil)
            }
            guard joining else { throw unknownMember(memberId) }
            return (ConsumerGroupMember(memberId: memberId), nil)
        }
        let existing = staticMember(instanceId: instanceId)
        if joining {
            guard let existing else { return (members[memberId] ?? ConsumerGroupMember(memberId: memberId), nil) }
            // Only a member that left with epoch -2 releases its instance id.
            guard existing.memberEpoch == Self.leaveGroupStaticMemberEpoch else {
                throw ConsumerGroupError(
                    .unreleasedInstanceId,
                    "Static member \(memberId) with instance id \(instanceId) cannot join the group because the "
                        + "instance id is owned by \(existing.memberId) member.")
            }
            var copy = existing
            copy.memberId = memberId
            copy.memberEpoch = 0
            copy.previousMemberEpoch = 0
            return (copy, existing)
        }
        guard let existing else {
            throw ConsumerGroupError(.unknownMemberId, "Instance id \(instanceId) is unknown.")
        }
        guard existing.memberId == memberId else {
            throw ConsumerGroupError(
                .fencedInstanceId,
                "Static member \(memberId) with instance id \(instanceId) was fenced by member \(existing.memberId).")
        }
        try Self.validateMemberEpoch(existing, received: input.memberEpoch, owned: input.ownedPartitions)
        return (existing, nil)
    }

    /// Kafka's `throwIfConsumerGroupMemberEpochIsInvalid`. The previous epoch is accepted with a
    /// subset of the assignment because the response that bumped the epoch may have been lost.
    static func validateMemberEpoch(
        _ member: ConsumerGroupMember, received: Int32, owned: PartitionAssignment?
    ) throws(ConsumerGroupError) {
        if received > member.memberEpoch {
            throw ConsumerGroupError(
                .fencedMemberEpoch,
                "The consumer group member has a greater member epoch (\(received)) than the one known by the "
                    + "group coordinator (\(member.memberEpoch)). The member must abandon all its partitions and rejoin.")
        }
        if received < member.memberEpoch {
            let ownsSubset = owned.map { $0.isSubset(of: member.assignedPartitions) } ?? false
            if received != member.previousMemberEpoch || !ownsSubset {
                throw ConsumerGroupError(
                    .fencedMemberEpoch,
                    "The consumer group member has a smaller member epoch (\(received)) than the one known by the "
                        + "group coordinator (\(member.memberEpoch)). The member must abandon all its partitions and rejoin.")
            }
        }
    }

    /// Kafka's `consumerGroupLeave`: -1 removes the member and bumps the group epoch; -2 keeps a
    /// static member's partitions with epoch -2 until it rejoins or its session expires.
    private mutating func leave(
        _ input: ConsumerHeartbeatInput, events: inout [ConsumerGroupEvent]
    ) throws(ConsumerGroupError) -> ConsumerHeartbeatResult {
        guard exists else { throw Self.groupNotFound(groupId) }
        let leaving = ConsumerHeartbeatResult(memberId: input.memberId, memberEpoch: input.memberEpoch)
        guard let instanceId = input.instanceId else {
            guard members[input.memberId] != nil else { throw unknownMember(input.memberId) }
            fenceMember(input.memberId, events: &events)
            events.insert(.memberLeft(memberId: input.memberId), at: 0)
            return leaving
        }
        guard var member = staticMember(instanceId: instanceId) else {
            throw ConsumerGroupError(.unknownMemberId, "Instance id \(instanceId) is unknown.")
        }
        guard member.memberId == input.memberId else {
            throw ConsumerGroupError(
                .fencedInstanceId,
                "Static member \(input.memberId) with instance id \(instanceId) was fenced by member \(member.memberId).")
        }
        if input.memberEpoch == Self.leaveGroupStaticMemberEpoch {
            member.memberEpoch = Self.leaveGroupStaticMemberEpoch
            member.partitionsPendingRevocation = [:]
            members[member.memberId] = member
            // Kafka's rebalance timer checks the epoch, which is now -2: it can never fire.
            rebalanceDeadlines[member.memberId] = nil
            events.append(.staticMemberLeftTemporarily(memberId: member.memberId))
            return ConsumerHeartbeatResult(memberId: member.memberId, memberEpoch: Self.leaveGroupStaticMemberEpoch)
        }
        fenceMember(member.memberId, events: &events)
        events.insert(.memberLeft(memberId: member.memberId), at: 0)
        return leaving
    }

    static func groupNotFound(_ groupId: String) -> ConsumerGroupError {
        ConsumerGroupError(.groupIdNotFound, "Consumer group \(groupId) not found.")
    }

    func unknownMember(_ memberId: String) -> ConsumerGroupError {
        ConsumerGroupError(.unknownMemberId, "Member \(memberId) is not a member of group \(groupId).")
    }

    func appendStateChange(from before: ConsumerGroupState, to events: inout [ConsumerGroupEvent]) {
        let after = state
        if after != before { events.append(.stateChanged(from: before, to: after)) }
    }
}

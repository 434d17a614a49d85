import KafkaProtocol

extension ConsumerGroup {
    /// Fires the session and rebalance timeouts that are due at `now` (Kafka's timer tasks):
    /// a member silent for `group.consumer.session.timeout.ms` is fenced, and so is one still
    /// owing a revocation at the epoch it was asked at after its rebalance timeout.
    public mutating func tick(now: Int64) -> [ConsumerGroupEvent] {
        let before = state
        var events: [ConsumerGroupEvent] = []
        for (memberId, deadline) in sessionDeadlines.sorted(by: { $0.key < $1.key }) where deadline <= now {
            sessionDeadlines[memberId] = nil
            guard members[memberId] != nil else { continue }
            events.append(.memberFenced(memberId: memberId, reason: .sessionTimeout))
            fenceMember(memberId, events: &events)
        }
        for (memberId, timer) in rebalanceDeadlines.sorted(by: { $0.key < $1.key }) where timer.deadline <= now {
            rebalanceDeadlines[memberId] = nil
            // Kafka ignores the timer if the member has moved past the epoch it was set for.
            guard let member = members[memberId], member.memberEpoch == timer.memberEpoch else { continue }
            events.append(.memberFenced(memberId: memberId, reason: .rebalanceTimeout))
            fenceMember(memberId, events: &events)
        }
        appendStateChange(from: before, to: &events)
        return events
    }

    /// A new metadata snapshot. Kafka only marks the group's subscription metadata stale and
    /// bumps the epoch on the next heartbeat; doing it here too lets Describe show Assigning
    /// right away. Heartbeats notice the change on their own, so calling this is optional.
    public mutating func topicsChanged(_ topics: TopicsImage) -> [ConsumerGroupEvent] {
        guard exists else { return [] }
        let before = state
        var events: [ConsumerGroupEvent] = []
        lastTopics = topics
        let subscription = Self.subscription(of: members, topics: topics)
        resolvedRegexes = subscription.resolvedRegexes
        if subscriptionChanged(to: subscription.metadata) {
            subscriptionMetadata = subscription.metadata
            groupEpoch += 1
            events.append(.groupEpochBumped(to: groupEpoch))
        }
        appendStateChange(from: before, to: &events)
        return events
    }

    /// Kafka's `consumerGroupFenceMember`: drop the member, its target assignment and timers,
    /// recompute the subscription without it and bump the group epoch. The new target
    /// assignment waits for the next heartbeat (the group is Assigning until then).
    mutating func fenceMember(_ memberId: String, events: inout [ConsumerGroupEvent]) {
        guard let member = members.removeValue(forKey: memberId) else { return }
        if let instanceId = member.instanceId, staticMembers[instanceId] == memberId {
            staticMembers[instanceId] = nil
        }
        targetAssignment[memberId] = nil
        sessionDeadlines[memberId] = nil
        rebalanceDeadlines[memberId] = nil
        let subscription = Self.subscription(of: members, topics: lastTopics)
        resolvedRegexes = subscription.resolvedRegexes
        subscriptionMetadata = subscription.metadata
        groupEpoch += 1
        events.append(.groupEpochBumped(to: groupEpoch))
    }
}

import KafkaProtocol

extension ConsumerGroup {
    /// Kafka's `ConsumerGroup.validateOffsetCommit`: commits are fenced by the member epoch.
    ///
    /// - A negative epoch (the admin client, or a consumer without group management, sends
    ///   generation -1 and an empty member id) may commit only while the group has no members.
    /// - Otherwise the member must exist (UNKNOWN_MEMBER_ID) and, outside a transaction, use
    ///   OffsetCommit v9+ (UNSUPPORTED_VERSION); its epoch must match (STALE_MEMBER_EPOCH).
    /// Returns nil when the commit may proceed.
    public func validateOffsetCommit(
        memberId: String, instanceId: String? = nil, memberEpoch: Int32, isTransactional: Bool = false,
        apiVersion: Int16
    ) -> ConsumerGroupError? {
        if memberEpoch < 0 && members.isEmpty { return nil }
        guard let member = members[memberId] else { return unknownMember(memberId) }
        if !isTransactional && apiVersion < 9 {
            return ConsumerGroupError(
                .unsupportedVersion, "OffsetCommit version 9 or above must be used by members using the modern group protocol")
        }
        return Self.validateCommittingEpoch(received: memberEpoch, expected: member.memberEpoch)
    }

    /// Kafka's `ConsumerGroup.validateOffsetFetch` (OffsetFetch v9+ carries member id and epoch):
    /// no member id and a negative epoch is an admin or plain fetch and always allowed.
    public func validateOffsetFetch(memberId: String?, memberEpoch: Int32) -> ConsumerGroupError? {
        guard let memberId else { return memberEpoch < 0 ? nil : unknownMember("null") }
        guard let member = members[memberId] else { return unknownMember(memberId) }
        return Self.validateCommittingEpoch(received: memberEpoch, expected: member.memberEpoch)
    }

    /// Kafka's `ConsumerGroup.isSubscribedToTopic`: a member subscribes to the topic by name or
    /// through a regex that matched it. OffsetDelete refuses such partitions
    /// (GROUP_SUBSCRIBED_TO_TOPIC), and their offsets do not expire.
    public func isSubscribed(toTopic topic: String) -> Bool {
        members.values.contains { $0.subscribedTopicNames.contains(topic) }
            || resolvedRegexes.values.contains { $0.contains(topic) }
    }

    private static func validateCommittingEpoch(received: Int32, expected: Int32) -> ConsumerGroupError? {
        guard received != expected else { return nil }
        return ConsumerGroupError(
            .staleMemberEpoch, "The received member epoch \(received) does not match the expected member epoch \(expected).")
    }
}

import KafkaProtocol

extension GroupCoordinator {
    // MARK: ConsumerGroupHeartbeat, ConsumerGroupDescribe (KIP-848)

    /// ConsumerGroupHeartbeat (Kafka's `GroupMetadataManager.consumerGroupHeartbeat`), served
    /// against `topics`, the metadata snapshot of the moment: a topic created, deleted or grown
    /// since the group's last heartbeat is noticed now, and regex subscriptions are resolved anew.
    ///
    /// A group id held by a classic group: a join (epoch 0) to an empty classic group deletes it
    /// and creates the consumer group (`maybeDeleteEmptyClassicGroup`; committed offsets stay,
    /// they are keyed by group id). Anything else is GROUP_ID_NOT_FOUND "Group X is not a
    /// consumer group": Kafka 4.x's answer under `group.consumer.migration.policy` = disabled or
    /// downgrade. Its default (bidirectional) converts a non-empty classic group using the
    /// consumer protocol online (`convertToConsumerGroup`), which Gregor does not implement.
    public func consumerHeartbeat(_ input: ConsumerHeartbeatInput, topics: TopicsImage) -> ConsumerHeartbeatResult {
        let groupId = input.groupId
        var removedClassic: ClassicGroup?
        if let classic = groups[groupId] {
            // Kafka validates the request before it looks the group up.
            do {
                try ConsumerGroup(groupId: groupId, config: consumerConfig).validate(input)
            } catch {
                return .failure(error)
            }
            guard input.memberEpoch == 0, classic.state == .empty else {
                return .failure(ConsumerGroupError(.groupIdNotFound, "Group \(groupId) is not a consumer group"))
            }
            removedClassic = groups.removeValue(forKey: groupId)
        }
        var group = consumerGroups[groupId]
            ?? ConsumerGroup(groupId: groupId, config: consumerConfig, memberIdSource: consumerMemberIdSource)
        let result = group.heartbeat(input, now: clock.now(), topics: topics)
        consumerMemberIdSource = group.memberIdSource
        if result.errorCode != .none, let removedClassic {
            // Kafka discards the classic group's tombstones with the failed heartbeat's records.
            groups[groupId] = removedClassic
        } else if group.exists {
            consumerGroups[groupId] = group
        }
        rearmTimer()
        return result
    }

    /// ConsumerGroupDescribe for one group (Kafka's `consumerGroupDescribe`): INVALID_GROUP_ID for
    /// the empty id (`GroupCoordinatorService`), GROUP_ID_NOT_FOUND for an unknown or classic group.
    public func describeConsumerGroup(_ groupId: String) -> Result<ConsumerGroupDescription, ConsumerGroupError> {
        if groupId.isEmpty { return .failure(ConsumerGroupError(.invalidGroupId, "")) }
        if let group = consumerGroups[groupId] { return .success(group.describe()) }
        if groups[groupId] != nil {
            return .failure(ConsumerGroupError(.groupIdNotFound, "Group \(groupId) is not a consumer group"))
        }
        return .failure(ConsumerGroupError(.groupIdNotFound, "Group \(groupId) not found."))
    }

    /// A new metadata snapshot for every consumer group (topic created, deleted, partitions
    /// added). Optional: each heartbeat resolves its group against the snapshot it brings; this
    /// only makes ConsumerGroupDescribe and ListGroups show Assigning before the next heartbeat.
    public func topicsChanged(_ topics: TopicsImage) {
        for groupId in Array(consumerGroups.keys) {
            _ = consumerGroups[groupId]!.topicsChanged(topics)
        }
    }

    /// The consumer group, for tests and diagnostics.
    public func consumerGroup(_ groupId: String) -> ConsumerGroup? { consumerGroups[groupId] }

    /// Whether the group id names a consumer group (KIP-848) rather than a classic one.
    public func isConsumerGroup(_ groupId: String) -> Bool { consumerGroups[groupId] != nil }
}

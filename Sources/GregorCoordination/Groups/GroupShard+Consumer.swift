import KafkaProtocol

extension GroupShard {
    /// ConsumerGroupHeartbeat (Kafka's `GroupMetadataManager.consumerGroupHeartbeat`), served
    /// against `topics`, the metadata snapshot of the moment.
    ///
    /// A group id held by a classic group: a join (epoch 0) to an empty classic group deletes it
    /// and creates the consumer group (`maybeDeleteEmptyClassicGroup`; committed offsets stay,
    /// they are keyed by group id). Anything else is GROUP_ID_NOT_FOUND "Group X is not a
    /// consumer group": Kafka 4.x's answer under `group.consumer.migration.policy` = disabled or
    /// downgrade. Its default (bidirectional) converts a non-empty classic group using the
    /// consumer protocol online (`convertToConsumerGroup`), which Gregor does not implement.
    mutating func consumerHeartbeat(_ input: ConsumerHeartbeatInput, topics: TopicsImage, now: Int64)
        -> CoordinatorResult<Self, ConsumerHeartbeatResult>
    {
        let groupId = input.groupId
        var removedClassic: ClassicGroup?
        if let group = classic[groupId] {
            // Kafka validates the request before it looks the group up.
            do {
                try ConsumerGroup(groupId: groupId, config: settings.consumer).validate(input)
            } catch {
                return CoordinatorResult(response: .failure(error))
            }
            guard input.memberEpoch == 0, group.state == .empty else {
                return CoordinatorResult(response: .failure(ConsumerGroupError(.groupIdNotFound, "Group \(groupId) is not a consumer group")))
            }
            removedClassic = classic.removeValue(forKey: groupId)
        }
        let before = consumer[groupId]
        var group = before ?? ConsumerGroup(groupId: groupId, config: settings.consumer, memberIdSource: consumerMemberIdSource)
        let result = group.heartbeat(input, now: now, topics: topics)
        consumerMemberIdSource = group.memberIdSource
        if result.errorCode != .none, let removedClassic {
            // Kafka discards the classic group's tombstones with the failed heartbeat's records.
            classic[groupId] = removedClassic
            return CoordinatorResult(response: result)
        }
        if group.exists { consumer[groupId] = group }
        // An empty classic group gives way: its GroupMetadata tombstone comes first.
        let records = (removedClassic == nil ? [] : [Record.groupMetadata(group: groupId, nil)]) + group.records(since: before)
        return CoordinatorResult(
            records: records, response: result, events: result.events.map { .consumer(group: groupId, $0) }, timers: [timer(for: groupId)],
            deliverEventsIfWriteFails: true)
    }

    /// A new metadata snapshot for every consumer group (topic created, deleted, partitions
    /// added). Optional: each heartbeat resolves its group against the snapshot it brings; this
    /// only makes ConsumerGroupDescribe and ListGroups show Assigning before the next heartbeat.
    mutating func topicsChanged(_ topics: TopicsImage) -> CoordinatorResult<Self, Void> {
        var records: [Record] = []
        var events: [Event] = []
        for groupId in consumer.keys.sorted() {
            let before = consumer[groupId]
            events += consumer[groupId]!.topicsChanged(topics).map { .consumer(group: groupId, $0) }
            records += consumer[groupId]!.records(since: before)
        }
        return CoordinatorResult(
            records: records, events: events, timers: consumer.keys.sorted().map { timer(for: $0) }, deliverEventsIfWriteFails: true)
    }

    /// ConsumerGroupDescribe for one group (Kafka's `consumerGroupDescribe`): GROUP_ID_NOT_FOUND
    /// for an unknown or classic group.
    func describeConsumerGroup(_ groupId: String) -> Result<ConsumerGroupDescription, ConsumerGroupError> {
        if let group = consumer[groupId] { return .success(group.describe()) }
        if classic[groupId] != nil {
            return .failure(ConsumerGroupError(.groupIdNotFound, "Group \(groupId) is not a consumer group"))
        }
        return .failure(ConsumerGroupError(.groupIdNotFound, "Group \(groupId) not found."))
    }
}

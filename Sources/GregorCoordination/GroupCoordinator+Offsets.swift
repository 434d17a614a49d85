import KafkaProtocol

extension GroupCoordinator {
    /// After a restart: classic groups with a GroupMetadata record come back as it says (Stable
    /// with their members, sessions running from now, or Empty with their generation and protocol
    /// type, Kafka's `GroupMetadataManager.replay` and `onLoaded`); groups that only have committed
    /// offsets come back Empty, as Kafka creates them, so ListGroups, DescribeGroups and
    /// DeleteGroups know them and a fresh member rejoins the same group.
    public func restore(groupIds: [String]) {
        let now = clock.now()
        for snapshot in persistence.loaded() where groups[snapshot.groupId] == nil && consumerGroups[snapshot.groupId] == nil {
            groups[snapshot.groupId] = ClassicGroup(restoring: snapshot, config: config, memberIdSource: memberIdSource, now: now)
        }
        for id in groupIds where groups[id] == nil && consumerGroups[id] == nil {
            groups[id] = ClassicGroup(groupId: id, config: config, memberIdSource: memberIdSource, now: now)
        }
        rearmTimer()
    }

    /// Whether a member of the group consumes `topic`, per the subscriptions in its consumer
    /// protocol metadata: OffsetDelete refuses such partitions (GROUP_SUBSCRIBED_TO_TOPIC) and
    /// their offsets never expire while the group is active (Kafka's `ClassicGroup.isSubscribedToTopic`).
    public func isSubscribed(groupId: String, topic: String) -> Bool {
        if let consumer = consumerGroups[groupId] { return consumer.isSubscribed(toTopic: topic) }
        guard let group = groups[groupId], group.protocolType == "consumer", group.state != .empty, group.state != .dead,
            let chosen = group.protocolName
        else { return false }
        return group.members.contains { member in
            guard let metadata = member.protocols.first(where: { $0.name == chosen })?.metadata else { return false }
            return ConsumerProtocolSubscription.topics(in: metadata)?.contains(topic) ?? false
        }
    }

    /// How each group's offsets age for `offsets.retention.minutes` (KIP-211): for a classic
    /// group not at all while it has members, from when it became Empty for a consumer-protocol
    /// group, and from each commit for a group that never had a protocol (admin or standalone
    /// commits). A KIP-848 group's offsets age from their commits, but only for topics it no
    /// longer subscribes to (Kafka's `ConsumerGroup.offsetExpirationCondition`).
    public func offsetExpiration(groupId: String) -> OffsetExpiration {
        if consumerGroups[groupId] != nil { return .fromCommit }
        guard let group = groups[groupId] else { return .fromCommit }
        switch group.state {
        case .empty: return group.protocolType == nil ? .fromCommit : .fromEmptySince(group.stateTimestampMs)
        case .dead: return .fromCommit
        default: return .never
        }
    }

    /// After expiry: the Empty groups left with no offsets are deleted, with a GroupMetadata
    /// tombstone for classic ones, as Kafka's `cleanupGroupMetadata` does.
    public func removeEmptyGroups(_ groupIds: [String]) {
        for id in groupIds where groupIsEmpty(id) == true {
            let wasClassic = groups[id] != nil
            if deleteGroup(id) == nil, wasClassic { persistence.remove(id) }
        }
    }
}

/// The topics of a consumer protocol subscription (`ConsumerProtocolSubscription` v0+: version,
/// then an array of topic names; later versions only append fields), the metadata of a classic
/// group member using protocol type "consumer".
enum ConsumerProtocolSubscription {
    static func topics(in metadata: [UInt8]) -> [String]? {
        var i = 2  // version
        func int(_ width: Int) -> Int? {
            guard i + width <= metadata.count else { return nil }
            defer { i += width }
            return metadata[i..<i + width].reduce(0) { $0 << 8 | Int($1) }
        }
        guard let count = int(4), count >= 0, count <= metadata.count else { return nil }
        var topics: [String] = []
        for _ in 0..<count {
            guard let length = int(2), length <= 0x7fff, i + length <= metadata.count else { return nil }
            topics.append(String(decoding: metadata[i..<i + length], as: UTF8.self))
            i += length
        }
        return topics
    }
}

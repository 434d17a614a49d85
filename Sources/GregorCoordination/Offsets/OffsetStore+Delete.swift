import GregorStorage
import KafkaProtocol

/// Removal of committed offsets: each writes tombstones (null values) so compaction drops the
/// records and a restart does not bring them back.
extension OffsetStore {
    /// DeleteGroups: tombstones for every committed offset of the group and for its
    /// GroupMetadata record, in one batch (Kafka's `OffsetMetadataManager.deleteAllOffsets` then
    /// `GroupMetadataManager.createGroupTombstoneRecords`). Answers how many offsets it removed.
    /// Whether the group may be deleted (Empty, or unknown: GROUP_ID_NOT_FOUND) is the caller's.
    @discardableResult
    public func deleteGroup(_ group: String, now: Int64) throws(OffsetStoreError) -> Int {
        try write(group, now: now) { shard in
            let mine = (shard.offsets[group] ?? [:]).keys.sorted()
            let records = mine.map { GroupShard.Record.offsetCommit(group: group, $0, nil) } + [.groupMetadata(group: group, nil)]
            return CoordinatorResult(records: records, response: mine.count)
        }
    }

    /// OffsetDelete: tombstones for those of `partitions` the group has an offset for (Kafka's
    /// `OffsetMetadataManager.deleteOffsets`); answers them. Refusing topics the group is
    /// subscribed to (GROUP_SUBSCRIBED_TO_TOPIC) is the caller's.
    @discardableResult
    public func deleteOffsets(group: String, partitions: [TopicPartition], now: Int64) throws(OffsetStoreError) -> [TopicPartition] {
        try write(group, now: now) { shard in
            guard let mine = shard.offsets[group] else { return CoordinatorResult(response: []) }
            var seen = Set<TopicPartition>()
            let doomed = partitions.filter { mine[$0] != nil && seen.insert($0).inserted }
            return CoordinatorResult(records: doomed.map { .offsetCommit(group: group, $0, nil) }, response: doomed)
        }
    }

    /// Removes every group's offsets for deleted topics, as Kafka's
    /// `OffsetMetadataManager.onPartitionsDeleted` does when a topic is deleted: one batch of
    /// tombstones per shard. Answers how many offsets it removed.
    @discardableResult
    public func deleteTopics(_ topics: Set<String>, now: Int64) throws(OffsetStoreError) -> Int {
        guard !topics.isEmpty else { return 0 }
        return try eachShard(now: now) { shard in
            var doomed: [GroupShard.Record] = []
            for (group, mine) in shard.offsets {
                for tp in mine.keys where topics.contains(tp.topic) { doomed.append(.offsetCommit(group: group, tp, nil)) }
            }
            return CoordinatorResult(records: doomed, response: doomed.count)
        }.reduce(0, +)
    }

    /// Runs `operation` on every shard, one batch each; keeps going past a shard that fails
    /// and throws the first failure at the end.
    func eachShard<T>(now: Int64, _ operation: (inout GroupShard) -> CoordinatorResult<GroupShard, T>) throws(OffsetStoreError) -> [T] {
        var results: [T] = []
        var failure: OffsetStoreError?
        for partition in runtime.partitions {
            do throws(CoordinatorError) {
                results.append(try runtime.writeNow(partition, now: now) { shard, _ in operation(&shard) })
            } catch {
                failure = failure ?? OffsetStoreError(.coordinator(error))
            }
        }
        if let failure { throw failure }
        return results
    }

    /// One pass of `offsets.retention.minutes` (Kafka's `GroupMetadataManager.cleanupGroupMetadata`
    /// and `OffsetMetadataManager.cleanupExpiredOffsets`, KIP-211): for each group with offsets,
    /// `condition` says how they age; an offset of a topic `isSubscribed` says the group consumes
    /// never expires. An offset with an explicit expire timestamp expires once `now` reaches it,
    /// any other once `now - base >= retentionMs`. Writes one batch of tombstones per shard and
    /// answers the groups left with no offsets, which the caller deletes if they are Empty.
    @discardableResult
    public func expire(
        now: Int64, retentionMs: Int64,
        condition: (String) -> OffsetExpiration,
        isSubscribed: (_ group: String, _ topic: String) -> Bool = { _, _ in false }
    ) throws(OffsetStoreError) -> [String] {
        try eachShard(now: now) { shard in
            var doomed: [(group: String, tp: TopicPartition)] = []
            var allGone: [String] = []
            for (group, mine) in shard.offsets {
                let base = condition(group)
                if base == .never { continue }
                var all = true
                for (tp, c) in mine {
                    if !isSubscribed(group, tp.topic) && Self.isExpired(c, base: base, now: now, retentionMs: retentionMs) {
                        doomed.append((group, tp))
                    } else {
                        all = false
                    }
                }
                if all { allGone.append(group) }
            }
            doomed.sort { ($0.group, $0.tp) < ($1.group, $1.tp) }
            return CoordinatorResult(records: doomed.map { .offsetCommit(group: $0.group, $0.tp, nil) }, response: doomed.isEmpty ? [] : allGone)
        }.flatMap { $0 }.sorted()
    }

    /// `expire` for callers that only know whether a group is Empty: an Empty group's offsets
    /// age from their commit timestamps (a group that never had members, or whose Empty
    /// timestamp is unknown, as after a restart), a group with members keeps them.
    @discardableResult
    public func expire(now: Int64, retentionMs: Int64, isEmpty: (String) -> Bool) throws(OffsetStoreError) -> [String] {
        try expire(now: now, retentionMs: retentionMs, condition: { isEmpty($0) ? .fromCommit : .never })
    }

    /// Kafka's `OffsetExpirationConditionImpl.isOffsetExpired`.
    static func isExpired(_ c: CommittedOffset, base: OffsetExpiration, now: Int64, retentionMs: Int64) -> Bool {
        if let expire = c.expireTimestamp { return now >= expire }
        switch base {
        case .never: return false
        case .fromCommit: return now - c.commitTimestamp >= retentionMs
        case .fromEmptySince(let since): return now - (since ?? c.commitTimestamp) >= retentionMs
        }
    }
}

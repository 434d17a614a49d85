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
        let shard = shard(for: group)
        let groupKey = try OffsetRecords.groupMetadataKey(group: group)
        return try shard.state.withLock { (s: inout OffsetShard.State) throws(OffsetStoreError) -> Int in
            let mine = s.offsets[group] ?? [:]
            var records: [OffsetShard.Record] = []
            for tp in mine.keys.sorted() {
                records.append(.init(key: try OffsetRecords.offsetCommitKey(group: group, tp), value: nil))
            }
            records.append(.init(key: groupKey, value: nil))
            try append(records, to: shard, &s, now: now)
            s.offsets[group] = nil
            s.groups[group] = nil
            return mine.count
        }
    }

    /// OffsetDelete: tombstones for those of `partitions` the group has an offset for (Kafka's
    /// `OffsetMetadataManager.deleteOffsets`); answers them. Refusing topics the group is
    /// subscribed to (GROUP_SUBSCRIBED_TO_TOPIC) is the caller's.
    @discardableResult
    public func deleteOffsets(group: String, partitions: [TopicPartition], now: Int64) throws(OffsetStoreError) -> [TopicPartition] {
        let shard = shard(for: group)
        return try shard.state.withLock { (s: inout OffsetShard.State) throws(OffsetStoreError) -> [TopicPartition] in
            guard let mine = s.offsets[group] else { return [] }
            var seen = Set<TopicPartition>()
            let doomed = partitions.filter { mine[$0] != nil && seen.insert($0).inserted }
            var records: [OffsetShard.Record] = []
            for tp in doomed { records.append(.init(key: try OffsetRecords.offsetCommitKey(group: group, tp), value: nil)) }
            try append(records, to: shard, &s, now: now)
            for tp in doomed { remove(group, tp, from: &s) }
            return doomed
        }
    }

    /// Removes every group's offsets for deleted topics, as Kafka's
    /// `OffsetMetadataManager.onPartitionsDeleted` does when a topic is deleted: one batch of
    /// tombstones per shard. Answers how many offsets it removed.
    @discardableResult
    public func deleteTopics(_ topics: Set<String>, now: Int64) throws(OffsetStoreError) -> Int {
        guard !topics.isEmpty else { return 0 }
        var removed = 0
        var failure: OffsetStoreError?
        for shard in shards {
            do {
                removed += try shard.state.withLock { (s: inout OffsetShard.State) throws(OffsetStoreError) -> Int in
                    var doomed: [(group: String, tp: TopicPartition)] = []
                    for (group, mine) in s.offsets {
                        for tp in mine.keys where topics.contains(tp.topic) { doomed.append((group, tp)) }
                    }
                    guard !doomed.isEmpty else { return 0 }
                    var records: [OffsetShard.Record] = []
                    for d in doomed { records.append(.init(key: try OffsetRecords.offsetCommitKey(group: d.group, d.tp), value: nil)) }
                    try append(records, to: shard, &s, now: now)
                    for d in doomed { remove(d.group, d.tp, from: &s) }
                    return doomed.count
                }
            } catch {
                // Keep cleaning the other shards; report the first failure.
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return removed
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
        var emptied: [String] = []
        var failure: OffsetStoreError?
        for shard in shards {
            do {
                try shard.state.withLock { (s: inout OffsetShard.State) throws(OffsetStoreError) in
                    var doomed: [(group: String, tp: TopicPartition)] = []
                    var allGone: [String] = []
                    for (group, mine) in s.offsets {
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
                    guard !doomed.isEmpty else { return }
                    doomed.sort { ($0.group, $0.tp) < ($1.group, $1.tp) }
                    var records: [OffsetShard.Record] = []
                    for d in doomed { records.append(.init(key: try OffsetRecords.offsetCommitKey(group: d.group, d.tp), value: nil)) }
                    try append(records, to: shard, &s, now: now)
                    for d in doomed { remove(d.group, d.tp, from: &s) }
                    emptied += allGone
                }
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return emptied.sorted()
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

    func remove(_ group: String, _ tp: TopicPartition, from s: inout OffsetShard.State) {
        if s.offsets[group]?.removeValue(forKey: tp) != nil, s.offsets[group]?.isEmpty == true { s.offsets[group] = nil }
    }
}

// Incremental fetch sessions (KIP-227), as Apache Kafka's broker runs them
// (core/src/main/scala/kafka/server/FetchSession.scala and clients' FetchMetadata.java).
//
// A Fetch request (v7+) carries (sessionId, sessionEpoch):
// - epoch -1 (FINAL): close session `sessionId` if nonzero, answer a sessionless full fetch (id 0).
// - epoch 0 (INITIAL): close session `sessionId` if nonzero, read every listed partition, then try
//   to cache a new session holding the partitions answered; answer its id, or 0 when the cache
//   refuses (full and nothing evictable).
// - epoch > 0: incremental. Unknown id: FETCH_SESSION_ID_NOT_FOUND; epoch other than the one
//   expected: INVALID_FETCH_SESSION_EPOCH; a name-based session used from v13+ or an id-based one
//   from v12-: FETCH_SESSION_TOPIC_ID_ERROR. Each is a top-level error with session id 0 and no
//   partitions. Otherwise the listed partitions are added or updated, the forgotten ones removed,
//   the expected epoch bumped (wrapping Int32.max to 1), and every session partition is read. If
//   the session ends up empty it is closed and the request answered sessionless.
// An incremental response lists only partitions with news (Kafka's CachedPartition
// `maybeUpdateResponseData`): records to return, a high watermark or log start offset different
// from the one last sent, an error, a preferred read replica or a diverging epoch; a partition new
// to the session has no "last sent" values, so it is always listed. Gregor also lists a partition
// whose last stable offset or current leader changed: Kafka does not compare them, but on Kafka
// each moves only together with something it does compare (a transaction marker moves the high
// watermark, a leader change comes with NOT_LEADER_OR_FOLLOWER), so the answers are the same.
// "Records to return" is `FetchSessionResult.recordBytes`, the one count the response frame, the
// session and the long poll all use. Partitions that returned records move to the end of the
// session's order, so the next request reads the others first.
// From v13 (KIP-516) sessions key partitions by topic id; an id the broker cannot name stays in the
// session nameless (the handler answers it UNKNOWN_TOPIC_ID) and is named once the id resolves.
//
// The cache follows Kafka's FetchSessionCacheShard as one shard (Kafka splits
// `max.incremental.fetch.session.cache.slots` over 8 shards and evicts within a shard only):
// a new session takes a free slot, else evicts the least recently used session if it has been idle
// longer than the eviction age (120 s, Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS), else the
// smallest session older than that age if the new one has strictly more partitions. Nothing expires
// on a timer: an idle session lives until a new one needs its slot.
import GregorStorage
import KafkaProtocol

/// Kafka's FetchMetadata constants: what a (sessionId, sessionEpoch) pair means.
enum FetchSessionEpoch {
    /// The session id meaning "no session".
    static let invalidSessionId: Int32 = 0
    /// Opens a new session (closing the one named, if any).
    static let initial: Int32 = 0
    /// Closes the session named and fetches without one.
    static let final: Int32 = -1

    /// The epoch that follows `epoch`: FINAL stays FINAL and Int32.max wraps to 1, never to 0.
    static func next(_ epoch: Int32) -> Int32 {
        if epoch < 0 { return final }
        return epoch == .max ? 1 : epoch + 1
    }
}

/// How a session tells its partitions apart: by topic id from v13 (KIP-516), by name before.
struct FetchSessionKey: Hashable, Sendable, CustomStringConvertible {
    /// A topic as a session knows it.
    enum Topic: Hashable, Sendable {
        case id(KafkaUUID)
        case name(String)
    }

    var topic: Topic
    var partition: Int32

    var description: String {
        switch topic {
        case .id(let id): "\(id)-\(partition)"
        case .name(let name): "\(name)-\(partition)"
        }
    }
}

/// One partition to read, with the fetch parameters the client sent (now or in an earlier request).
struct FetchSessionPartition: Equatable, Sendable {
    /// The topic id; `.zero` before v13.
    var topicId: KafkaUUID
    /// The topic name; nil when a v13+ topic id names no topic (answer it UNKNOWN_TOPIC_ID).
    var topicName: String?
    var partition: Int32
    var fetchOffset: Int64
    /// The client's log start offset (followers only; consumers send -1).
    var logStartOffset: Int64
    var partitionMaxBytes: Int32
    var currentLeaderEpoch: Int32 = -1
    var lastFetchedEpoch: Int32 = -1

    /// The session key: the id when the request uses ids, else the name.
    var key: FetchSessionKey {
        if topicId != .zero || topicName == nil {
            return FetchSessionKey(topic: .id(topicId), partition: partition)
        }
        return FetchSessionKey(topic: .name(topicName ?? ""), partition: partition)
    }
}

/// What the handler read for one partition of a context.
struct FetchSessionResult: Sendable {
    /// The partition as the context listed it.
    var partition: FetchSessionPartition
    /// The response data; `partitionIndex` is filled in from `partition`. From v4 its `records`
    /// stay empty when the records come from `region`.
    var data: FetchResponse.PartitionData
    /// The records in the log file (v4+): sent with sendfile on plaintext, read on TLS.
    var region: LogRegion? = nil

    /// The record bytes this partition returns, wherever they travel: the file region, or the
    /// in-memory records (down-converted for v0-3). Kafka's `FetchResponse.recordsSize`.
    var recordBytes: Int { region?.length ?? data.records?.readableBytes ?? 0 }
}

/// A partition as a session remembers it: the request parameters and the last values answered.
struct FetchSessionCachedPartition: Sendable, Equatable {
    var request: FetchSessionPartition
    /// The high watermark last sent; -1 after an error, so the partition is resent once it clears.
    var highWatermark: Int64 = -1
    /// The broker's log start offset last sent.
    var localLogStartOffset: Int64 = -1
    /// The last stable offset last sent.
    var lastStableOffset: Int64 = -1
    /// Position in the session's order; larger reads later.
    var order: UInt64

    /// Whether `result` must be in an incremental response (Kafka's `maybeUpdateResponseData`),
    /// remembering what is sent when `update` is set.
    mutating func mustRespond(_ result: FetchSessionResult, update: Bool) -> Bool {
        let data = result.data
        // Partitions with records to return are always included.
        var must = result.recordBytes > 0
        if highWatermark != data.highWatermark {
            must = true
            if update { highWatermark = data.highWatermark }
        }
        if localLogStartOffset != data.logStartOffset {
            must = true
            if update { localLogStartOffset = data.logStartOffset }
        }
        if lastStableOffset != data.lastStableOffset {
            must = true
            if update { lastStableOffset = data.lastStableOffset }
        }
        if data.preferredReadReplica != -1 { must = true }
        if data.errorCode != ErrorCode.none.rawValue {
            // -1 makes the partition differ again once the error clears, so it is resent then.
            if update {
                highWatermark = -1
                lastStableOffset = -1
            }
            must = true
        }
        if data.divergingEpoch.epoch >= 0 { must = true }
        if data.currentLeader.leaderId >= 0 { must = true }
        return must
    }

    /// The values a new session starts from: what the full response carried.
    mutating func remember(_ data: FetchResponse.PartitionData) {
        highWatermark = data.errorCode == ErrorCode.none.rawValue ? data.highWatermark : -1
        localLogStartOffset = data.logStartOffset
        lastStableOffset = data.errorCode == ErrorCode.none.rawValue ? data.lastStableOffset : -1
    }
}

/// One cached fetch session.
struct FetchSession: Sendable, Equatable {
    let id: Int32
    /// Created by a follower; followers may evict consumers' sessions. Gregor has no followers yet.
    let privileged: Bool
    /// Keyed by topic id (created by a v13+ request).
    let usesTopicIds: Bool
    let creationMs: Int64
    var lastUsedMs: Int64
    /// The epoch the next incremental request must carry.
    var epoch: Int32
    var partitions: [FetchSessionKey: FetchSessionCachedPartition] = [:]
    var nextOrder: UInt64 = 0

    // Eviction bookkeeping as of the last touch: Kafka decides evictability when it touches a
    // session, not when it evicts, so a session never touched after creation is only ever
    // evicted as stale.
    var cachedSize = 0
    var evictableByAll = false
    var evictableByPrivileged = false

    /// The partitions in reading order.
    var orderedPartitions: [FetchSessionCachedPartition] {
        partitions.values.sorted { $0.order < $1.order }
    }

    /// Appends a partition at the end of the order, or updates its fetch parameters in place
    /// (the name it already has is kept, as Kafka keeps it).
    mutating func upsert(_ request: FetchSessionPartition) {
        let key = request.key
        if var cached = partitions[key] {
            let name = cached.request.topicName
            cached.request = request
            cached.request.topicName = name ?? request.topicName
            partitions[key] = cached
        } else {
            partitions[key] = FetchSessionCachedPartition(request: request, order: nextOrder)
            nextOrder += 1
        }
    }

    /// Moves a partition to the end of the order (it returned records: the others go first next time).
    mutating func moveToEnd(_ key: FetchSessionKey) {
        guard partitions[key] != nil else { return }
        partitions[key]?.order = nextOrder
        nextOrder += 1
    }
}

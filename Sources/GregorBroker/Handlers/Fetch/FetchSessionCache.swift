import KafkaProtocol

/// The broker's incremental fetch sessions (KIP-227): a value the broker keeps in a `Mutex`.
///
/// Time comes in as `now` (milliseconds) and session ids from `RNG`, so tests are deterministic.
/// Call ``newContext(request:version:now:isFromFollower:topicName:)`` before reading the logs and
/// ``finish(_:results:now:)`` once after, under the same lock or two separate ones.
struct FetchSessionCache<RNG: RandomNumberGenerator> {
    /// `max.incremental.fetch.session.cache.slots`.
    let maxSlots: Int
    /// How long a session must be idle (or, to be evicted for a bigger one, alive) before a new
    /// session may evict it; Kafka hardcodes 120 000 ms.
    let evictionMs: Int64
    /// The live sessions by id (change them through the methods).
    var sessions: [Int32: FetchSession] = [:]
    /// Sessions evicted to make room, for a metric (Kafka's IncrementalFetchSessionEvictionsPerSec).
    var evictions = 0
    /// Draws session ids.
    var random: RNG

    static var defaultMaxSlots: Int { 1000 }
    static var defaultEvictionMs: Int64 { 120_000 }

    init(maxSlots: Int = defaultMaxSlots, evictionMs: Int64 = defaultEvictionMs, random: RNG) {
        self.maxSlots = maxSlots
        self.evictionMs = evictionMs
        self.random = random
    }

    /// The number of partitions cached across sessions (Kafka's NumIncrementalFetchPartitionsCached).
    var totalPartitions: Int { sessions.values.reduce(0) { $0 + $1.partitions.count } }

    /// Decides how to serve `request`, applying an incremental request's changes to its session.
    /// `topicName` names a topic id (used from v13 only).
    mutating func newContext(
        request: FetchRequest, version: Int16, now: Int64, isFromFollower: Bool = false,
        topicName: (KafkaUUID) -> String?
    ) -> FetchSessionContext {
        let usesIds = version >= 13
        // Before v7 the fields do not exist: every request is sessionless.
        let sessionId = version >= 7 ? request.sessionId : FetchSessionEpoch.invalidSessionId
        let epoch = version >= 7 ? request.sessionEpoch : FetchSessionEpoch.final
        let (fetch, forget) = FetchSessionContext.requestPartitions(request, version: version, topicName: topicName)

        if epoch == FetchSessionEpoch.initial || epoch == FetchSessionEpoch.final {
            // Any session a full request names is closed, whatever happens next.
            if sessionId != FetchSessionEpoch.invalidSessionId { sessions[sessionId] = nil }
            return FetchSessionContext(
                kind: epoch == FetchSessionEpoch.final ? .sessionless : .full,
                usesTopicIds: usesIds, isFromFollower: isFromFollower, partitions: fetch)
        }
        guard var session = sessions[sessionId] else {
            return FetchSessionContext(kind: .error(.fetchSessionIdNotFound), usesTopicIds: usesIds, partitions: [])
        }
        guard session.epoch == epoch else {
            return FetchSessionContext(kind: .error(.invalidFetchSessionEpoch), usesTopicIds: usesIds, partitions: [])
        }
        guard session.usesTopicIds == usesIds else {
            return FetchSessionContext(kind: .error(.fetchSessionTopicIdError), usesTopicIds: usesIds, partitions: [])
        }
        for partition in fetch { session.upsert(partition) }
        for key in forget { session.partitions[key] = nil }
        if session.partitions.isEmpty {
            // Kafka closes an emptied session and answers the request (whatever it still lists) without one.
            sessions[sessionId] = nil
            return FetchSessionContext(kind: .sessionless, usesTopicIds: usesIds, isFromFollower: isFromFollower, partitions: fetch)
        }
        touch(&session, now: now)
        session.epoch = FetchSessionEpoch.next(session.epoch)
        // Ids that had no name when they joined the session are named once the broker knows them.
        if usesIds {
            for (key, cached) in session.partitions where cached.request.topicName == nil {
                session.partitions[key]?.request.topicName = topicName(cached.request.topicId)
            }
        }
        sessions[sessionId] = session
        return FetchSessionContext(
            kind: .incremental(sessionId: sessionId, requestEpoch: epoch), usesTopicIds: usesIds,
            isFromFollower: isFromFollower, partitions: session.orderedPartitions.map(\.request))
    }

    /// Builds the response from what the handler read, in the order of `results` (Kafka answers
    /// the partitions it read, then those refused before reading), and updates the session.
    mutating func finish(_ context: FetchSessionContext, results: [FetchSessionResult], now: Int64) -> FetchSessionResponse {
        switch context.kind {
        case .error(let code):
            return FetchSessionResponse(errorCode: code, sessionId: FetchSessionEpoch.invalidSessionId, results: [])
        case .sessionless:
            return FetchSessionResponse(sessionId: FetchSessionEpoch.invalidSessionId, results: results)
        case .full:
            let id = maybeCreateSession(context, results: results, now: now)
            return FetchSessionResponse(sessionId: id, results: results)
        case .incremental(let id, let requestEpoch):
            guard var session = sessions[id] else {
                // Evicted or closed since newContext: Kafka answers from the orphaned session, whose
                // next request will get FETCH_SESSION_ID_NOT_FOUND; sending everything is as safe.
                return FetchSessionResponse(sessionId: id, results: results)
            }
            guard session.epoch == FetchSessionEpoch.next(requestEpoch) else {
                // Another request moved the session on in between: a duplicate.
                return FetchSessionResponse(errorCode: .invalidFetchSessionEpoch, sessionId: id, results: [])
            }
            var changed: [FetchSessionResult] = []
            for result in results {
                let key = result.partition.key
                guard var cached = session.partitions[key] else {
                    changed.append(result)
                    continue
                }
                guard cached.mustRespond(result, update: true) else {
                    session.partitions[key] = cached
                    continue
                }
                session.partitions[key] = cached
                if result.recordBytes > 0 { session.moveToEnd(key) }
                changed.append(result)
            }
            sessions[id] = session
            return FetchSessionResponse(sessionId: id, results: changed)
        }
    }

    /// The response when a quota throttles the request: no partitions, and no session created.
    func throttledResponse(_ context: FetchSessionContext) -> FetchSessionResponse {
        guard case .incremental(let id, let requestEpoch) = context.kind else {
            return FetchSessionResponse(sessionId: FetchSessionEpoch.invalidSessionId, results: [])
        }
        if let session = sessions[id], session.epoch != FetchSessionEpoch.next(requestEpoch) {
            return FetchSessionResponse(errorCode: .invalidFetchSessionEpoch, sessionId: id, results: [])
        }
        return FetchSessionResponse(sessionId: id, results: [])
    }

    /// Closes a session; returns whether it existed.
    @discardableResult
    mutating func remove(_ id: Int32) -> Bool {
        sessions.removeValue(forKey: id) != nil
    }
}

extension FetchSessionCache: Sendable where RNG: Sendable {}

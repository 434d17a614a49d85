import KafkaProtocol

extension FetchSessionCache where RNG == SystemRandomNumberGenerator {
    /// A cache drawing session ids from the system generator.
    init(maxSlots: Int = Self.defaultMaxSlots, evictionMs: Int64 = Self.defaultEvictionMs) {
        self.init(maxSlots: maxSlots, evictionMs: evictionMs, random: SystemRandomNumberGenerator())
    }
}

extension FetchSessionCache {
    /// Caches a session for a full fetch if there is a free slot or one can be evicted; returns
    /// its id, or 0. The session holds the partitions answered, in answer order, at epoch 1.
    mutating func maybeCreateSession(_ context: FetchSessionContext, results: [FetchSessionResult], now: Int64) -> Int32 {
        let privileged = context.isFromFollower
        guard sessions.count < maxSlots || tryEvict(privileged: privileged, size: results.count, now: now) else {
            return FetchSessionEpoch.invalidSessionId
        }
        var session = FetchSession(
            id: newSessionId(), privileged: privileged, usesTopicIds: context.usesTopicIds,
            creationMs: now, lastUsedMs: now, epoch: FetchSessionEpoch.next(FetchSessionEpoch.initial))
        for result in results {
            session.upsert(result.partition)
            session.partitions[result.partition.key]?.remember(result.data)
        }
        touch(&session, now: now)
        sessions[session.id] = session
        return session.id
    }

    /// A random id in 1..<Int32.max that no live session has (0 means "no session").
    mutating func newSessionId() -> Int32 {
        while true {
            let id = Int32.random(in: 1...(Int32.max - 1), using: &random)
            if sessions[id] == nil { return id }
        }
    }

    /// Records a use of `session` at `now`, and re-decides whether it may be evicted for a bigger
    /// session: only once it is older than the eviction age (followers' sessions are evictable by
    /// other followers at any age, and by consumers only once old).
    func touch(_ session: inout FetchSession, now: Int64) {
        session.lastUsedMs = now
        session.cachedSize = session.partitions.count
        let old = now - session.creationMs > evictionMs
        session.evictableByPrivileged = !session.privileged || old
        session.evictableByAll = old
    }

    /// Frees a slot for a new session of `size` partitions, as Kafka's tryEvict:
    /// 1. the least recently used session, if idle longer than the eviction age; else
    /// 2. the least valuable evictable session, ordered by (privileged, size, id), if the new
    ///    session is worth at least as much; with id 0 for the new one, a tie on size never evicts.
    mutating func tryEvict(privileged: Bool, size: Int, now: Int64) -> Bool {
        guard let stalest = sessions.values.min(by: { ($0.lastUsedMs, $0.id) < ($1.lastUsedMs, $1.id) }) else {
            return false
        }
        if now - stalest.lastUsedMs > evictionMs {
            sessions[stalest.id] = nil
            evictions += 1
            return true
        }
        let evictable = sessions.values.filter { privileged ? $0.evictableByPrivileged : $0.evictableByAll }
        func rank(_ s: FetchSession) -> (Int, Int, Int32) { (s.privileged ? 1 : 0, s.cachedSize, s.id) }
        guard let weakest = evictable.min(by: { rank($0) < rank($1) }) else { return false }
        if (privileged ? 1 : 0, size, Int32(0)) < rank(weakest) { return false }
        sessions[weakest.id] = nil
        evictions += 1
        return true
    }
}

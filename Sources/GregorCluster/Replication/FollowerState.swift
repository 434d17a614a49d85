/// What a partition leader knows of one follower replica from its fetches (Kafka's ReplicaState).
public struct FollowerState: Hashable, Sendable {
    /// The follower's log end offset, from the offset of its latest fetch; -1 until it fetches.
    public var logEndOffset: Int64
    /// The latest time the follower was known to have everything the leader had: the ISR lag is
    /// measured from here (`replica.lag.time.max.ms`).
    public var lastCaughtUpTimeMs: Int64
    public var lastFetchTimeMs: Int64
    /// The leader's log end offset when the follower's latest fetch arrived.
    public var lastFetchLeaderLogEndOffset: Int64

    public init(logEndOffset: Int64 = -1, lastCaughtUpTimeMs: Int64 = 0, lastFetchTimeMs: Int64 = 0, lastFetchLeaderLogEndOffset: Int64 = -1) {
        self.logEndOffset = logEndOffset
        self.lastCaughtUpTimeMs = lastCaughtUpTimeMs
        self.lastFetchTimeMs = lastFetchTimeMs
        self.lastFetchLeaderLogEndOffset = lastFetchLeaderLogEndOffset
    }

    /// A fetch from `fetchOffset` arrived at `now` (Kafka's Replica.updateFetchStateOrThrow).
    ///
    /// Reaching the leader's current end makes the follower caught up now; reaching only the end the
    /// leader had at the previous fetch makes it caught up as of that fetch. So a follower that is
    /// always one small produce behind, as under a steady stream of tiny batches, still counts as
    /// in sync, while one that never closes the gap does not.
    public mutating func recordFetch(fetchOffset: Int64, at now: Int64, leaderLogEndOffset: Int64) {
        if fetchOffset >= leaderLogEndOffset {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, now)
        } else if fetchOffset >= lastFetchLeaderLogEndOffset {
            lastCaughtUpTimeMs = max(lastCaughtUpTimeMs, lastFetchTimeMs)
        }
        logEndOffset = fetchOffset
        lastFetchLeaderLogEndOffset = max(leaderLogEndOffset, lastFetchLeaderLogEndOffset)
        lastFetchTimeMs = now
    }

    /// The state a leader starts from when it takes leadership (Kafka's Replica.resetReplicaState):
    /// an ISR member counts as caught up now, any other replica as never, so a follower outside the
    /// ISR does not hold the high watermark back.
    public static func atLeadership(inIsr: Bool, now: Int64) -> FollowerState {
        FollowerState(lastCaughtUpTimeMs: inIsr ? now : 0)
    }

    /// The same leader re-elected (a new leader epoch on the same broker): the known log end offset
    /// is kept, and the lag clock restarts as for a new leader.
    public mutating func resetForReelection(inIsr: Bool, now: Int64, leaderLogEndOffset: Int64) {
        lastFetchLeaderLogEndOffset = leaderLogEndOffset
        lastFetchTimeMs = inIsr ? now : 0
        lastCaughtUpTimeMs = inIsr ? now : 0
    }
}

/// One partition as its leader sees it: the inputs of the ISR and high-watermark decisions.
public struct LeaderView: Hashable, Sendable {
    public var leader: Int32
    public var replicas: [Int32]
    /// The ISR as last committed by the controller.
    public var isr: [Int32]
    /// The committed ISR plus a member whose addition is awaiting the controller (KIP-497's
    /// "maximal ISR"): the high watermark already waits for it.
    public var maximalIsr: [Int32]
    /// By replica id; a replica without an entry has not fetched since this leadership began.
    public var followers: [Int32: FollowerState]
    public var logEndOffset: Int64
    public var highWatermark: Int64
    /// The leader's log end offset when its current leader epoch began; nil until known.
    public var leaderEpochStartOffset: Int64?

    public init(leader: Int32, replicas: [Int32], isr: [Int32], maximalIsr: [Int32]? = nil, followers: [Int32: FollowerState],
                logEndOffset: Int64, highWatermark: Int64, leaderEpochStartOffset: Int64?) {
        self.leader = leader
        self.replicas = replicas
        self.isr = isr
        self.maximalIsr = maximalIsr ?? isr
        self.followers = followers
        self.logEndOffset = logEndOffset
        self.highWatermark = highWatermark
        self.leaderEpochStartOffset = leaderEpochStartOffset
    }

    func follower(_ id: Int32) -> FollowerState { followers[id] ?? FollowerState() }
}

/// The partition leader's ISR and high-watermark rules (Kafka's Partition: maybeShrinkIsr,
/// maybeExpandIsr, maybeIncrementLeaderHW). The proposed ISRs go to the controller as
/// AlterPartition; as in Kafka, propose nothing while an earlier proposal is unanswered.
public struct IsrPolicy: Hashable, Sendable {
    /// `replica.lag.time.max.ms`.
    public var replicaLagTimeMaxMs: Int64

    public init(replicaLagTimeMaxMs: Int64 = 30_000) {
        self.replicaLagTimeMaxMs = replicaLagTimeMaxMs
    }

    /// Whether a follower has everything the leader has, or had it within the lag limit
    /// (Kafka's ReplicaState.isCaughtUp).
    public func isCaughtUp(_ follower: FollowerState, leaderLogEndOffset: Int64, now: Int64) -> Bool {
        follower.logEndOffset == leaderLogEndOffset || now - follower.lastCaughtUpTimeMs <= replicaLagTimeMaxMs
    }

    /// The ISR without the followers that have not been caught up for longer than the lag limit,
    /// or nil when all are (Partition.maybeShrinkIsr / getOutOfSyncReplicas). The leader stays.
    public func shrunkIsr(_ view: LeaderView, now: Int64) -> [Int32]? {
        let outOfSync = view.isr.filter { id in
            id != view.leader && !isCaughtUp(view.follower(id), leaderLogEndOffset: view.logEndOffset, now: now)
        }
        return outOfSync.isEmpty ? nil : view.isr.filter { !outOfSync.contains($0) }
    }

    /// The ISR with `follower` added, or nil while it may not join (Partition.maybeExpandIsr).
    ///
    /// It must be a replica outside the ISR, eligible (`isEligible`: registered and not shutting
    /// down, KIP-841), and have reached both the high watermark and the offset where the current
    /// leader epoch began: a follower that joins below that offset could be elected leader without
    /// records the previous epoch committed above the high watermark. The lag limit is not
    /// consulted, to agree with the followers' own idea of being in sync.
    public func expandedIsr(_ view: LeaderView, adding follower: Int32, isEligible: (Int32) -> Bool) -> [Int32]? {
        guard view.replicas.contains(follower), !view.isr.contains(follower), isEligible(follower),
              let epochStart = view.leaderEpochStartOffset
        else { return nil }
        let end = view.follower(follower).logEndOffset
        guard end >= view.highWatermark, end >= epochStart else { return nil }
        return view.isr + [follower]
    }

    /// The high watermark after the replicas' progress (Partition.maybeIncrementLeaderHW): the
    /// lowest log end offset among the maximal ISR, leader included, and among the followers that
    /// are caught up and eligible but not yet in it, so a follower about to join is not left
    /// chasing a watermark set without it. It never moves back, and does not move at all while the
    /// committed ISR is smaller than `min.insync.replicas` (capped at the replica count;
    /// KAFKA-15583, Kafka 3.7+).
    public func highWatermark(_ view: LeaderView, now: Int64, minInsyncReplicas: Int, isEligible: (Int32) -> Bool) -> Int64 {
        if view.isr.count < min(minInsyncReplicas, view.replicas.count) { return view.highWatermark }
        var candidate = view.logEndOffset
        for id in view.replicas where id != view.leader {
            let follower = view.follower(id)
            guard follower.logEndOffset < candidate else { continue }
            let waitFor = view.maximalIsr.contains(id)
                || (isCaughtUp(follower, leaderLogEndOffset: view.logEndOffset, now: now) && isEligible(id))
            if waitFor { candidate = follower.logEndOffset }
        }
        return max(candidate, view.highWatermark)
    }
}

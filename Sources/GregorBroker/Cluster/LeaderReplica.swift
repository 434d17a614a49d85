import GregorCluster

/// One partition this broker leads: its followers' progress and the ISR as etcd has it, with
/// the decisions of Kafka's `Partition` taken by `IsrPolicy`. `ReplicaManager` applies what it returns.
struct LeaderReplica: Sendable, Equatable {
    let leaderId: Int32
    var leaderEpoch: Int32
    var partitionEpoch: Int32
    var replicas: [Int32]
    /// The ISR as etcd has it.
    var isr: [Int32]
    /// An ISR change written to etcd and not yet seen back. Until it is, the high watermark
    /// counts both sets (Kafka's maximal ISR, KIP-497) and no further change is proposed.
    var pendingIsr: [Int32]?
    /// The offset where this leader's epoch began: a follower joins the ISR only once its log
    /// reaches it (Partition.isFollowerInSync).
    var epochStartOffset: Int64
    var followers: [Int32: FollowerState]

    init(leaderId: Int32, state: PartitionState, epochStartOffset: Int64, now: Int64) {
        self.leaderId = leaderId
        self.leaderEpoch = state.leaderEpoch
        self.partitionEpoch = state.partitionEpoch
        self.replicas = state.replicas
        self.isr = state.isr
        self.epochStartOffset = epochStartOffset
        self.followers = [:]
        for r in state.replicas where r != leaderId {
            followers[r] = .atLeadership(inIsr: state.isr.contains(r), now: now)
        }
    }

    /// A new partition state from etcd while still leading at the same epoch (an ISR change
    /// or a reassignment): the pending change is settled.
    mutating func update(_ state: PartitionState) {
        partitionEpoch = state.partitionEpoch
        isr = state.isr
        pendingIsr = nil
        replicas = state.replicas
        for r in state.replicas where r != leaderId && followers[r] == nil { followers[r] = .atLeadership(inIsr: false, now: 0) }
        for r in followers.keys where !state.replicas.contains(r) { followers[r] = nil }
    }

    var maximalIsr: [Int32] { isr + (pendingIsr ?? []).filter { !isr.contains($0) } }

    func view(logEnd: Int64, highWatermark: Int64) -> LeaderView {
        LeaderView(leader: leaderId, replicas: replicas, isr: isr, maximalIsr: maximalIsr, followers: followers,
                   logEndOffset: logEnd, highWatermark: highWatermark, leaderEpochStartOffset: epochStartOffset)
    }

    mutating func followerFetched(_ id: Int32, fetchOffset: Int64, leaderLogEnd: Int64, now: Int64) {
        followers[id]?.recordFetch(fetchOffset: fetchOffset, at: now, leaderLogEndOffset: leaderLogEnd)
    }
}

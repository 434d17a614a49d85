import GregorCluster
import GregorStorage
import KafkaProtocol
import Synchronization

/// This broker's part in each replicated partition: leader (tracking its followers, moving the
/// high watermark, asking for ISR changes) or follower (fetched by `ReplicaFetcher`), as
/// Kafka's ReplicaManager and Partition keep it.
final class ReplicaManager: Sendable {
    enum Role: Sendable, Equatable {
        case leader(LeaderReplica)
        case follower(leaderId: Int32, leaderEpoch: Int32)
    }

    /// How a request to a partition is answered, given the leader epoch the client knows (KIP-320).
    enum LeaderCheck: Equatable {
        case leader(LeaderReplica)
        /// NOT_LEADER_OR_FOLLOWER, with the leader to try next (KIP-951), -1 when none.
        case notLeader(leaderId: Int32, leaderEpoch: Int32)
        case fencedLeaderEpoch
        case unknownLeaderEpoch
    }

    /// An ISR change for etcd, made only if the partition is still at `expectedPartitionEpoch`.
    struct IsrChange: Sendable, Equatable {
        var partition: TopicPartition
        var state: PartitionState
        var expectedPartitionEpoch: Int32
    }

    let nodeId: Int32
    let policy: IsrPolicy
    /// The brokers eligible to join an ISR (KIP-841): registered and not shutting down.
    private let eligible = Mutex<Set<Int32>>([])
    private let roles = Mutex<[TopicPartition: Role]>([:])
    /// The latest partition state from etcd, for the leader hint of NOT_LEADER_OR_FOLLOWER.
    private let states = Mutex<[TopicPartition: PartitionState]>([:])

    init(nodeId: Int32, lagMaxMs: Int64) {
        self.nodeId = nodeId
        self.policy = IsrPolicy(replicaLagTimeMaxMs: lagMaxMs)
    }

    /// The live brokers not shutting down, from the cluster's image.
    func setEligible(_ ids: Set<Int32>) { eligible.withLock { $0 = ids } }

    private func isEligible(_ id: Int32) -> Bool { eligible.withLock { $0.contains(id) } }

    func role(_ tp: TopicPartition) -> Role? { roles.withLock { $0[tp] } }

    /// The partitions this broker follows, by leader, with the epoch each is followed at.
    var followed: [Int32: [TopicPartition: Int32]] {
        roles.withLock { roles in
            var out: [Int32: [TopicPartition: Int32]] = [:]
            for (tp, role) in roles {
                if case .follower(let leader, let epoch) = role, leader >= 0 { out[leader, default: [:]][tp] = epoch }
            }
            return out
        }
    }

    /// Partition.getLocalLog / checkCurrentLeaderEpoch: -1 asks for no epoch check.
    func leaderCheck(_ tp: TopicPartition, currentLeaderEpoch: Int32 = -1) -> LeaderCheck {
        let role = roles.withLock { $0[tp] }
        let state = states.withLock { $0[tp] }
        guard case .leader(let leader) = role else {
            return .notLeader(leaderId: state?.leader ?? -1, leaderEpoch: state?.leaderEpoch ?? -1)
        }
        if currentLeaderEpoch != -1 {
            if currentLeaderEpoch < leader.leaderEpoch { return .fencedLeaderEpoch }
            if currentLeaderEpoch > leader.leaderEpoch { return .unknownLeaderEpoch }
        }
        return .leader(leader)
    }

    /// Applies a partition state from etcd. Returns what changed for this broker, so the caller
    /// can start or stop fetching, truncate, and load or unload coordinator shards.
    func apply(_ tp: TopicPartition, _ state: PartitionState?, log: () -> PartitionLog?, now: Int64) -> Transition {
        states.withLock { $0[tp] = state }
        return roles.withLock { roles -> Transition in
            let before = roles[tp]
            guard let state, state.replicas.contains(nodeId) else {
                roles[tp] = nil
                return before == nil ? .none : .stopped
            }
            if state.leader == nodeId {
                if case .leader(var current) = before, current.leaderEpoch == state.leaderEpoch {
                    current.update(state)
                    roles[tp] = .leader(current)
                    return .none
                }
                // Partition.makeLeader: the new epoch starts at the log end (KIP-101).
                guard let log = log() else { return .none }
                let start = log.logEndOffset
                do { try log.assignEpochStartOffset(leaderEpoch: state.leaderEpoch, startOffset: start) } catch { return .none }
                roles[tp] = .leader(LeaderReplica(leaderId: nodeId, state: state, epochStartOffset: start, now: now))
                return .becameLeader
            }
            let role = Role.follower(leaderId: state.leader, leaderEpoch: state.leaderEpoch)
            roles[tp] = role
            if case .follower(let l, let e) = before, l == state.leader, e == state.leaderEpoch { return .none }
            return .becameFollower
        }
    }

    enum Transition: Equatable { case none, becameLeader, becameFollower, stopped }

    /// A follower fetched `fetchOffset` (everything before it is in its log). Moves the high
    /// watermark and returns an ISR expansion when the follower has caught up.
    func followerFetched(_ tp: TopicPartition, replicaId: Int32, fetchOffset: Int64, log: PartitionLog, minInsyncReplicas: Int32, now: Int64)
        -> IsrChange?
    {
        let (hw, change) = roles.withLock { roles -> (Int64?, IsrChange?) in
            guard case .leader(var leader) = roles[tp] else { return (nil, nil) }
            let logEnd = log.logEndOffset
            leader.followerFetched(replicaId, fetchOffset: fetchOffset, leaderLogEnd: logEnd, now: now)
            let view = leader.view(logEnd: logEnd, highWatermark: log.highWatermark)
            let hw = policy.highWatermark(view, now: now, minInsyncReplicas: Int(minInsyncReplicas), isEligible: isEligible)
            var change: IsrChange?
            if leader.pendingIsr == nil,
               let expanded = policy.expandedIsr(leader.view(logEnd: logEnd, highWatermark: hw), adding: replicaId, isEligible: isEligible) {
                leader.pendingIsr = expanded
                change = isrChange(tp, leader, expanded)
            }
            roles[tp] = .leader(leader)
            return (hw, change)
        }
        if let hw { advance(log, to: hw) }
        return change
    }

    /// After an append as leader (alone in the ISR, the leader moves the high watermark itself).
    func leaderAppended(_ tp: TopicPartition, log: PartitionLog, minInsyncReplicas: Int32, now: Int64) {
        let hw = roles.withLock { roles -> Int64? in
            guard case .leader(let leader) = roles[tp] else { return nil }
            let view = leader.view(logEnd: log.logEndOffset, highWatermark: log.highWatermark)
            return policy.highWatermark(view, now: now, minInsyncReplicas: Int(minInsyncReplicas), isEligible: isEligible)
        }
        if let hw { advance(log, to: hw) }
    }

    /// Partition.maybeShrinkIsr for every led partition; run every `replica.lag.time.max.ms / 2`.
    func isrShrinks(now: Int64, logEnd: (TopicPartition) -> Int64?) -> [IsrChange] {
        roles.withLock { roles in
            var changes: [IsrChange] = []
            for (tp, role) in roles {
                guard case .leader(var leader) = role, leader.pendingIsr == nil, let end = logEnd(tp),
                      let shrunk = policy.shrunkIsr(leader.view(logEnd: end, highWatermark: 0), now: now)
                else { continue }
                leader.pendingIsr = shrunk
                roles[tp] = .leader(leader)
                changes.append(isrChange(tp, leader, shrunk))
            }
            return changes
        }
    }

    /// An ISR change etcd refused (the partition moved on): the next state from the watch settles it.
    func isrChangeFailed(_ tp: TopicPartition) {
        roles.withLock { roles in
            if case .leader(var leader) = roles[tp] {
                leader.pendingIsr = nil
                roles[tp] = .leader(leader)
            }
        }
    }

    private func isrChange(_ tp: TopicPartition, _ leader: LeaderReplica, _ isr: [Int32]) -> IsrChange {
        var state = PartitionState(replicas: leader.replicas, isr: isr, leader: nodeId, leaderEpoch: leader.leaderEpoch,
                                   partitionEpoch: leader.partitionEpoch + 1)
        if let current = states.withLock({ $0[tp] }) {
            state.addingReplicas = current.addingReplicas
            state.removingReplicas = current.removingReplicas
        }
        return IsrChange(partition: tp, state: state, expectedPartitionEpoch: leader.partitionEpoch)
    }

    private func advance(_ log: PartitionLog, to hw: Int64) {
        if (try? log.maybeIncrementHighWatermark(min(hw, log.logEndOffset))) ?? nil != nil { FetchWaiters.shared.notify(log.topicPartition) }
    }
}

extension ReplicaManager {
    /// How many partitions this broker leads (controlled shutdown waits for none).
    var ledPartitionCount: Int {
        roles.withLock { $0.values.filter { if case .leader = $0 { return true } else { return false } }.count }
    }
}

extension ReplicaManager {
    /// Recomputes the high watermark of every led partition (a leader alone in the ISR moves it
    /// on its own appends, which the coordinators make without Produce).
    func advanceLedHighWatermarks(now: Int64, _ log: (TopicPartition) -> (PartitionLog, minInsync: Int32)?) {
        let led = roles.withLock { $0.compactMap { tp, role -> TopicPartition? in if case .leader = role { return tp } else { return nil } } }
        for tp in led {
            if let (l, minInsync) = log(tp) { leaderAppended(tp, log: l, minInsyncReplicas: minInsync, now: now) }
        }
    }
}

extension ReplicaManager {
    /// A consumer reading this follower (KIP-392: Fetch v11+ may go to any replica): the epoch
    /// it knows must be this follower's, as Partition.getLocalLog checks it without
    /// fetchOnlyFromLeader. Nil when the read may go ahead.
    func followerReadCheck(_ tp: TopicPartition, currentLeaderEpoch: Int32) -> ErrorCode? {
        guard case .follower(_, let epoch) = role(tp) else { return .notLeaderOrFollower }
        if currentLeaderEpoch != -1 && currentLeaderEpoch < epoch { return .fencedLeaderEpoch }
        if currentLeaderEpoch != -1 && currentLeaderEpoch > epoch { return .unknownLeaderEpoch }
        return nil
    }

    /// RackAwareReplicaSelector.select on a partition this broker leads: the leader when it is
    /// in the consumer's rack (or no replica is), else the in-sync follower of that rack that has
    /// the fetch offset, the furthest along first. Nil means the leader.
    func preferredReadReplica(_ tp: TopicPartition, rack: String, fetchOffset: Int64, racks: [Int32: String]) -> Int32? {
        guard case .leader(let leader) = role(tp), racks[nodeId] != rack else { return nil }
        let candidates = leader.isr.filter { id in
            id != nodeId && racks[id] == rack && (leader.followers[id]?.logEndOffset ?? -1) >= fetchOffset
        }
        return candidates.max { (leader.followers[$0]?.logEndOffset ?? -1) < (leader.followers[$1]?.logEndOffset ?? -1) }
    }
}

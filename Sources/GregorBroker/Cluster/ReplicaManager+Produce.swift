import GregorStorage
import KafkaProtocol

extension ReplicaManager {
    /// Partition.appendRecordsToLeader: with acks=all, a leader whose ISR is smaller than
    /// `min.insync.replicas` refuses the write before appending it (NOT_ENOUGH_REPLICAS).
    func refusesAcksAll(_ tp: TopicPartition, minInsyncReplicas: Int32) -> ErrorCode? {
        guard case .leader(let leader) = leaderCheck(tp) else { return .notLeaderOrFollower }
        return leader.isr.count < Int(minInsyncReplicas) ? .notEnoughReplicas : nil
    }

    /// DelayedProduce for acks=all: waits until the high watermark passes `requiredOffset`
    /// (every ISR member has the batch), then Partition.checkEnoughReplicasReachOffset: an ISR
    /// that shrank below `min.insync.replicas` meanwhile is NOT_ENOUGH_REPLICAS_AFTER_APPEND (the
    /// batch is in the log and may be consumed; the producer retries it, idempotence dedups).
    /// Leadership lost is NOT_LEADER_OR_FOLLOWER; the deadline REQUEST_TIMED_OUT.
    func awaitReplication(_ tp: TopicPartition, log: PartitionLog, requiredOffset: Int64, minInsyncReplicas: Int32,
                          deadline: ContinuousClock.Instant) async -> ErrorCode
    {
        while true {
            let generation = FetchWaiters.shared.generation
            guard case .leader(let leader) = leaderCheck(tp) else { return .notLeaderOrFollower }
            if log.highWatermark >= requiredOffset {
                return leader.maximalIsr.count < Int(minInsyncReplicas) ? .notEnoughReplicasAfterAppend : .none
            }
            if ContinuousClock.now >= deadline { return .requestTimedOut }
            await FetchWaiters.shared.wait(since: generation, until: deadline, watching: [tp])
        }
    }
}

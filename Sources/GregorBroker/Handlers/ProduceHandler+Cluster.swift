// Produce to a replicated partition (Kafka's ReplicaManager.appendRecords and DelayedProduce).
// Only the leader takes writes: elsewhere NOT_LEADER_OR_FOLLOWER, and from v10 the leader to try
// next with its endpoint (KIP-951), so a client need not refresh its metadata first. acks=all
// waits until every ISR member has the batch (the high watermark passes it) and needs
// `min.insync.replicas` in the ISR, before (NOT_ENOUGH_REPLICAS) and after the append
// (NOT_ENOUGH_REPLICAS_AFTER_APPEND).
import GregorStorage
import KafkaProtocol

extension ProduceHandler {
    /// An acks=all append waiting for the ISR: where its answer is in the response.
    struct PendingAck {
        var topicIndex: Int
        var partitionIndex: Int
        var partition: TopicPartition
        var log: PartitionLog
        var requiredOffset: Int64
    }

    /// The error a replicated partition answers before any append, nil when this broker leads it
    /// and may take the write. Fills in the KIP-951 leader hint.
    static func refusedByReplication(
        _ tp: TopicPartition, acks: Int16, _ context: RequestContext, _ p: inout ProduceResponse.PartitionProduceResponse,
        _ endpoints: inout [Int32: ProduceResponse.NodeEndpoint]
    ) -> ErrorCode? {
        guard let cluster = context.broker.cluster else { return nil }
        switch cluster.replicas.leaderCheck(tp) {
        case .leader:
            guard acks == -1 else { return nil }
            return cluster.replicas.refusesAcksAll(tp, minInsyncReplicas: context.broker.minInsyncReplicas(tp.topic))
        case .notLeader(let leader, let epoch):
            if context.apiVersion >= 10, leader >= 0, let e = cluster.endpoint(of: leader, listener: context.listenerName) {
                p.currentLeader = .init(leaderId: leader, leaderEpoch: epoch)
                endpoints[leader] = .init(nodeId: leader, host: e.host, port: e.port, rack: cluster.brokers[leader]?.rack)
            }
            return .notLeaderOrFollower
        case .fencedLeaderEpoch, .unknownLeaderEpoch:
            return .notLeaderOrFollower
        }
    }

    /// Waits for every acks=all append, each until the request's timeout, and records the outcome.
    static func awaitAcks(_ pending: [PendingAck], timeoutMs: Int32, _ context: RequestContext, _ response: inout ProduceResponse) async {
        guard let cluster = context.broker.cluster, !pending.isEmpty else { return }
        let deadline = ContinuousClock.now + .milliseconds(Int(max(0, timeoutMs)))
        for ack in pending {
            let code = await cluster.replicas.awaitReplication(
                ack.partition, log: ack.log, requiredOffset: ack.requiredOffset,
                minInsyncReplicas: context.broker.minInsyncReplicas(ack.partition.topic), deadline: deadline)
            if code != .none {
                response.responses[ack.topicIndex].partitionResponses[ack.partitionIndex].errorCode = code.rawValue
            }
        }
    }
}

extension Broker {
    /// The epoch this broker leads the partition at (0 alone), stamped into the batches it appends.
    func leaderEpoch(_ tp: TopicPartition) -> Int32 {
        guard let cluster, case .leader(let leader) = cluster.replicas.leaderCheck(tp) else { return 0 }
        return leader.leaderEpoch
    }

    /// The topic's `min.insync.replicas`, else the broker's.
    func minInsyncReplicas(_ topic: String) -> Int32 {
        metadata.topic(topic)?.configs["min.insync.replicas"].flatMap { Int32($0) } ?? config.minInsyncReplicas
    }
}

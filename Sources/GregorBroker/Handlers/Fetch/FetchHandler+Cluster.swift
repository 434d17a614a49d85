// Fetch from a replicated partition: the leader answers, at the leader epoch the fetcher knows
// (KIP-320): a stale epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH, and
// elsewhere NOT_LEADER_OR_FOLLOWER with the leader to try next from v12 (KIP-951) and its
// endpoint from v16. From v11 a consumer may read a follower, and with Kafka's
// RackAwareReplicaSelector (`replica.selector.class`) the leader names a replica in the
// consumer's rack as its preferred read replica (KIP-392).
import GregorStorage
import KafkaProtocol

extension FetchHandler {
    /// Whether this broker leads the partition at the epoch asked; if not, the error is set.
    /// A consumer's Fetch from v11 carries client metadata and may read a follower (KIP-392,
    /// ReplicaManager's fetchOnlyFromLeader), up to the follower's high watermark.
    static func leads(_ partition: FetchSessionPartition, _ name: String, version: Int16, fromConsumer: Bool, _ result: inout FetchSessionResult,
                      _ broker: Broker) -> Bool {
        guard let cluster = broker.cluster else { return true }
        let tp = TopicPartition(name, partition.partition)
        switch cluster.replicas.leaderCheck(tp, currentLeaderEpoch: partition.currentLeaderEpoch) {
        case .leader:
            return true
        case .notLeader where fromConsumer && version >= 11 && cluster.replicas.role(tp) != nil:
            guard let refused = cluster.replicas.followerReadCheck(tp, currentLeaderEpoch: partition.currentLeaderEpoch) else { return true }
            result.data.errorCode = refused.rawValue
        case .notLeader(let leader, let epoch):
            result.data.errorCode = ErrorCode.notLeaderOrFollower.rawValue
            // ReplicaManager.getCurrentLeader: only a live leader is named.
            if version >= 12, leader >= 0, cluster.brokers[leader] != nil { result.data.currentLeader = .init(leaderId: leader, leaderEpoch: epoch) }
        case .fencedLeaderEpoch:
            result.data.errorCode = ErrorCode.fencedLeaderEpoch.rawValue
        case .unknownLeaderEpoch:
            result.data.errorCode = ErrorCode.unknownLeaderEpoch.rawValue
        }
        return false
    }

    /// The endpoints of the leaders named in NOT_LEADER_OR_FOLLOWER answers (v16+).
    static func leaderEndpoints(_ response: FetchResponse, _ context: RequestContext) -> [FetchResponse.NodeEndpoint] {
        guard let cluster = context.broker.cluster else { return [] }
        var ids = Set<Int32>()
        for t in response.responses {
            for p in t.partitions where p.errorCode == ErrorCode.notLeaderOrFollower.rawValue && p.currentLeader.leaderId >= 0 {
                ids.insert(p.currentLeader.leaderId)
            }
        }
        return ids.sorted().compactMap { id in
            cluster.endpoint(of: id, listener: context.listenerName).map {
                FetchResponse.NodeEndpoint(nodeId: id, host: $0.host, port: $0.port, rack: cluster.brokers[id]?.rack)
            }
        }
    }

    /// KIP-392 on the leader: the replica in the consumer's rack it should read instead, with
    /// the partition's offsets and no records (ReplicaManager.findPreferredReadReplica), or nil.
    static func redirect(_ tp: TopicPartition, fetchOffset: Int64, rackId: String?, log: PartitionLog, _ result: inout FetchSessionResult,
                         _ broker: Broker) -> Bool {
        guard let cluster = broker.cluster, cluster.settings.rackAwareReads, let rackId, !rackId.isEmpty else { return false }
        let racks = cluster.brokers.compactMapValues(\.rack)
        guard let preferred = cluster.replicas.preferredReadReplica(tp, rack: rackId, fetchOffset: fetchOffset, racks: racks) else { return false }
        result.data.preferredReadReplica = preferred
        result.data.highWatermark = log.highWatermark
        result.data.lastStableOffset = log.lastStableOffset
        result.data.logStartOffset = log.logStartOffset
        return true
    }
}

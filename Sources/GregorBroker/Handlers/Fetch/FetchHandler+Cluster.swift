// Fetch from a replicated partition: only the leader answers, at the leader epoch the fetcher
// knows (KIP-320): a stale epoch is FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH, and
// elsewhere NOT_LEADER_OR_FOLLOWER with the leader to try next from v12 (KIP-951) and its
// endpoint from v16.
import GregorStorage
import KafkaProtocol

extension FetchHandler {
    /// Whether this broker leads the partition at the epoch asked; if not, the error is set.
    static func leads(_ partition: FetchSessionPartition, _ name: String, version: Int16, _ result: inout FetchSessionResult, _ broker: Broker) -> Bool {
        guard let cluster = broker.cluster else { return true }
        switch cluster.replicas.leaderCheck(TopicPartition(name, partition.partition), currentLeaderEpoch: partition.currentLeaderEpoch) {
        case .leader:
            return true
        case .notLeader(let leader, let epoch):
            result.data.errorCode = ErrorCode.notLeaderOrFollower.rawValue
            if version >= 12 { result.data.currentLeader = .init(leaderId: leader, leaderEpoch: epoch) }
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
}

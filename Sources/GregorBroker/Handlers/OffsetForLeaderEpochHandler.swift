// OffsetForLeaderEpoch (key 23): the end offset of a leader epoch, which clients use to detect
// log truncation after a leader change (KIP-101, KIP-320).
// v1: the epoch in the response (KIP-279). v2: current leader epoch for fencing (KIP-320).
// v3: replica id, so consumers may ask too (KIP-392). v4: flexible.
// v0-1 left Kafka in 4.0 (KIP-896); Gregor keeps serving them for older clients (v0 answers no epoch).
// Each log keeps its leader epochs (`leader-epoch-checkpoint`) and LeaderEpochFileCache.endOffsetFor
// answers from them. Alone, Gregor leads every partition at epoch 0; in a cluster only the leader
// answers, fenced by its current epoch (KIP-320), and followers ask it where their log diverges
// (KIP-101, KIP-279).
// A follower (replica id >= 0) needs CLUSTER_ACTION on the cluster, else every partition is
// CLUSTER_AUTHORIZATION_FAILED; a consumer needs DESCRIBE on each topic.
import GregorStorage
import KafkaProtocol

enum OffsetForLeaderEpochHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...4
    static let runsOnEventLoop = true

    /// The leader epoch of every partition of a broker alone.
    static let leaderEpoch: Int32 = 0

    static func handle(_ request: OffsetForLeaderEpochRequest, _ context: RequestContext) async throws -> OffsetForLeaderEpochResponse? {
        var response = OffsetForLeaderEpochResponse()
        // v2 has no replica id: its default, -2, is a debugging client's; only >= 0 is a broker.
        let fromFollower = context.apiVersion >= 3 && request.replicaId >= 0
        let clusterDenied = fromFollower && !context.authorizedOnCluster(.clusterAction)
        let describable = context.authorizedNames(.describe, .topic, request.topics.map(\.topic))
        for topic in request.topics {
            var result = OffsetForLeaderEpochResponse.OffsetForLeaderTopicResult(topic: topic.topic)
            for p in topic.partitions {
                if clusterDenied || (!fromFollower && !describable.contains(topic.topic)) {
                    let code: ErrorCode = clusterDenied ? .clusterAuthorizationFailed : .topicAuthorizationFailed
                    result.partitions.append(.init(errorCode: code.rawValue, partition: p.partition))
                } else {
                    result.partitions.append(endOffset(topic.topic, p, context.broker))
                }
            }
            response.topics.append(result)
        }
        return response
    }

    static func endOffset(_ topic: String, _ p: OffsetForLeaderEpochRequest.OffsetForLeaderPartition, _ broker: Broker)
        -> OffsetForLeaderEpochResponse.EpochEndOffset
    {
        var r = OffsetForLeaderEpochResponse.EpochEndOffset(partition: p.partition)
        var current = leaderEpoch
        if let cluster = broker.cluster, broker.hasPartition(topic, p.partition) {
            // Only the leader answers (Partition.lastOffsetForLeaderEpoch with fetchOnlyFromLeader).
            switch cluster.replicas.leaderCheck(TopicPartition(topic, p.partition)) {
            case .leader(let leader): current = leader.leaderEpoch
            default:
                r.errorCode = ErrorCode.notLeaderOrFollower.rawValue
                return r
            }
        }
        guard let log = broker.log(topic, p.partition) else {
            r.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
            return r
        }
        // Partition.getLocalLog: -1 asks for no fencing.
        if p.currentLeaderEpoch != -1 && p.currentLeaderEpoch != current {
            r.errorCode = (p.currentLeaderEpoch > current ? ErrorCode.unknownLeaderEpoch : .fencedLeaderEpoch).rawValue
            return r
        }
        // LeaderEpochFileCache.endOffsetFor. A log never written has no epoch yet, but its leader
        // holds the current one from its log end, as Kafka's makeLeader records it.
        if log.latestEpoch == nil && p.leaderEpoch == current {
            r.leaderEpoch = current
            r.endOffset = log.logEndOffset
        } else {
            (r.leaderEpoch, r.endOffset) = log.endOffset(forEpoch: p.leaderEpoch)
        }
        return r
    }
}

// Metadata in a cluster: every live broker on the listener the request came in on (a broker
// without that listener is left out, as Kafka's MetadataCache.getAliveBrokerNodes), the
// controller, and each partition's leader, leader epoch, replicas, ISR and offline replicas (those
// on brokers not registered). A partition without a leader is LEADER_NOT_AVAILABLE, leader -1.
import GregorCluster
import GregorStorage
import KafkaProtocol

extension MetadataHandler {
    static func liveBrokers(_ cluster: ClusterMember, _ context: RequestContext) -> [MetadataResponse.MetadataResponseBroker] {
        cluster.brokers.values.sorted { $0.id < $1.id }.compactMap { b in
            guard let e = b.endpoints.first(where: { $0.listener == context.listenerName }) else { return nil }
            return .init(nodeId: b.id, host: e.host, port: e.port, rack: b.rack)
        }
    }

    static func describe(_ topic: TopicMetadata, _ cluster: ClusterMember) -> MetadataResponse.MetadataResponseTopic {
        let live = Set(cluster.brokers.keys)
        return .init(
            errorCode: 0, name: topic.name, topicId: topic.topicId, isInternal: topic.name.hasPrefix("__"),
            partitions: (0..<topic.partitionCount).map { index in
                guard let p = cluster.partition(TopicPartition(topic.name, index)) else {
                    return .init(errorCode: ErrorCode.leaderNotAvailable.rawValue, partitionIndex: index, leaderId: -1, leaderEpoch: -1)
                }
                // KRaftMetadataCache.getPartitionMetadata: a leader without a live endpoint is
                // answered NO_LEADER_ID, so a client never meets a leader missing from the broker
                // list (kafka-python stalls on one).
                let leads = p.leader >= 0 && live.contains(p.leader)
                return .init(
                    errorCode: (leads ? ErrorCode.none : .leaderNotAvailable).rawValue, partitionIndex: index, leaderId: leads ? p.leader : -1,
                    leaderEpoch: p.leaderEpoch, replicaNodes: p.replicas,
                    isrNodes: p.isr, offlineReplicas: p.replicas.filter { !live.contains($0) })
            })
    }
}

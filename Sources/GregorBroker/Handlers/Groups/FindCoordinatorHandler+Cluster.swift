// FindCoordinator in a cluster: the coordinator of a group (or transactional id) is the leader
// of its partition of `__consumer_offsets` (`__transaction_state`). The internal topic is
// created on first use, as Kafka's AutoTopicCreationManager does, with
// `offsets.topic.replication.factor` (or `transaction.state.log.replication.factor`) capped by
// the live brokers; until it has a leader the answer is COORDINATOR_NOT_AVAILABLE, which clients retry.
import GregorCoordination
import GregorStorage
import KafkaProtocol

extension FindCoordinatorHandler {
    enum Lookup {
        case found(nodeId: Int32, host: String, port: Int32)
        case refused(ErrorCode)
    }

    /// The coordinator of `key`, or the error to answer.
    static func coordinator(of key: String, keyType: Int8, _ context: RequestContext) async -> Lookup {
        let broker = context.broker
        guard let cluster = broker.cluster else {
            let endpoint = context.advertised
            return .found(nodeId: broker.config.nodeId, host: endpoint.host, port: Int32(endpoint.port))
        }
        let (topic, partitions, replication) = keyType == 1
            ? (TransactionCoordinator.topic, broker.transactions.numPartitions, broker.config.transactionStateReplicationFactor)
            : (OffsetStoreConfig.topic, broker.offsets.config.numPartitions, broker.config.offsetsTopicReplicationFactor)
        let partition = OffsetStoreConfig.partition(for: key, partitions: partitions)
        if broker.metadata.topic(topic) == nil {
            let configs = keyType == 1 ? Broker.transactionStateTopicConfigs(broker.config) : broker.offsets.config.topicConfigs
            let factor = min(replication, Int16(cluster.brokers.count))
            _ = try? await broker.createTopics([NewTopic(name: topic, partitions: partitions, configs: configs)], replicationFactor: factor)
            return .refused(.coordinatorNotAvailable)
        }
        guard let state = cluster.partition(TopicPartition(topic, partition)), state.leader >= 0,
              let endpoint = cluster.endpoint(of: state.leader, listener: context.listenerName)
        else { return .refused(.coordinatorNotAvailable) }
        return .found(nodeId: state.leader, host: endpoint.host, port: endpoint.port)
    }
}

// CreateTopics in a cluster (ReplicationControlManager.createTopics): the replicas come from the
// controller's placement (rack-aware, StripedReplicaPlacer) or the request's manual assignment,
// checked against the registered brokers; -1 takes `num.partitions` and
// `default.replication.factor` (KIP-464). The topic and all its partitions go to etcd in one
// transaction that holds only if the topic is new.
import GregorCluster
import GregorStorage
import KafkaProtocol

extension CreateTopicsHandler {
    static func createInCluster(
        _ topics: [(index: Int, topic: CreateTopicsRequest.CreatableTopic, configs: [String: String])], validateOnly: Bool,
        _ results: inout [CreateTopicsResponse.CreatableTopicResult], _ context: RequestContext
    ) async {
        guard let cluster = context.broker.cluster else { return }
        for (index, t, configs) in topics {
            let request = NewTopicRequest(
                name: t.name, topicId: ClusterMetadataStore.randomId().description, numPartitions: t.numPartitions,
                replicationFactor: t.replicationFactor,
                assignments: t.assignments.map { ManualAssignment(partitionIndex: $0.partitionIndex, brokerIds: $0.brokerIds) },
                configs: configs)
            switch cluster.plan(request) {
            case .failure(let failure):
                results[index].errorCode = failure.code.rawValue
                results[index].errorMessage = failure.message
            case .success(let plan):
                if !validateOnly, case .failure(let failure) = await cluster.execute(plan.writes) {
                    results[index].errorCode = failure.code.rawValue
                    results[index].errorMessage = failure.message
                    continue
                }
                results[index].numPartitions = plan.partitions
                results[index].replicationFactor = plan.replicationFactor
                if !validateOnly { results[index].topicId = KafkaUUID(request.topicId) ?? .zero }
            }
        }
    }
}

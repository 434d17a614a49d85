// ListPartitionReassignments (key 46): the partitions being moved, with their replicas and the
// replicas being added and removed (KIP-455). Flexible from v0; v0 is the only version.
// Kafka 4 brokers forward it to the controller; this is ControllerApis.
// handleListPartitionReassignments with ReplicationControlManager.listPartitionReassignments:
// null topics lists every move; named topics list the named partitions that are moving, and
// unknown topics, unknown partitions and partitions not moving are left out without an error.
// Alone nothing is ever moving, so the answer is empty. Needs DESCRIBE on the cluster.
import GregorCluster
import KafkaProtocol

enum ListPartitionReassignmentsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    static func handle(_ request: ListPartitionReassignmentsRequest, _ context: RequestContext) async throws -> ListPartitionReassignmentsResponse? {
        guard context.authorizedOnCluster(.describe) else {
            // ListPartitionReassignmentsRequest.getErrorResponse: the named partitions, each empty.
            let message = ErrorCode.clusterAuthorizationFailed.defaultMessage
            return ListPartitionReassignmentsResponse(
                errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, errorMessage: message,
                topics: (request.topics ?? []).map { topic in
                    .init(name: topic.name, partitions: topic.partitionIndexes.map { .init(partitionIndex: $0, replicas: [], addingReplicas: [], removingReplicas: []) })
                })
        }
        let machine = context.broker.controllerMachine()
        let ongoing = machine.listReassignments(request.topics.map { topics in
            topics.flatMap { topic in topic.partitionIndexes.map { PartitionKey(topic.name, $0) } }
        })
        // One entry per topic with a move, in the order first met.
        var topics: [ListPartitionReassignmentsResponse.OngoingTopicReassignment] = []
        for move in ongoing {
            let partition = ListPartitionReassignmentsResponse.OngoingPartitionReassignment(
                partitionIndex: move.partition.partition, replicas: move.replicas, addingReplicas: move.addingReplicas,
                removingReplicas: move.removingReplicas)
            if let last = topics.indices.last, topics[last].name == move.partition.topic {
                topics[last].partitions.append(partition)
            } else {
                topics.append(.init(name: move.partition.topic, partitions: [partition]))
            }
        }
        return ListPartitionReassignmentsResponse(errorMessage: nil, topics: topics)
    }
}

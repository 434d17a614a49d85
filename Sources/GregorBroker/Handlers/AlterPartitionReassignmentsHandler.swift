// AlterPartitionReassignments (key 45): moves partitions to other replicas, or cancels a move
// (null replicas), for kafka-reassign-partitions.sh (KIP-455). Flexible from v0.
// v1: allow_replication_factor_change, echoed in the response; false refuses a target with more
// or fewer replicas than the partition has, INVALID_REPLICATION_FACTOR (KIP-860).
// Kafka 4 brokers forward it to the controller; this is ControllerApis.
// handleAlterPartitionReassignments with ReplicationControlManager.alterPartitionReassignments.
// Per partition: UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT for an empty list,
// an unregistered broker or a repeated one, NO_REASSIGNMENT_IN_PROGRESS for cancelling nothing.
// A move that only reorders or drops replicas completes at once; one that adds replicas leaves
// them in adding_replicas until they join the ISR.
// Alone, the only acceptable assignment is this broker, and it changes nothing. In a cluster each
// partition's change is its own etcd transaction (Kafka appends the request's records atomically).
// Needs ALTER on the cluster.
import GregorCluster
import KafkaProtocol

enum AlterPartitionReassignmentsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...1

    static func handle(_ request: AlterPartitionReassignmentsRequest, _ context: RequestContext) async throws -> AlterPartitionReassignmentsResponse? {
        guard context.authorizedOnCluster(.alter) else {
            return errorResponse(request, .clusterAuthorizationFailed, ErrorCode.clusterAuthorizationFailed.defaultMessage)
        }
        // QuorumController.alterPartitionReassignments answers an empty request with the defaults.
        if request.topics.isEmpty { return AlterPartitionReassignmentsResponse() }

        let broker = context.broker
        var machine = broker.controllerMachine()
        var writes: [ControllerWrite] = []
        var responses: [AlterPartitionReassignmentsResponse.ReassignableTopicResponse] = []
        for topic in request.topics {
            var r = AlterPartitionReassignmentsResponse.ReassignableTopicResponse(name: topic.name)
            for partition in topic.partitions {
                let key = PartitionKey(topic.name, partition.partitionIndex)
                switch machine.reassign(key, to: partition.replicas, allowReplicationFactorChange: request.allowReplicationFactorChange) {
                case .success(let made):
                    writes += made
                    r.partitions.append(.init(partitionIndex: partition.partitionIndex, errorCode: 0, errorMessage: nil))
                case .failure(let failure):
                    r.partitions.append(.init(partitionIndex: partition.partitionIndex, errorCode: failure.code.rawValue, errorMessage: failure.message))
                }
            }
            responses.append(r)
        }

        let failures = await broker.makeControllerWrites(writes)
        for t in responses.indices {
            for p in responses[t].partitions.indices {
                guard let failure = failures[PartitionKey(responses[t].name, responses[t].partitions[p].partitionIndex)] else { continue }
                responses[t].partitions[p].errorCode = failure.code.rawValue
                responses[t].partitions[p].errorMessage = failure.message
            }
        }
        return AlterPartitionReassignmentsResponse(allowReplicationFactorChange: request.allowReplicationFactorChange, errorMessage: nil,
                                                   responses: responses)
    }

    /// AlterPartitionReassignmentsRequest.getErrorResponse: the error on every partition and at the top.
    static func errorResponse(_ request: AlterPartitionReassignmentsRequest, _ code: ErrorCode, _ message: String?) -> AlterPartitionReassignmentsResponse {
        AlterPartitionReassignmentsResponse(errorCode: code.rawValue, errorMessage: message, responses: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue, errorMessage: message) })
        })
    }
}

// ElectLeaders (key 43): moves partitions' leadership (kafka-leader-election.sh).
// v0: preferred elections only (KIP-183); null partitions means every partition.
// v1: election_type, 0 preferred or 1 unclean, and a top-level error code (KIP-460).
// v2: flexible (KIP-482).
// Kafka 4 brokers forward it to the controller; this is ControllerApis.handleElectLeaders with
// QuorumController.electLeaders and ReplicationControlManager.electLeaders. Per partition:
// ELECTION_NOT_NEEDED when the preferred replica already leads (preferred) or there is a leader
// (unclean), PREFERRED_LEADER_NOT_AVAILABLE / ELIGIBLE_LEADERS_NOT_AVAILABLE when no acceptable
// replica can lead, UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist. For every
// partition, those needing no election are left out, but every topic is listed.
// In a cluster the elections are written to etcd; alone, this broker leads every partition, so
// every election is not needed. Needs ALTER on the cluster.
import GregorCluster
import KafkaProtocol

enum ElectLeadersHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: ElectLeadersRequest, _ context: RequestContext) async throws -> ElectLeadersResponse? {
        guard context.authorizedOnCluster(.alter) else {
            return errorResponse(request, .clusterAuthorizationFailed, ErrorCode.clusterAuthorizationFailed.defaultMessage, context.apiVersion)
        }
        if let topics = request.topicPartitions, topics.isEmpty { return ElectLeadersResponse() }
        let type: ElectionType
        switch request.electionType {
        case 0: type = .preferred
        case 1: type = .unclean
        default: return errorResponse(request, .invalidRequest, "Unknown election type \(request.electionType)", context.apiVersion)
        }

        let broker = context.broker
        var machine = broker.controllerMachine()
        var results: [ElectLeadersResponse.ReplicaElectionResult] = []
        var writes: [ControllerWrite] = []
        if let topics = request.topicPartitions {
            for topic in topics {
                let (made, elected) = machine.electLeaders(type, partitions: topic.partitions.map { PartitionKey(topic.topic, $0) })
                writes += made
                results.append(.init(topic: topic.topic, partitionResult: elected.map(partitionResult)))
            }
        } else {
            // Every topic is listed, even one whose partitions all needed no election.
            let (made, elected) = machine.electLeaders(type, partitions: nil)
            writes = made
            let byTopic = Dictionary(grouping: elected, by: \.partition.topic)
            results = machine.image.topics.keys.sorted().map { .init(topic: $0, partitionResult: (byTopic[$0] ?? []).map(partitionResult)) }
        }

        let failures = await broker.makeControllerWrites(writes)
        for t in results.indices {
            for p in results[t].partitionResult.indices {
                guard let failure = failures[PartitionKey(results[t].topic, results[t].partitionResult[p].partitionId)] else { continue }
                results[t].partitionResult[p].errorCode = failure.code.rawValue
                results[t].partitionResult[p].errorMessage = failure.message
            }
        }
        return ElectLeadersResponse(replicaElectionResults: results)
    }

    static func partitionResult(_ result: ElectionResult) -> ElectLeadersResponse.PartitionResult {
        .init(partitionId: result.partition.partition, errorCode: result.error.rawValue, errorMessage: result.message)
    }

    /// ElectLeadersRequest.getErrorResponse: every partition asked for gets the error (none when
    /// all were asked for), and so does the top level from v1 (v0 has no field for it, and a
    /// value in a field a version lacks cannot be written).
    static func errorResponse(_ request: ElectLeadersRequest, _ code: ErrorCode, _ message: String?, _ version: Int16) -> ElectLeadersResponse {
        ElectLeadersResponse(errorCode: version >= 1 ? code.rawValue : 0, replicaElectionResults: (request.topicPartitions ?? []).map { topic in
            .init(topic: topic.topic, partitionResult: topic.partitions.map { .init(partitionId: $0, errorCode: code.rawValue, errorMessage: message) })
        })
    }
}

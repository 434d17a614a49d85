// WriteTxnMarkers (key 27).
// v1: flexible. Sent by a transaction coordinator to partition leaders, and by the admin client's
// abortTransaction (KIP-664) to end a hanging transaction: each partition gets a commit or abort
// marker of the producer's id and epoch. Needs CLUSTER_ACTION (every partition
// CLUSTER_AUTHORIZATION_FAILED). A marker of an older epoch is INVALID_PRODUCER_EPOCH, from an
// older coordinator TRANSACTION_COORDINATOR_FENCED; an unknown partition is
// UNKNOWN_TOPIC_OR_PARTITION (KafkaApis.handleWriteTxnMarkersRequest).
// v2: the transaction's version (KIP-1228); at transaction version 2 a marker must raise the open
// transaction's epoch, as the coordinator bumps it at every end (KIP-890 part 2).
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum WriteTxnMarkersHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: WriteTxnMarkersRequest, _ context: RequestContext) async throws -> WriteTxnMarkersResponse? {
        let allowed = context.authorizedOnCluster(.clusterAction)
        var response = WriteTxnMarkersResponse()
        for marker in request.markers {
            let producer = CoordinatorProducer(id: marker.producerId, epoch: marker.producerEpoch)
            var topics: [WriteTxnMarkersResponse.WritableTxnMarkerTopicResult] = []
            for topic in marker.topics {
                var partitions: [WriteTxnMarkersResponse.WritableTxnMarkerPartitionResult] = []
                for index in topic.partitionIndexes {
                    let code = allowed
                        ? await TransactionMarkers.write(
                            context.broker, TopicPartition(topic.name, index), producer, committed: marker.transactionResult,
                            coordinatorEpoch: marker.coordinatorEpoch, transactionVersion: marker.transactionVersion)
                        : .clusterAuthorizationFailed
                    partitions.append(.init(partitionIndex: index, errorCode: code.rawValue))
                }
                topics.append(.init(name: topic.name, partitions: partitions))
            }
            response.markers.append(.init(producerId: marker.producerId, topics: topics))
        }
        return response
    }
}

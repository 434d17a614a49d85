// DescribeProducers (key 61, KIP-664).
// v0: the producers each partition's leader knows: id, epoch, last sequence and timestamp, the
// coordinator epoch of their last marker and where their open transaction began (-1: none).
// Each topic needs READ (TOPIC_AUTHORIZATION_FAILED); an unknown partition is
// UNKNOWN_TOPIC_OR_PARTITION (ReplicaManager.activeProducerState).
import GregorStorage
import KafkaProtocol

enum DescribeProducersHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    static func handle(_ request: DescribeProducersRequest, _ context: RequestContext) async throws -> DescribeProducersResponse? {
        let broker = context.broker
        let readable = context.authorizedNames(.read, .topic, request.topics.map(\.name))
        return DescribeProducersResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitionIndexes.map { index in
                guard readable.contains(topic.name) else {
                    return .init(partitionIndex: index, errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
                }
                guard let log = broker.log(topic.name, index) else {
                    return .init(partitionIndex: index, errorCode: ErrorCode.unknownTopicOrPartition.rawValue)
                }
                return .init(partitionIndex: index, activeProducers: log.activeProducers.map {
                    .init(producerId: $0.producerId, producerEpoch: Int32($0.producerEpoch), lastSequence: $0.lastSequence,
                          lastTimestamp: $0.lastTimestamp, coordinatorEpoch: $0.coordinatorEpoch, currentTxnStartOffset: $0.currentTxnStartOffset)
                })
            })
        })
    }
}

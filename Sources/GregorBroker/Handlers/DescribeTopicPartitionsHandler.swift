// DescribeTopicPartitions (key 75, v0 only): topic and partition metadata with eligible leader
// replicas, paged so that topics with many partitions need not fit one response (KIP-966).
// The admin client's describeTopics uses it in place of Metadata since Kafka 3.8.
// Topics are answered in name order from the cursor's topic and partition, at most
// response_partition_limit partitions (capped at 2000, Kafka's max.request.partition.size.limit)
// per response; next_cursor says where to continue. No topics asked means every topic, and then
// missing topics are not reported. Every topic answered, known or not, carries the topic's
// authorized operations (DescribeTopicPartitionsRequestHandler). A topic the caller may not
// describe is left out of "every topic", and TOPIC_AUTHORIZATION_FAILED when asked for.
import GregorStorage
import KafkaProtocol

enum DescribeTopicPartitionsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    /// Kafka's `max.request.partition.size.limit` default.
    static let maxPartitions = 2000

    typealias Topic = DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponseTopic

    static func handle(_ request: DescribeTopicPartitionsRequest, _ context: RequestContext) async throws -> DescribeTopicPartitionsResponse? {
        let broker = context.broker
        let everyTopic = request.topics.isEmpty
        let cursorTopic = request.cursor?.topicName ?? ""
        let names = Set(everyTopic ? broker.metadata.topics.map(\.name) : request.topics.map(\.name)).filter { $0 >= cursorTopic }
        let describable = context.authorizedNames(.describe, .topic, names)
        // The cursor's topic must be among those asked for, and its partition valid.
        if let cursor = request.cursor, !everyTopic && !names.contains(cursor.topicName) || cursor.partitionIndex < 0 {
            return DescribeTopicPartitionsResponse(topics: request.topics.map { Topic(errorCode: ErrorCode.invalidRequest.rawValue, name: $0.name) })
        }
        var response = DescribeTopicPartitionsResponse()
        var remaining = max(min(maxPartitions, Int(request.responsePartitionLimit)), 1)
        for name in names.sorted() {
            guard remaining > 0 else {
                // The next response starts at this topic's first partition.
                response.nextCursor = .init(topicName: name, partitionIndex: 0)
                break
            }
            guard describable.contains(name) else {
                if !everyTopic { response.topics.append(Topic(errorCode: ErrorCode.topicAuthorizationFailed.rawValue, name: name)) }
                continue
            }
            guard let topic = broker.metadata.topic(name) else {
                if !everyTopic {
                    let code: ErrorCode = ConfigResources.topicNameProblem(name) == nil ? .unknownTopicOrPartition : .invalidTopicException
                    response.topics.append(Topic(errorCode: code.rawValue, name: name, isInternal: ConfigResources.isInternal(name),
                                                 topicAuthorizedOperations: context.authorizedOperations(.topic, name)))
                }
                continue
            }
            let start = name == cursorTopic ? Int(request.cursor!.partitionIndex) : 0
            let count = Int(topic.partitionCount)
            let upper = min(count, start + remaining)
            let node = broker.config.nodeId
            let partitions = start < upper ? (start..<upper).map {
                DescribeTopicPartitionsResponse.DescribeTopicPartitionsResponsePartition(
                    partitionIndex: Int32($0), leaderId: node, leaderEpoch: OffsetForLeaderEpochHandler.leaderEpoch, replicaNodes: [node],
                    isrNodes: [node], eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [])
            } : []
            response.topics.append(Topic(name: name, topicId: topic.topicId, isInternal: ConfigResources.isInternal(name),
                                         partitions: partitions, topicAuthorizedOperations: context.authorizedOperations(.topic, name)))
            if upper < count {
                response.nextCursor = .init(topicName: name, partitionIndex: Int32(upper))
                break
            }
            remaining -= partitions.count
        }
        return response
    }
}

// DeleteRecords (key 21): moves each partition's log start offset forward, so the records
// before it are gone for consumers at once and their segments at the next retention pass
// (KIP-107). Offset -1 means the high watermark. v1: no change (throttling after the response,
// KIP-219). v2: flexible.
// As Kafka's Partition.deleteRecordsOnLeader: a compacted-only topic refuses (POLICY_VIOLATION),
// an offset past the high watermark is OFFSET_OUT_OF_RANGE, and the answer is the low watermark
// (the new log start offset). There are no followers to wait for, so timeout_ms is not needed.
// Needs DELETE on the topic (TOPIC_AUTHORIZATION_FAILED).
import GregorStorage
import KafkaProtocol

enum DeleteRecordsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: DeleteRecordsRequest, _ context: RequestContext) async throws -> DeleteRecordsResponse? {
        var response = DeleteRecordsResponse()
        let deletable = context.authorizedNames(.delete, .topic, request.topics.map(\.name))
        for topic in request.topics {
            var result = DeleteRecordsResponse.DeleteRecordsTopicResult(name: topic.name)
            for partition in topic.partitions {
                var p = DeleteRecordsResponse.DeleteRecordsPartitionResult(partitionIndex: partition.partitionIndex, lowWatermark: -1)
                guard deletable.contains(topic.name) else {
                    p.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    result.partitions.append(p)
                    continue
                }
                do {
                    p.lowWatermark = try delete(topic.name, partition.partitionIndex, before: partition.offset, context.broker)
                } catch {
                    p.errorCode = error.code.rawValue
                }
                result.partitions.append(p)
            }
            response.topics.append(result)
        }
        return response
    }

    static func delete(_ topic: String, _ partition: Int32, before offset: Int64, _ broker: Broker) throws(ApiError) -> Int64 {
        if ConfigResources.isInternal(topic) { throw ApiError(.invalidTopicException, "Cannot delete records of internal topic \(topic)") }
        guard let log = broker.log(topic, partition) else { throw ApiError(.unknownTopicOrPartition, nil) }
        guard log.config.cleanupPolicy.contains(.delete) else {
            throw ApiError(.policyViolation, "Records of partition \(topic)-\(partition) can not be deleted due to the configured policy")
        }
        let target = offset == -1 ? log.highWatermark : offset
        guard target >= 0 else { throw ApiError(.offsetOutOfRange, "The offset \(target) for partition \(topic)-\(partition) is not valid") }
        do { return try log.deleteRecords(before: target) } catch { throw ApiError(error.errorCode, error.description) }
    }
}

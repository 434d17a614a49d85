// OffsetDelete (key 47, KIP-496). v0 only.
// Removes a group's committed offsets for some partitions. The group must exist
// (GROUP_ID_NOT_FOUND) and be Empty unless it is a consumer group (NON_EMPTY_GROUP); a
// partition of a topic an active member subscribes to is refused with GROUP_SUBSCRIBED_TO_TOPIC,
// one of an unknown topic with UNKNOWN_TOPIC_OR_PARTITION. Deleting an offset that was never
// committed succeeds. Needs DELETE on the group (GROUP_AUTHORIZATION_FAILED) and READ on each
// topic (TOPIC_AUTHORIZATION_FAILED).
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum OffsetDeleteHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    static func handle(_ request: OffsetDeleteRequest, _ context: RequestContext) async throws -> OffsetDeleteResponse? {
        let broker = context.broker
        let coordinator = broker.groupCoordinator
        guard context.authorized(.delete, .group, request.groupId) else {
            return OffsetDeleteResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        guard !request.groupId.isEmpty else { return OffsetDeleteResponse(errorCode: ErrorCode.invalidGroupId.rawValue) }
        if let error = await coordinator.validateOffsetDelete(groupId: request.groupId) {
            return OffsetDeleteResponse(errorCode: error.rawValue)
        }
        var deletable: [TopicPartition] = []
        var topics: [OffsetDeleteResponse.OffsetDeleteResponseTopic] = []
        let readable = context.authorizedNames(.read, .topic, request.topics.map(\.name))
        for topic in request.topics {
            let known = broker.metadata.topic(topic.name)
            let subscribed = await coordinator.isSubscribed(groupId: request.groupId, topic: topic.name)
            var result = OffsetDeleteResponse.OffsetDeleteResponseTopic(name: topic.name)
            for p in topic.partitions {
                let code: ErrorCode
                if !readable.contains(topic.name) {
                    code = .topicAuthorizationFailed
                } else if let known, p.partitionIndex >= 0, p.partitionIndex < known.partitionCount {
                    code = subscribed ? .groupSubscribedToTopic : .none
                } else {
                    code = .unknownTopicOrPartition
                }
                if code == .none { deletable.append(TopicPartition(topic.name, p.partitionIndex)) }
                result.partitions.append(.init(partitionIndex: p.partitionIndex, errorCode: code.rawValue))
            }
            topics.append(result)
        }
        if !deletable.isEmpty {
            do {
                _ = try broker.offsets.deleteOffsets(group: request.groupId, partitions: deletable, now: broker.clock())
            } catch {
                context.logger.warning("offset delete for group \(request.groupId) failed: \(error)")
                return OffsetDeleteResponse(errorCode: error.errorCode.rawValue)
            }
        }
        return OffsetDeleteResponse(topics: topics)
    }
}

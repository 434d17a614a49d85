// ConsumerGroupDescribe (key 69), KIP-848. v0: flexible; the groups' epochs, assignor, and each
// member's subscription, current and target assignment. v1: each member's type (KIP-1099):
// 0 for a member on the classic protocol, 1 on the consumer protocol; Gregor's consumer groups
// hold consumer-protocol members only (classic members join classic groups).
// Per group (Kafka's GroupCoordinatorService and GroupMetadataManager.consumerGroupDescribe):
// the empty id is INVALID_GROUP_ID; an unknown or classic group is GROUP_ID_NOT_FOUND with no
// message. Assignments name their topics; a topic no longer in the metadata is left out, as
// Kafka's `topicPartitionsFromMap` does. Each group needs DESCRIBE on it
// (GROUP_AUTHORIZATION_FAILED).
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum ConsumerGroupDescribeHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...1

    static func handle(
        _ request: ConsumerGroupDescribeRequest, _ context: RequestContext
    ) async throws -> ConsumerGroupDescribeResponse? {
        let metadata = context.broker.metadata
        var groups: [ConsumerGroupDescribeResponse.DescribedGroup] = []
        for groupId in request.groupIds {
            guard context.authorized(.describe, .group, groupId) else {
                groups.append(.init(errorCode: ErrorCode.groupAuthorizationFailed.rawValue, groupId: groupId))
                continue
            }
            switch await context.broker.groupCoordinator.describeConsumerGroup(groupId) {
            case .failure(let error):
                groups.append(.init(errorCode: error.code.rawValue, groupId: groupId))
            case .success(let group):
                groups.append(.init(
                    groupId: group.groupId, groupState: group.state.name, groupEpoch: group.groupEpoch,
                    assignmentEpoch: group.assignmentEpoch, assignorName: group.assignorName,
                    members: group.members.map { member in
                        .init(
                            memberId: member.memberId, instanceId: member.instanceId, rackId: member.rackId,
                            memberEpoch: member.memberEpoch, clientId: member.clientId, clientHost: member.clientHost,
                            subscribedTopicNames: member.subscribedTopicNames,
                            subscribedTopicRegex: member.subscribedTopicRegex,
                            assignment: assignment(member.assignment, metadata),
                            targetAssignment: assignment(member.targetAssignment, metadata),
                            memberType: 1)
                    },
                    authorizedOperations: request.includeAuthorizedOperations
                        ? context.authorizedOperations(.group, groupId) : AuthorizedOperations.notRequested))
            }
        }
        return ConsumerGroupDescribeResponse(groups: groups)
    }

    static func assignment(
        _ partitions: PartitionAssignment, _ metadata: ClusterMetadataStore
    ) -> ConsumerGroupDescribeResponse.Assignment {
        let topics = partitions.compactMap { id, partitions -> ConsumerGroupDescribeResponse.TopicPartitions? in
            guard !partitions.isEmpty, let topic = metadata.topic(id: id) else { return nil }
            return .init(topicId: id, topicName: topic.name, partitions: partitions.sorted())
        }
        return .init(topicPartitions: topics.sorted { $0.topicName < $1.topicName })
    }
}

// ConsumerGroupHeartbeat (key 68), KIP-848: the consumer rebalance protocol, in which the
// coordinator assigns partitions and each member heartbeats its way to its target assignment.
// v0: flexible from the start; a member joins with an empty member id and epoch 0 and the
// coordinator generates its id. v1 (KIP-848 regex, KIP-1082): SubscribedTopicRegex, and the
// client generates its member id (an empty one is INVALID_REQUEST). The pinned spec marks v1
// `latestVersionUnstable`; Kafka 4.0 released it as stable and advertises 0-1, and so do we.
// Errors carry a message and leave MemberId null, MemberEpoch and HeartbeatIntervalMs 0
// (ConsumerGroupHeartbeatRequest.getErrorResponse). Needs READ on the group
// (GROUP_AUTHORIZATION_FAILED).
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum ConsumerGroupHeartbeatHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...1

    static func handle(
        _ request: ConsumerGroupHeartbeatRequest, _ context: RequestContext
    ) async throws -> ConsumerGroupHeartbeatResponse? {
        guard context.authorized(.read, .group, request.groupId) else {
            return ConsumerGroupHeartbeatResponse(
                errorCode: ErrorCode.groupAuthorizationFailed.rawValue, errorMessage: ErrorCode.groupAuthorizationFailed.defaultMessage,
                memberId: nil, memberEpoch: 0, heartbeatIntervalMs: 0)
        }
        let input = ConsumerHeartbeatInput(
            apiVersion: context.apiVersion, groupId: request.groupId, memberId: request.memberId,
            memberEpoch: request.memberEpoch, instanceId: request.instanceId, rackId: request.rackId,
            rebalanceTimeoutMs: request.rebalanceTimeoutMs, subscribedTopicNames: request.subscribedTopicNames,
            subscribedTopicRegex: request.subscribedTopicRegex, serverAssignor: request.serverAssignor,
            ownedPartitions: request.topicPartitions.map { owned in
                owned.reduce(into: PartitionAssignment()) { $0[$1.topicId, default: []].formUnion($1.partitions) }
            },
            clientId: context.clientId ?? "", clientHost: context.clientHost)
        let result = await context.broker.groupCoordinator.consumerHeartbeat(
            input, topics: topicsImage(context.broker.metadata))
        return ConsumerGroupHeartbeatResponse(
            errorCode: result.errorCode.rawValue, errorMessage: result.errorMessage, memberId: result.memberId,
            memberEpoch: result.memberEpoch, heartbeatIntervalMs: result.heartbeatIntervalMs,
            assignment: result.assignment.map { assignment in
                .init(topicPartitions: assignment.sorted { $0.key.description < $1.key.description }.map {
                    .init(topicId: $0.key, partitions: $0.value.sorted())
                })
            })
    }

    /// The group coordinator's view of the topics, taken afresh for every heartbeat so topic
    /// creation, deletion and new partitions reach a group on its next heartbeat.
    static func topicsImage(_ metadata: ClusterMetadataStore) -> TopicsImage {
        TopicsImage(metadata.topics.map { .init(id: $0.topicId, name: $0.name, partitionCount: $0.partitionCount) })
    }
}

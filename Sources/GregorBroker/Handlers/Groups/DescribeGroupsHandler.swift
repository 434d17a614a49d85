// DescribeGroups (key 15).
// v1: throttle time. v2: no change. v3: authorized operations on request (KIP-430). v4: members'
// group.instance.id. v5: flexible. v6: an error message per group (KIP-1043).
// An unknown group is described as Dead, and so is a KIP-848 consumer group (ConsumerGroupDescribe
// shows those): with no error up to v5, with GROUP_ID_NOT_FOUND and Kafka's message from v6
// (GroupMetadataManager.classicGroup: "Group X not found." / "Group X is not a classic group."). Member
// metadata and the protocol are shown only for a Stable group. Each group needs DESCRIBE on it
// (GROUP_AUTHORIZATION_FAILED).
import GregorCoordination
import KafkaProtocol

enum DescribeGroupsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...6

    static func handle(_ request: DescribeGroupsRequest, _ context: RequestContext) async throws -> DescribeGroupsResponse? {
        let askOperations = context.apiVersion >= 3 && request.includeAuthorizedOperations
        var groups: [DescribeGroupsResponse.DescribedGroup] = []
        for groupId in request.groups {
            guard context.authorized(.describe, .group, groupId) else {
                groups.append(.init(errorCode: ErrorCode.groupAuthorizationFailed.rawValue, groupId: groupId))
                continue
            }
            let group = await context.broker.groupCoordinator.describeGroup(groupId)
            if context.apiVersion >= 6 && group.state == "Dead" {
                let consumer = if case .success = await context.broker.groupCoordinator.describeConsumerGroup(groupId) { true } else { false }
                groups.append(.init(
                    errorCode: ErrorCode.groupIdNotFound.rawValue,
                    errorMessage: consumer ? "Group \(groupId) is not a classic group." : "Group \(groupId) not found.",
                    groupId: groupId, groupState: group.state))
                continue
            }
            groups.append(.init(
                groupId: group.groupId, groupState: group.state, protocolType: group.protocolType,
                protocolData: group.protocolData,
                members: group.members.map {
                    .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                          clientHost: $0.clientHost, memberMetadata: $0.metadata, memberAssignment: $0.assignment)
                },
                authorizedOperations: askOperations ? context.authorizedOperations(.group, groupId) : AuthorizedOperations.notRequested))
        }
        return DescribeGroupsResponse(groups: groups)
    }
}

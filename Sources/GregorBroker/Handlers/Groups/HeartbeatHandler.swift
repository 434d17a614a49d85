// Heartbeat (key 12).
// v1: throttle time. v2: no change. v3: group.instance.id (KIP-345). v4: flexible.
// REBALANCE_IN_PROGRESS tells a member to rejoin; an unknown group is UNKNOWN_MEMBER_ID.
// Needs READ on the group (GROUP_AUTHORIZATION_FAILED).
import GregorCoordination
import KafkaProtocol

enum HeartbeatHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...4

    static func handle(_ request: HeartbeatRequest, _ context: RequestContext) async throws -> HeartbeatResponse? {
        guard context.authorized(.read, .group, request.groupId) else {
            return HeartbeatResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        let input = HeartbeatInput(memberId: request.memberId, groupInstanceId: request.groupInstanceId, generationId: request.generationId)
        let error = await context.broker.groupCoordinator.heartbeat(groupId: request.groupId, input)
        return HeartbeatResponse(errorCode: error.rawValue)
    }
}

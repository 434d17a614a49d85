// LeaveGroup (key 13).
// v1: throttle time. v2: no change. v3: a batch of members, by member id or group.instance.id,
// each answered on its own (KIP-345). v4: flexible. v5: a reason per member (KIP-800).
// v0-2 carry one member; its error becomes the top-level error, as in Kafka's LeaveGroupResponse.
// Needs READ on the group (GROUP_AUTHORIZATION_FAILED, no members answered).
import GregorCoordination
import KafkaProtocol

enum LeaveGroupHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...5

    static func handle(_ request: LeaveGroupRequest, _ context: RequestContext) async throws -> LeaveGroupResponse? {
        let batched = context.apiVersion >= 3
        guard context.authorized(.read, .group, request.groupId) else {
            return LeaveGroupResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        let leaving = batched
            ? request.members.map { LeavingMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, reason: $0.reason) }
            : [LeavingMember(memberId: request.memberId)]
        let result = await context.broker.groupCoordinator.leave(groupId: request.groupId, leaving)
        guard batched else {
            let error = result.error != ErrorCode.none ? result.error : (result.members.first?.error ?? ErrorCode.none)
            return LeaveGroupResponse(errorCode: error.rawValue)
        }
        return LeaveGroupResponse(
            errorCode: result.error.rawValue,
            members: result.members.map { .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, errorCode: $0.error.rawValue) })
    }
}

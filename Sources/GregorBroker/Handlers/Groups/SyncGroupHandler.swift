// SyncGroup (key 14).
// v1: throttle time. v2: no change. v3: group.instance.id (KIP-345). v4: flexible. v5: the
// request must name the protocol type and name, and the response names them (KIP-559).
// Followers are parked in the group coordinator until the leader's assignment arrives.
// Needs READ on the group (GROUP_AUTHORIZATION_FAILED).
import GregorCoordination
import KafkaProtocol

enum SyncGroupHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...5

    static func handle(_ request: SyncGroupRequest, _ context: RequestContext) async throws -> SyncGroupResponse? {
        guard context.authorized(.read, .group, request.groupId) else {
            return SyncGroupResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        // KafkaApis: from v5 both are mandatory.
        if context.apiVersion >= 5 && (request.protocolType == nil || request.protocolName == nil) {
            return SyncGroupResponse(errorCode: ErrorCode.inconsistentGroupProtocol.rawValue)
        }
        let input = SyncInput(
            memberId: request.memberId, groupInstanceId: request.groupInstanceId, generationId: request.generationId,
            protocolType: request.protocolType, protocolName: request.protocolName,
            assignments: Dictionary(request.assignments.map { ($0.memberId, $0.assignment) }, uniquingKeysWith: { _, last in last }))
        let result = try await context.broker.groupCoordinator.sync(groupId: request.groupId, input)
        return SyncGroupResponse(
            errorCode: result.error.rawValue, protocolType: result.protocolType, protocolName: result.protocolName,
            assignment: result.assignment)
    }
}

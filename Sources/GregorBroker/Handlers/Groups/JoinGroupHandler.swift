// JoinGroup (key 11).
// v1: rebalance timeout (v0 uses the session timeout for both, as Kafka's JoinGroupRequest does).
// v2: throttle time. v3: no change. v4: a new member first gets MEMBER_ID_REQUIRED and an id
// (KIP-394). v5: group.instance.id, static membership (KIP-345). v6: flexible. v7: the response
// names the protocol type, and a missing protocol name is null instead of "" (KIP-559).
// v8: reason (KIP-800). v9: skip assignment for a rejoining static leader (KIP-814).
// The request is parked in the group coordinator until the join phase ends.
// Needs READ on the group (GROUP_AUTHORIZATION_FAILED, as JoinGroupRequest.getErrorResponse).
import GregorCoordination
import KafkaProtocol

enum JoinGroupHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...9

    static func handle(_ request: JoinGroupRequest, _ context: RequestContext) async throws -> JoinGroupResponse? {
        let version = context.apiVersion
        guard context.authorized(.read, .group, request.groupId) else {
            return JoinGroupResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue, protocolName: version >= 7 ? nil : "")
        }
        let input = JoinInput(
            memberId: request.memberId, groupInstanceId: request.groupInstanceId, clientId: context.clientId ?? "",
            clientHost: context.clientHost, protocolType: request.protocolType,
            protocols: request.protocols.map { ClassicGroupProtocol(name: $0.name, metadata: $0.metadata) },
            sessionTimeoutMs: request.sessionTimeoutMs,
            rebalanceTimeoutMs: version == 0 ? request.sessionTimeoutMs : request.rebalanceTimeoutMs,
            reason: request.reason, apiVersion: version)
        let result = try await context.broker.groupCoordinator.join(groupId: request.groupId, input)
        // Kafka's JoinGroupResponse constructor: "" before v7, null for "" from v7.
        let protocolName = version >= 7 ? result.protocolName.flatMap { $0.isEmpty ? nil : $0 } : (result.protocolName ?? "")
        return JoinGroupResponse(
            errorCode: result.error.rawValue, generationId: result.generationId, protocolType: result.protocolType,
            protocolName: protocolName, leader: result.leader, skipAssignment: result.skipAssignment,
            memberId: result.memberId,
            members: result.members.map { .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata) })
    }
}

// DeleteGroups (key 42).
// v1: responses sent before throttling. v2: flexible.
// Each group, classic or consumer (KIP-848): GROUP_ID_NOT_FOUND if unknown, NON_EMPTY_GROUP
// while it has members; duplicates
// are answered once (KafkaApis takes the distinct names). The group's committed offsets go
// with it (tombstones in __consumer_offsets, in the same write), as Kafka's
// GroupCoordinatorShard.deleteGroups does.
// Each group needs DELETE on it (GROUP_AUTHORIZATION_FAILED).
import GregorCoordination
import KafkaProtocol

enum DeleteGroupsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: DeleteGroupsRequest, _ context: RequestContext) async throws -> DeleteGroupsResponse? {
        var seen: Set<String> = []
        var results: [DeleteGroupsResponse.DeletableGroupResult] = []
        for groupId in request.groupsNames where seen.insert(groupId).inserted {
            guard context.authorized(.delete, .group, groupId) else {
                results.append(.init(groupId: groupId, errorCode: ErrorCode.groupAuthorizationFailed.rawValue))
                continue
            }
            let code = await context.broker.groupCoordinator.deleteGroup(groupId) ?? ErrorCode.none
            results.append(.init(groupId: groupId, errorCode: code.rawValue))
        }
        return DeleteGroupsResponse(results: results)
    }
}

// DeleteGroups (key 42).
// v1: responses sent before throttling. v2: flexible.
// Each group: GROUP_ID_NOT_FOUND if unknown, NON_EMPTY_GROUP while it has members; duplicates
// are answered once (KafkaApis takes the distinct names).
import GregorCoordination
import KafkaProtocol

enum DeleteGroupsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: DeleteGroupsRequest, _ context: RequestContext) async throws -> DeleteGroupsResponse? {
        var seen: Set<String> = []
        var results: [DeleteGroupsResponse.DeletableGroupResult] = []
        for groupId in request.groupsNames where seen.insert(groupId).inserted {
            let error = await context.broker.groupCoordinator.deleteGroup(groupId) ?? ErrorCode.none
            results.append(.init(groupId: groupId, errorCode: error.rawValue))
        }
        return DeleteGroupsResponse(results: results)
    }
}

// ListGroups (key 16).
// v1: throttle time. v2: no change. v3: flexible. v4: states filter and each group's state
// (KIP-518). v5: types filter and each group's type (KIP-848): "classic" or "consumer"; a
// consumer group's protocol type is "consumer" and its state one of Empty, Assigning,
// Reconciling, Stable. Filters are case-insensitive; an empty filter matches everything.
// DESCRIBE on the cluster lists every group; otherwise only the groups the caller may describe.
import GregorCoordination
import KafkaProtocol

enum ListGroupsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...5

    static func handle(_ request: ListGroupsRequest, _ context: RequestContext) async throws -> ListGroupsResponse? {
        let listed = await context.broker.groupCoordinator.listGroups(
            statesFilter: request.statesFilter, typesFilter: request.typesFilter)
        let visible = context.authorizedOnCluster(.describe)
            ? Set(listed.map(\.groupId)) : context.authorizedNames(.describe, .group, listed.map(\.groupId))
        return ListGroupsResponse(groups: listed.filter { visible.contains($0.groupId) }.map {
            .init(groupId: $0.groupId, protocolType: $0.protocolType, groupState: $0.state, groupType: $0.groupType)
        })
    }
}

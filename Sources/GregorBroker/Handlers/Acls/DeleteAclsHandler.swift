// DeleteAcls (key 31, KIP-11).
// v1: pattern type filter and in the answer (KIP-290); a v0 filter matches literal ACLs only.
// v2: flexible. v3: no change.
// Needs ALTER on the cluster; without an authorizer every filter is SECURITY_DISABLED. Each
// filter answers the ACLs it removed; an ACL matched by two filters is removed by the first. A
// filter with an UNKNOWN part is INVALID_REQUEST and removes nothing.
import KafkaProtocol

enum DeleteAclsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...3

    static func handle(_ request: DeleteAclsRequest, _ context: RequestContext) async throws -> DeleteAclsResponse? {
        func all(_ code: ErrorCode, _ message: String) -> DeleteAclsResponse {
            DeleteAclsResponse(filterResults: request.filters.map { _ in .init(errorCode: code.rawValue, errorMessage: message) })
        }
        guard let store = context.broker.acls else { return all(.securityDisabled, "No Authorizer is configured.") }
        guard context.authorizedOnCluster(.alter) else { return all(.clusterAuthorizationFailed, "Cluster authorization failed.") }
        let filters = request.filters.map {
            AclBindingFilter(resourceType: $0.resourceTypeFilter, resourceName: $0.resourceNameFilter, patternType: $0.patternTypeFilter,
                             principal: $0.principalFilter, host: $0.hostFilter, operation: $0.operation, permission: $0.permissionType)
        }
        let valid = filters.filter { $0.invalidReason == nil }
        let removed: [[AclBinding]]
        do {
            removed = try await store.delete(valid)
        } catch {
            context.logger.error("writing ACLs failed: \(error)")
            return all(.unknownServerError, "The ACLs could not be stored: \(error)")
        }
        var next = removed.makeIterator()
        var results: [DeleteAclsResponse.DeleteAclsFilterResult] = []
        for filter in filters {
            if let reason = filter.invalidReason {
                results.append(.init(errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: reason))
                continue
            }
            let acls = next.next() ?? []
            results.append(.init(errorCode: 0, errorMessage: nil, matchingAcls: acls.map {
                .init(errorCode: 0, errorMessage: nil, resourceType: $0.pattern.type.rawValue, resourceName: $0.pattern.name,
                      patternType: $0.pattern.patternType.rawValue, principal: $0.entry.principal, host: $0.entry.host,
                      operation: $0.entry.operation.rawValue, permissionType: $0.entry.permission.rawValue)
            }))
        }
        let count = removed.reduce(0) { $0 + $1.count }
        if count > 0 { context.logger.info("\(count) ACLs deleted by \(context.principal): \(removed.joined().map(\.description).joined(separator: "; "))") }
        return DeleteAclsResponse(filterResults: results)
    }
}

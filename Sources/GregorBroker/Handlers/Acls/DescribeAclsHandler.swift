// DescribeAcls (key 29, KIP-11).
// v1: pattern type filter and in the answer (KIP-290); a v0 filter matches literal ACLs only.
// v2: flexible. v3: no change.
// Needs DESCRIBE on the cluster; without an authorizer the answer is SECURITY_DISABLED. The
// matching ACLs are grouped by resource pattern (DescribeAclsResponse.aclsResources).
import KafkaProtocol

enum DescribeAclsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...3

    static func handle(_ request: DescribeAclsRequest, _ context: RequestContext) async throws -> DescribeAclsResponse? {
        guard let store = context.broker.acls else {
            return DescribeAclsResponse(errorCode: ErrorCode.securityDisabled.rawValue, errorMessage: "No Authorizer is configured on the broker")
        }
        guard context.authorizedOnCluster(.describe) else {
            return DescribeAclsResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, errorMessage: "Cluster authorization failed.")
        }
        let filter = AclBindingFilter(
            resourceType: request.resourceTypeFilter, resourceName: request.resourceNameFilter, patternType: request.patternTypeFilter,
            principal: request.principalFilter, host: request.hostFilter, operation: request.operation, permission: request.permissionType)
        if let reason = filter.invalidReason {
            return DescribeAclsResponse(errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: reason)
        }
        var order: [ResourcePattern] = []
        var byPattern: [ResourcePattern: [DescribeAclsResponse.AclDescription]] = [:]
        for acl in store.acls(matching: filter) {
            if byPattern[acl.pattern] == nil { order.append(acl.pattern) }
            byPattern[acl.pattern, default: []].append(.init(
                principal: acl.entry.principal, host: acl.entry.host, operation: acl.entry.operation.rawValue,
                permissionType: acl.entry.permission.rawValue))
        }
        return DescribeAclsResponse(errorCode: 0, errorMessage: nil, resources: order.map {
            .init(resourceType: $0.type.rawValue, resourceName: $0.name, patternType: $0.patternType.rawValue, acls: byPattern[$0]!)
        })
    }
}

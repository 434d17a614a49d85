import KafkaProtocol

extension CreateAclsRequest: ClientRequest { public typealias Response = CreateAclsResponse }
extension DescribeAclsRequest: ClientRequest { public typealias Response = DescribeAclsResponse }
extension DeleteAclsRequest: ClientRequest { public typealias Response = DeleteAclsResponse }

/// One ACL or ACL filter in wire codes (Kafka's ResourceType, PatternType, AclOperation and
/// AclPermissionType); nil names, principals and hosts match anything in a filter.
public struct AclSpec: Hashable, Sendable {
    public var resourceType: Int8
    public var resourceName: String?
    public var patternType: Int8
    public var principal: String?
    public var host: String?
    public var operation: Int8
    public var permission: Int8

    public init(resourceType: Int8, resourceName: String?, patternType: Int8, principal: String?, host: String?, operation: Int8,
                permission: Int8) {
        self.resourceType = resourceType
        self.resourceName = resourceName
        self.patternType = patternType
        self.principal = principal
        self.host = host
        self.operation = operation
        self.permission = permission
    }
}

extension KafkaClient {
    /// Creates ACLs (CreateAcls v3); throws on the first one refused.
    public func createAcls(_ acls: [AclSpec]) async throws {
        let response = try await send(CreateAclsRequest(creations: acls.map {
            .init(resourceType: $0.resourceType, resourceName: $0.resourceName ?? "", resourcePatternType: $0.patternType,
                  principal: $0.principal ?? "", host: $0.host ?? "*", operation: $0.operation, permissionType: $0.permission)
        }))
        for result in response.results {
            try GregorClientError.check(result.errorCode, result.errorMessage, "cannot create ACL")
        }
    }

    /// The ACLs matching a filter (DescribeAcls v3).
    public func describeAcls(_ filter: AclSpec) async throws -> [AclSpec] {
        let response = try await send(DescribeAclsRequest(
            resourceTypeFilter: filter.resourceType, resourceNameFilter: filter.resourceName, patternTypeFilter: filter.patternType,
            principalFilter: filter.principal, hostFilter: filter.host, operation: filter.operation, permissionType: filter.permission))
        try GregorClientError.check(response.errorCode, response.errorMessage, "cannot describe ACLs")
        return response.resources.flatMap { resource in
            resource.acls.map {
                AclSpec(resourceType: resource.resourceType, resourceName: resource.resourceName, patternType: resource.patternType,
                        principal: $0.principal, host: $0.host, operation: $0.operation, permission: $0.permissionType)
            }
        }
    }

    /// Deletes the ACLs matching a filter (DeleteAcls v3) and returns them.
    public func deleteAcls(_ filter: AclSpec) async throws -> [AclSpec] {
        let response = try await send(DeleteAclsRequest(filters: [.init(
            resourceTypeFilter: filter.resourceType, resourceNameFilter: filter.resourceName, patternTypeFilter: filter.patternType,
            principalFilter: filter.principal, hostFilter: filter.host, operation: filter.operation, permissionType: filter.permission)]))
        var deleted: [AclSpec] = []
        for result in response.filterResults {
            try GregorClientError.check(result.errorCode, result.errorMessage, "cannot delete ACLs")
            deleted += result.matchingAcls.map {
                AclSpec(resourceType: $0.resourceType, resourceName: $0.resourceName, patternType: $0.patternType, principal: $0.principal,
                        host: $0.host, operation: $0.operation, permission: $0.permissionType)
            }
        }
        return deleted
    }
}

// CreateAcls (key 30, KIP-11).
// v1: resource pattern type, for prefixed ACLs (KIP-290); v0 creates literal ACLs only.
// v2: flexible. v3: no change (KIP-896 would drop v0; the pinned spec keeps it).
// Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED for every creation); without an
// authorizer every creation is SECURITY_DISABLED, as in Kafka. Each creation is validated on its
// own (INVALID_REQUEST with Kafka's message); the valid ones are written durably together before
// the answer, and creating an ACL that exists succeeds.
import KafkaProtocol

enum CreateAclsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...3

    static func handle(_ request: CreateAclsRequest, _ context: RequestContext) async throws -> CreateAclsResponse? {
        func all(_ code: ErrorCode, _ message: String) -> CreateAclsResponse {
            CreateAclsResponse(results: request.creations.map { _ in .init(errorCode: code.rawValue, errorMessage: message) })
        }
        guard let store = context.broker.acls else { return all(.securityDisabled, "No Authorizer is configured.") }
        guard context.authorizedOnCluster(.alter) else {
            return all(.clusterAuthorizationFailed, "Cluster authorization failed.")
        }
        var results: [CreateAclsResponse.AclCreationResult] = []
        var valid: [AclBinding] = []
        for creation in request.creations {
            let binding = AclBinding(
                pattern: ResourcePattern(type: AclResourceType(rawValue: creation.resourceType) ?? .unknown, name: creation.resourceName,
                                         patternType: AclPatternType(rawValue: creation.resourcePatternType) ?? .unknown),
                entry: AccessControlEntry(principal: creation.principal, host: creation.host,
                                          operation: AclOperation(rawValue: creation.operation) ?? .unknown,
                                          permission: AclPermission(rawValue: creation.permissionType) ?? .unknown))
            if let reason = binding.invalidReason {
                results.append(.init(errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: reason))
            } else {
                valid.append(binding)
                results.append(.init(errorCode: 0, errorMessage: nil))
            }
        }
        do {
            try await store.create(valid)
        } catch {
            context.logger.error("writing ACLs failed: \(error)")
            for i in results.indices where results[i].errorCode == 0 {
                results[i] = .init(errorCode: ErrorCode.unknownServerError.rawValue, errorMessage: "The ACLs could not be stored: \(error)")
            }
        }
        if !valid.isEmpty { context.logger.info("ACLs created by \(context.principal): \(valid.map(\.description).joined(separator: "; "))") }
        return CreateAclsResponse(results: results)
    }
}

extension AclBinding: CustomStringConvertible {
    /// Kafka's AclBinding.toString layout.
    var description: String {
        "(pattern=ResourcePattern(resourceType=\(pattern.type.name), name=\(pattern.name), patternType=\(pattern.patternType.name)), "
            + "entry=(principal=\(entry.principal), host=\(entry.host), operation=\(entry.operation.name), permissionType=\(entry.permission.name)))"
    }
}

extension AclBindingFilter {
    /// A filter from its wire codes; codes this broker does not know become UNKNOWN, which the
    /// filter's validation refuses.
    init(resourceType: Int8, resourceName: String?, patternType: Int8, principal: String?, host: String?, operation: Int8, permission: Int8) {
        self.init(resourceType: AclResourceType(rawValue: resourceType) ?? .unknown, resourceName: resourceName,
                  patternType: AclPatternType(rawValue: patternType) ?? .unknown, principal: principal, host: host,
                  operation: AclOperation(rawValue: operation) ?? .unknown, permission: AclPermission(rawValue: permission) ?? .unknown)
    }
}

// The checks handlers make, Kafka's AuthHelper: without an authorizer everything is allowed,
// as in Kafka; with one, each request is decided against the ACLs as they are when it is
// handled.

extension RequestContext {
    /// The caller as ACLs name it: the principal and the IP address (Java's
    /// `getHostAddress()`, the client host without its leading `/`).
    var requester: AclRequester {
        AclRequester(principal: principal, host: clientHost.hasPrefix("/") ? String(clientHost.dropFirst()) : clientHost)
    }

    /// The ACLs as they are now, or nil without an authorizer.
    var authorizer: AclAuthorizer? { broker.acls?.authorizer }

    /// `AuthHelper.authorize` on one resource.
    func authorized(_ operation: AclOperation, _ type: AclResourceType, _ name: String) -> Bool {
        guard let authorizer else { return true }
        return authorizer.authorize(requester, operation, type, name)
    }

    /// `AuthHelper.authorize` on the cluster resource.
    func authorizedOnCluster(_ operation: AclOperation) -> Bool {
        authorized(operation, .cluster, ResourcePattern.clusterName)
    }

    /// `AuthHelper.filterByAuthorized`: the names the caller may perform `operation` on, each
    /// decided once against one view of the ACLs.
    func authorizedNames(_ operation: AclOperation, _ type: AclResourceType, _ names: some Sequence<String>) -> Set<String> {
        guard let authorizer else { return Set(names) }
        let requester = self.requester
        return Set(names.filter { authorizer.authorize(requester, operation, type, $0) })
    }

    /// `Authorizer.authorizeByResourceType` (KIP-679).
    func authorizedByResourceType(_ operation: AclOperation, _ type: AclResourceType) -> Bool {
        guard let authorizer else { return true }
        return authorizer.authorizeByResourceType(requester, operation, type)
    }

    /// `AuthHelper.authorizedOperations` (KIP-430): the bit field of the operations, of those
    /// Kafka lists for the resource type, that the caller may perform on the resource.
    func authorizedOperations(_ type: AclResourceType, _ name: String) -> Int32 {
        let supported = AclAuthorizer.supportedOperations(type)
        guard let authorizer else { return AuthorizedOperations.bitField(supported) }
        let requester = self.requester
        return AuthorizedOperations.bitField(supported.filter { authorizer.authorize(requester, $0, type, name) })
    }
}

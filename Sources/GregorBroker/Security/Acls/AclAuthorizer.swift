// Kafka's StandardAuthorizer decision (StandardAuthorizerData.authorize), as a pure value over
// the current ACLs:
// - `super.users` may do anything, whatever the ACLs say.
// - The ACLs that apply to a resource are the literal ones on its name, the literal ones on `*`
//   and the prefixed ones whose name is a prefix of it (KIP-290); of those, the ones whose
//   principal is the caller's or `User:*` and whose host is the caller's address or `*`.
// - A matching DENY wins over any ALLOW. An ALLOW of READ, WRITE, DELETE or ALTER also allows
//   DESCRIBE, and one of ALTER_CONFIGS allows DESCRIBE_CONFIGS; a DENY implies nothing.
// - When no ACL at all names the resource (for anyone), `allow.everyone.if.no.acl.found`
//   decides; otherwise the answer is no.

/// Who is asking, from where.
struct AclRequester: Sendable {
    /// `Type:name`, as the session's KafkaPrincipal prints.
    var principal: String
    /// The client's IP address, without Java's leading `/`.
    var host: String
}

/// The authorizer's settings (`super.users`, `allow.everyone.if.no.acl.found`).
public struct AclAuthorizerSettings: Sendable, Equatable {
    /// `super.users`: principals allowed everything.
    public var superUsers: Set<String> = []
    /// `allow.everyone.if.no.acl.found`.
    public var allowEveryoneIfNoAclFound = false

    public init(superUsers: Set<String> = [], allowEveryoneIfNoAclFound: Bool = false) {
        self.superUsers = superUsers
        self.allowEveryoneIfNoAclFound = allowEveryoneIfNoAclFound
    }

    /// Kafka's class names for its KRaft authorizer, and the ZooKeeper one that 4.0 removed but
    /// whose name old configurations still carry.
    static let classNames: Set<String> = [
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "kafka.security.authorizer.AclAuthorizer",
    ]
}

struct AclAuthorizer: Sendable {
    let settings: AclAuthorizerSettings
    /// Bindings by resource type, for the scan of one resource.
    private let byType: [AclResourceType: [AclBinding]]

    init(settings: AclAuthorizerSettings, acls: some Sequence<AclBinding>) {
        self.settings = settings
        var byType: [AclResourceType: [AclBinding]] = [:]
        for acl in acls { byType[acl.pattern.type, default: []].append(acl) }
        self.byType = byType
    }

    /// `KafkaPrincipal.USER_TYPE` wildcard: an ACL for `User:*` applies to every principal.
    static let wildcardPrincipal = "User:*"

    /// May `requester` perform `operation` on the resource `type`/`name`?
    func authorize(_ requester: AclRequester, _ operation: AclOperation, _ type: AclResourceType, _ name: String) -> Bool {
        if settings.superUsers.contains(requester.principal) { return true }
        var hasResourceAcls = false
        var allowed = false
        for acl in byType[type] ?? [] where Self.applies(acl.pattern, to: name) {
            hasResourceAcls = true
            switch Self.result(acl.entry, requester, operation) {
            case .deny?: return false
            case .allow?: allowed = true
            default: break
            }
        }
        if allowed { return true }
        return !hasResourceAcls && settings.allowEveryoneIfNoAclFound
    }

    /// Does the pattern name the resource?
    static func applies(_ pattern: ResourcePattern, to name: String) -> Bool {
        switch pattern.patternType {
        case .literal: pattern.name == name || pattern.name == ResourcePattern.wildcard
        case .prefixed: name.hasPrefix(pattern.name)
        default: false
        }
    }

    private static let impliesDescribe: Set<AclOperation> = [.describe, .read, .write, .delete, .alter]
    private static let impliesDescribeConfigs: Set<AclOperation> = [.describeConfigs, .alterConfigs]

    /// `StandardAuthorizerData.findResult`: what one ACL says about the request, or nil if it
    /// does not apply to it.
    static func result(_ entry: AccessControlEntry, _ requester: AclRequester, _ operation: AclOperation) -> AclPermission? {
        guard entry.principal == requester.principal || entry.principal == wildcardPrincipal else { return nil }
        guard entry.host == ResourcePattern.wildcard || entry.host == requester.host else { return nil }
        if entry.operation != .all {
            if entry.permission == .allow {
                switch operation {
                case .describe: guard impliesDescribe.contains(entry.operation) else { return nil }
                case .describeConfigs: guard impliesDescribeConfigs.contains(entry.operation) else { return nil }
                default: guard entry.operation == operation else { return nil }
                }
            } else if entry.operation != operation {
                return nil
            }
        }
        return entry.permission == .allow ? .allow : .deny
    }

    /// `Authorizer.authorizeByResourceType` (KIP-679): may the requester perform `operation` on
    /// at least one resource of `type`? True when an ALLOW for it exists that no DENY covers: a
    /// literal DENY on the same name, a prefixed DENY on a prefix of it, or a literal DENY on `*`.
    /// InitProducerId asks this of WRITE on topics for an idempotent producer without
    /// IDEMPOTENT_WRITE on the cluster.
    func authorizeByResourceType(_ requester: AclRequester, _ operation: AclOperation, _ type: AclResourceType) -> Bool {
        // Kafka asks about a made-up name first, so super users and the no-ACL default pass.
        if authorize(requester, operation, type, "hardcode") { return true }
        var denyLiteral: Set<String> = [], denyPrefixed: Set<String> = []
        var allowLiteral: Set<String> = [], allowPrefixed: Set<String> = []
        var wildcardAllow = false
        for acl in byType[type] ?? [] {
            let e = acl.entry
            guard e.host == requester.host || e.host == ResourcePattern.wildcard else { continue }
            guard e.principal == requester.principal || e.principal == Self.wildcardPrincipal else { continue }
            guard e.operation == operation || e.operation == .all else { continue }
            switch (e.permission, acl.pattern.patternType) {
            case (.deny, .literal):
                if acl.pattern.name == ResourcePattern.wildcard { return false }
                denyLiteral.insert(acl.pattern.name)
            case (.deny, .prefixed): denyPrefixed.insert(acl.pattern.name)
            case (.allow, .literal):
                if acl.pattern.name == ResourcePattern.wildcard { wildcardAllow = true } else { allowLiteral.insert(acl.pattern.name) }
            case (.allow, .prefixed): allowPrefixed.insert(acl.pattern.name)
            default: break
            }
        }
        if wildcardAllow { return true }
        func dominatedByDeniedPrefix(_ name: String) -> Bool {
            var prefix = ""
            for c in name {
                prefix.append(c)
                if denyPrefixed.contains(prefix) { return true }
            }
            return false
        }
        if allowLiteral.contains(where: { !denyLiteral.contains($0) && !dominatedByDeniedPrefix($0) }) { return true }
        return allowPrefixed.contains { !dominatedByDeniedPrefix($0) }
    }

    /// The operations Kafka lists for a resource type (`AclEntry.supportedOperations`): what an
    /// authorized-operations field (KIP-430) can contain.
    static func supportedOperations(_ type: AclResourceType) -> [AclOperation] {
        switch type {
        case .topic: [.read, .write, .create, .describe, .delete, .alter, .describeConfigs, .alterConfigs]
        case .group: [.read, .describe, .delete]
        case .cluster: [.create, .clusterAction, .describeConfigs, .alterConfigs, .idempotentWrite, .alter, .describe]
        case .transactionalId: [.describe, .write]
        case .delegationToken: [.describe]
        case .user: [.createTokens, .describeTokens]
        default: []
        }
    }
}

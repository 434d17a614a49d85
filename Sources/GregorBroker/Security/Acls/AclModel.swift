import Foundation

// Kafka's ACL vocabulary (KIP-11, prefixed patterns KIP-290), with the wire codes of
// `ResourceType`, `PatternType`, `AclOperation` and `AclPermissionType`. ANY, MATCH and UNKNOWN
// exist only in filters (DescribeAcls, DeleteAcls); a stored binding never carries them.

/// An ACL enum that `gregor acls` reads by Kafka's name (case-insensitive, `-` for `_`).
public protocol AclNamed: CaseIterable {
    var name: String { get }
}

extension AclNamed {
    public init?(name: String) {
        let wanted = name.uppercased().replacingOccurrences(of: "-", with: "_")
        guard let found = Self.allCases.first(where: { $0.name == wanted }) else { return nil }
        self = found
    }
}

/// Kafka's `ResourceType` codes.
public enum AclResourceType: Int8, Codable, CaseIterable, Sendable, AclNamed {
    case unknown = 0, any, topic, group, cluster, transactionalId, delegationToken, user

    /// The name Kafka prints and `gregor acls` accepts.
    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .topic: "TOPIC"
        case .group: "GROUP"
        case .cluster: "CLUSTER"
        case .transactionalId: "TRANSACTIONAL_ID"
        case .delegationToken: "DELEGATION_TOKEN"
        case .user: "USER"
        }
    }
}

/// Kafka's `PatternType` codes.
public enum AclPatternType: Int8, Codable, CaseIterable, Sendable, AclNamed {
    case unknown = 0, any, match, literal, prefixed

    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .match: "MATCH"
        case .literal: "LITERAL"
        case .prefixed: "PREFIXED"
        }
    }
}

/// Kafka's `AclOperation` codes; also the bit positions of an authorized-operations field.
public enum AclOperation: Int8, Codable, CaseIterable, Sendable, AclNamed {
    case unknown = 0, any, all, read, write, create, delete, alter, describe, clusterAction, describeConfigs, alterConfigs
    case idempotentWrite, createTokens, describeTokens

    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .all: "ALL"
        case .read: "READ"
        case .write: "WRITE"
        case .create: "CREATE"
        case .delete: "DELETE"
        case .alter: "ALTER"
        case .describe: "DESCRIBE"
        case .clusterAction: "CLUSTER_ACTION"
        case .describeConfigs: "DESCRIBE_CONFIGS"
        case .alterConfigs: "ALTER_CONFIGS"
        case .idempotentWrite: "IDEMPOTENT_WRITE"
        case .createTokens: "CREATE_TOKENS"
        case .describeTokens: "DESCRIBE_TOKENS"
        }
    }
}

/// Kafka's `AclPermissionType` codes.
public enum AclPermission: Int8, Codable, CaseIterable, Sendable, AclNamed {
    case unknown = 0, any, deny, allow

    public var name: String {
        switch self {
        case .unknown: "UNKNOWN"
        case .any: "ANY"
        case .deny: "DENY"
        case .allow: "ALLOW"
        }
    }
}

/// What an ACL applies to: a resource type, a name (or `*`) and how the name matches.
struct ResourcePattern: Hashable, Codable, Sendable {
    var type: AclResourceType
    var name: String
    var patternType: AclPatternType

    /// `ResourcePattern.WILDCARD_RESOURCE`: a literal ACL on `*` matches every name.
    static let wildcard = "*"
    /// The only name a CLUSTER resource has (`Resource.CLUSTER_NAME`).
    static let clusterName = "kafka-cluster"
}

/// Who may or may not do what from where.
struct AccessControlEntry: Hashable, Codable, Sendable {
    /// `Type:name`, e.g. `User:alice`; `User:*` matches every user.
    var principal: String
    /// An IP address, or `*` for any host.
    var host: String
    var operation: AclOperation
    var permission: AclPermission
}

/// One ACL: Kafka's `AclBinding`.
struct AclBinding: Hashable, Codable, Sendable {
    var pattern: ResourcePattern
    var entry: AccessControlEntry
}

/// Kafka's `AclBindingFilter`: nil names, principals and hosts match anything.
struct AclBindingFilter: Sendable {
    var resourceType: AclResourceType
    var resourceName: String?
    var patternType: AclPatternType
    var principal: String?
    var host: String?
    var operation: AclOperation
    var permission: AclPermission

    /// `ResourcePatternFilter.matches`: MATCH finds every pattern that would apply to the named
    /// resource (the literal name, the literal wildcard, and prefixes of it).
    func matches(_ pattern: ResourcePattern) -> Bool {
        if resourceType != .any && resourceType != pattern.type { return false }
        if patternType != .any && patternType != .match && patternType != pattern.patternType { return false }
        guard let resourceName else { return true }
        if patternType == .any || patternType == pattern.patternType { return resourceName == pattern.name }
        switch pattern.patternType {
        case .literal: return resourceName == pattern.name || pattern.name == ResourcePattern.wildcard
        case .prefixed: return resourceName.hasPrefix(pattern.name)
        default: return false
        }
    }

    /// `AccessControlEntryFilter.matches`.
    func matches(_ entry: AccessControlEntry) -> Bool {
        if let principal, principal != entry.principal { return false }
        if let host, host != entry.host { return false }
        if operation != .any && operation != entry.operation { return false }
        if permission != .any && permission != entry.permission { return false }
        return true
    }

    func matches(_ binding: AclBinding) -> Bool { matches(binding.pattern) && matches(binding.entry) }

    /// `AclControlManager.validateFilter`: a filter with an UNKNOWN part is refused
    /// (INVALID_REQUEST), as are codes this broker does not know.
    var invalidReason: String? {
        if resourceType == .unknown || patternType == .unknown { return "Unknown patternFilter." }
        if operation == .unknown || permission == .unknown { return "Unknown entryFilter." }
        return nil
    }
}

extension AclBinding {
    /// `AclControlManager.validateNewAcl` and AclApis' checks: the reason a binding may not be
    /// stored, or nil.
    var invalidReason: String? {
        switch pattern.type {
        case .unknown, .any: return "Invalid resourceType \(pattern.type.name)"
        default: break
        }
        switch pattern.patternType {
        case .literal, .prefixed: break
        default: return "Invalid patternType \(pattern.patternType.name)"
        }
        switch entry.operation {
        case .unknown, .any: return "Invalid operation \(entry.operation.name)"
        default: break
        }
        switch entry.permission {
        case .allow, .deny: break
        default: return "Invalid permissionType \(entry.permission.name)"
        }
        if pattern.name.isEmpty { return "Resource name should not be empty" }
        if pattern.type == .cluster && pattern.name != ResourcePattern.clusterName {
            return "The only valid name for the CLUSTER resource is \(ResourcePattern.clusterName)"
        }
        // SecurityUtils.parseKafkaPrincipal: "principalType:principalName".
        guard let colon = entry.principal.firstIndex(of: ":"), colon != entry.principal.startIndex else {
            return "expected a string in format principalType:principalName but got \(entry.principal)"
        }
        return nil
    }
}

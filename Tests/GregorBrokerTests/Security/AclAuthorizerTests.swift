import Testing

@testable import GregorBroker

/// StandardAuthorizer's decisions, as Kafka's StandardAuthorizerTest and AuthorizerTest check
/// them: super users, the no-ACL default, literal, wildcard and prefixed patterns, DENY over
/// ALLOW, implied DESCRIBE, hosts, `User:*`, and authorizeByResourceType (KIP-679).
struct AclAuthorizerTests {
    static let alice = AclRequester(principal: "User:alice", host: "10.0.0.1")
    static let bob = AclRequester(principal: "User:bob", host: "10.0.0.2")

    static func acl(_ name: String, _ principal: String, _ operation: AclOperation, _ permission: AclPermission = .allow,
                    pattern: AclPatternType = .literal, type: AclResourceType = .topic, host: String = "*") -> AclBinding {
        AclBinding(pattern: ResourcePattern(type: type, name: name, patternType: pattern),
                   entry: AccessControlEntry(principal: principal, host: host, operation: operation, permission: permission))
    }

    static func authorizer(_ acls: [AclBinding], superUsers: Set<String> = [], allowEveryone: Bool = false) -> AclAuthorizer {
        AclAuthorizer(settings: AclAuthorizerSettings(superUsers: superUsers, allowEveryoneIfNoAclFound: allowEveryone), acls: acls)
    }

    @Test func superUsersMayDoAnythingEvenAgainstADeny() {
        let a = Self.authorizer([Self.acl("t", "User:alice", .all, .deny)], superUsers: ["User:alice"])
        #expect(a.authorize(Self.alice, .write, .topic, "t"))
        #expect(a.authorize(Self.alice, .alter, .cluster, ResourcePattern.clusterName))
        #expect(!a.authorize(Self.bob, .write, .topic, "t"))
    }

    @Test func withoutAnyAclOnAResourceTheDefaultDecides() {
        #expect(!Self.authorizer([]).authorize(Self.alice, .read, .topic, "t"))
        #expect(Self.authorizer([], allowEveryone: true).authorize(Self.alice, .read, .topic, "t"))
        // An ACL on the resource for someone else means "no" for alice, whatever the default.
        let forBob = Self.authorizer([Self.acl("t", "User:bob", .read)], allowEveryone: true)
        #expect(!forBob.authorize(Self.alice, .read, .topic, "t"))
        #expect(forBob.authorize(Self.alice, .read, .topic, "other"))
        // A prefixed ACL counts for every name it covers.
        let prefixed = Self.authorizer([Self.acl("t", "User:bob", .read, pattern: .prefixed)], allowEveryone: true)
        #expect(!prefixed.authorize(Self.alice, .read, .topic, "topic"))
        #expect(prefixed.authorize(Self.alice, .read, .topic, "other"))
    }

    @Test func literalWildcardAndPrefixedPatternsMatchTheirNames() {
        let a = Self.authorizer([
            Self.acl("orders", "User:alice", .read),
            Self.acl("pay", "User:alice", .write, pattern: .prefixed),
            Self.acl("*", "User:alice", .describe),
            Self.acl("*", "User:alice", .delete, pattern: .prefixed),
        ])
        #expect(a.authorize(Self.alice, .read, .topic, "orders"))
        #expect(!a.authorize(Self.alice, .read, .topic, "orders2"))
        #expect(!a.authorize(Self.alice, .read, .topic, "order"))
        #expect(a.authorize(Self.alice, .write, .topic, "payments"))
        #expect(a.authorize(Self.alice, .write, .topic, "pay"))
        #expect(!a.authorize(Self.alice, .write, .topic, "pa"))
        #expect(a.authorize(Self.alice, .describe, .topic, "anything"))
        // A prefixed `*` is the literal prefix "*", not a wildcard.
        #expect(!a.authorize(Self.alice, .delete, .topic, "anything"))
        #expect(a.authorize(Self.alice, .delete, .topic, "*stars"))
        // Resource types do not mix.
        #expect(!a.authorize(Self.alice, .read, .group, "orders"))
    }

    @Test func aDenyWinsOverAnyAllow() {
        let a = Self.authorizer([
            Self.acl("*", "User:alice", .write),
            Self.acl("secret", "User:alice", .write, .deny, pattern: .prefixed),
            Self.acl("public", "User:*", .all, .deny),
        ])
        #expect(a.authorize(Self.alice, .write, .topic, "orders"))
        #expect(!a.authorize(Self.alice, .write, .topic, "secret-plans"))
        #expect(!a.authorize(Self.alice, .write, .topic, "public"))
    }

    @Test func readWriteDeleteAndAlterImplyDescribeButADenyImpliesNothing() {
        for op in [AclOperation.read, .write, .delete, .alter] {
            #expect(Self.authorizer([Self.acl("t", "User:alice", op)]).authorize(Self.alice, .describe, .topic, "t"))
        }
        #expect(!Self.authorizer([Self.acl("t", "User:alice", .create)]).authorize(Self.alice, .describe, .topic, "t"))
        #expect(Self.authorizer([Self.acl("t", "User:alice", .alterConfigs)]).authorize(Self.alice, .describeConfigs, .topic, "t"))
        #expect(!Self.authorizer([Self.acl("t", "User:alice", .describeConfigs)]).authorize(Self.alice, .alterConfigs, .topic, "t"))
        // DENY READ does not deny DESCRIBE; DENY ALL does.
        let denyRead = Self.authorizer([Self.acl("t", "User:alice", .describe), Self.acl("t", "User:alice", .read, .deny)])
        #expect(denyRead.authorize(Self.alice, .describe, .topic, "t"))
        #expect(!denyRead.authorize(Self.alice, .read, .topic, "t"))
        let denyAll = Self.authorizer([Self.acl("t", "User:alice", .describe), Self.acl("t", "User:alice", .all, .deny)])
        #expect(!denyAll.authorize(Self.alice, .describe, .topic, "t"))
        // ALLOW ALL allows every operation.
        #expect(Self.authorizer([Self.acl("t", "User:alice", .all)]).authorize(Self.alice, .alterConfigs, .topic, "t"))
    }

    @Test func hostsAndTheWildcardPrincipal() {
        let a = Self.authorizer([
            Self.acl("t", "User:alice", .read, host: "10.0.0.1"),
            Self.acl("u", "User:*", .read),
            Self.acl("v", "User:*", .read, host: "10.0.0.2"),
        ])
        #expect(a.authorize(Self.alice, .read, .topic, "t"))
        #expect(!a.authorize(AclRequester(principal: "User:alice", host: "10.0.0.9"), .read, .topic, "t"))
        #expect(a.authorize(Self.alice, .read, .topic, "u") && a.authorize(Self.bob, .read, .topic, "u"))
        #expect(!a.authorize(Self.alice, .read, .topic, "v") && a.authorize(Self.bob, .read, .topic, "v"))
        // Only User:* is a wildcard; principals compare exactly.
        #expect(!Self.authorizer([Self.acl("t", "User:Alice", .read)]).authorize(Self.alice, .read, .topic, "t"))
    }

    @Test func authorizeByResourceTypeNeedsAnAllowNoDenyCovers() {
        let write = AclOperation.write
        #expect(!Self.authorizer([]).authorizeByResourceType(Self.alice, write, .topic))
        #expect(Self.authorizer([], allowEveryone: true).authorizeByResourceType(Self.alice, write, .topic))
        #expect(Self.authorizer([], superUsers: ["User:alice"]).authorizeByResourceType(Self.alice, write, .topic))
        #expect(Self.authorizer([Self.acl("t", "User:alice", write)]).authorizeByResourceType(Self.alice, write, .topic))
        #expect(!Self.authorizer([Self.acl("t", "User:alice", write)]).authorizeByResourceType(Self.bob, write, .topic))
        // A literal DENY on the same name, a DENY on a prefix of it, or a DENY on `*` cancels it.
        #expect(!Self.authorizer([Self.acl("t", "User:alice", write), Self.acl("t", "User:alice", write, .deny)])
            .authorizeByResourceType(Self.alice, write, .topic))
        #expect(!Self.authorizer([Self.acl("topic", "User:alice", write), Self.acl("to", "User:alice", write, .deny, pattern: .prefixed)])
            .authorizeByResourceType(Self.alice, write, .topic))
        #expect(!Self.authorizer([Self.acl("topic", "User:alice", write), Self.acl("*", "User:*", .all, .deny)])
            .authorizeByResourceType(Self.alice, write, .topic))
        // A DENY on another name leaves the ALLOW standing; READ is not WRITE.
        #expect(Self.authorizer([Self.acl("topic", "User:alice", write), Self.acl("other", "User:alice", write, .deny)])
            .authorizeByResourceType(Self.alice, write, .topic))
        #expect(!Self.authorizer([Self.acl("topic", "User:alice", .read)]).authorizeByResourceType(Self.alice, write, .topic))
    }

    @Test func filtersMatchAsKafkasResourcePatternFilter() {
        let literal = ResourcePattern(type: .topic, name: "orders", patternType: .literal)
        let wildcard = ResourcePattern(type: .topic, name: "*", patternType: .literal)
        let prefixed = ResourcePattern(type: .topic, name: "ord", patternType: .prefixed)
        func filter(_ name: String?, _ pattern: AclPatternType, _ type: AclResourceType = .topic) -> AclBindingFilter {
            AclBindingFilter(resourceType: type, resourceName: name, patternType: pattern, principal: nil, host: nil, operation: .any, permission: .any)
        }
        #expect([literal, wildcard, prefixed].map(filter("orders", .match).matches) == [true, true, true])
        #expect([literal, wildcard, prefixed].map(filter("orders", .any).matches) == [true, false, false])
        #expect([literal, wildcard, prefixed].map(filter("ord", .prefixed).matches) == [false, false, true])
        #expect([literal, wildcard, prefixed].map(filter(nil, .literal).matches) == [true, true, false])
        #expect([literal, wildcard, prefixed].map(filter(nil, .any, .group).matches) == [false, false, false])
        #expect([literal, wildcard, prefixed].map(filter(nil, .any, .any).matches) == [true, true, true])
        #expect(filter(nil, .unknown).invalidReason != nil)
    }

    @Test func bindingsAreValidatedAsKafkasController() {
        #expect(Self.acl("t", "User:alice", .read).invalidReason == nil)
        #expect(Self.acl("t", "User:alice", .read, type: .any).invalidReason == "Invalid resourceType ANY")
        #expect(Self.acl("t", "User:alice", .read, pattern: .match).invalidReason == "Invalid patternType MATCH")
        #expect(Self.acl("t", "User:alice", .any).invalidReason == "Invalid operation ANY")
        #expect(Self.acl("t", "User:alice", .read, .any).invalidReason == "Invalid permissionType ANY")
        #expect(Self.acl("", "User:alice", .read).invalidReason == "Resource name should not be empty")
        #expect(Self.acl("my-cluster", "User:alice", .alter, type: .cluster).invalidReason
            == "The only valid name for the CLUSTER resource is kafka-cluster")
        #expect(Self.acl("t", "alice", .read).invalidReason?.hasPrefix("expected a string in format principalType:principalName") == true)
    }
}

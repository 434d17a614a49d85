import ArgumentParser
import GregorBroker
import GregorClient

/// `gregor acls`: ACLs through CreateAcls, DescribeAcls and DeleteAcls, as `kafka-acls.sh` manages
/// them. The broker needs `authorizer.class.name`, and the caller ALTER (or DESCRIBE) on the
/// cluster: over a PLAINTEXT listener that caller is `User:ANONYMOUS`.
struct Acls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acls", abstract: "Add, list and remove ACLs.", subcommands: [Add.self, List.self, Remove.self])

    /// The resource options, of which `add` needs exactly one and the others at most one.
    struct Resource: ParsableArguments {
        @Option(help: "A topic name (or * for all topics).") var topic: String?
        @Option(help: "A consumer group id (or *).") var group: String?
        @Flag(help: "The cluster.") var cluster = false
        @Option(name: .customLong("transactional-id"), help: "A transactional id (or *).") var transactionalId: String?
        @Option(name: .customLong("delegation-token"), help: "A delegation token id (or *).") var delegationToken: String?
        @Option(help: "A user principal's name, for CREATE_TOKENS and DESCRIBE_TOKENS.") var user: String?
        @Option(name: .customLong("resource-pattern-type"), help: "LITERAL or PREFIXED (add); ANY, MATCH, LITERAL or PREFIXED (list, remove).")
        var patternType: String?

        func selected() throws -> (AclResourceType, String)? {
            var chosen: [(AclResourceType, String)] = []
            if let topic { chosen.append((.topic, topic)) }
            if let group { chosen.append((.group, group)) }
            if cluster { chosen.append((.cluster, "kafka-cluster")) }
            if let transactionalId { chosen.append((.transactionalId, transactionalId)) }
            if let delegationToken { chosen.append((.delegationToken, delegationToken)) }
            if let user { chosen.append((.user, user.contains(":") ? user : "User:\(user)")) }
            guard chosen.count <= 1 else { throw ValidationError("name one resource: --topic, --group, --cluster, --transactional-id, --delegation-token or --user") }
            return chosen.first
        }

        func pattern(default fallback: AclPatternType) throws -> AclPatternType {
            guard let patternType else { return fallback }
            guard let p = AclPatternType(name: patternType) else { throw ValidationError("unknown pattern type \(patternType)") }
            return p
        }
    }

    struct Entry: ParsableArguments {
        @Option(help: "The principal, e.g. User:alice (User:* for everyone).") var principal: String?
        @Option(help: "The client's IP address, or * for any host.") var host: String?
        @Option(help: "READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, CREATE_TOKENS, DESCRIBE_TOKENS or ALL; repeatable.")
        var operation: [String] = []
        @Flag(help: "A DENY rule instead of ALLOW.") var deny = false

        func operations() throws -> [AclOperation] {
            try operation.map {
                guard let op = AclOperation(name: $0) else { throw ValidationError("unknown operation \($0)") }
                return op
            }
        }
    }

    static func line(_ acl: AclSpec) -> String {
        let type = AclResourceType(rawValue: acl.resourceType)?.name ?? "\(acl.resourceType)"
        let pattern = AclPatternType(rawValue: acl.patternType)?.name ?? "\(acl.patternType)"
        let op = AclOperation(rawValue: acl.operation)?.name ?? "\(acl.operation)"
        let permission = AclPermission(rawValue: acl.permission)?.name ?? "\(acl.permission)"
        return "\(type):\(pattern):\(acl.resourceName ?? "")\t\(acl.principal ?? "")\t\(acl.host ?? "")\t\(permission) \(op)"
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allow (or with --deny, deny) a principal operations on a resource.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var resource: Resource
        @OptionGroup var entry: Entry

        func run() async throws {
            guard let (type, name) = try resource.selected() else { throw ValidationError("name a resource") }
            guard let principal = entry.principal else { throw ValidationError("--principal is required") }
            let operations = try entry.operations()
            guard !operations.isEmpty else { throw ValidationError("name at least one --operation") }
            let pattern = try resource.pattern(default: .literal)
            let acls = operations.map {
                AclSpec(resourceType: type.rawValue, resourceName: name, patternType: pattern.rawValue, principal: principal,
                        host: entry.host ?? "*", operation: $0.rawValue, permission: (entry.deny ? AclPermission.deny : .allow).rawValue)
            }
            try await connection.withClient { try await $0.createAcls(acls) }
            for acl in acls { print("Added\t\(Acls.line(acl))") }
        }
    }

    static func filter(_ resource: Resource, _ entry: Entry) throws -> AclSpec {
        let selected = try resource.selected()
        let operations = try entry.operations()
        guard operations.count <= 1 else { throw ValidationError("name at most one --operation to filter on") }
        return AclSpec(
            resourceType: (selected?.0 ?? .any).rawValue, resourceName: selected?.1,
            patternType: try resource.pattern(default: selected == nil ? .any : .literal).rawValue, principal: entry.principal,
            host: entry.host, operation: (operations.first ?? .any).rawValue,
            permission: (entry.deny ? AclPermission.deny : .any).rawValue)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the ACLs matching the options (all of them without any).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var resource: Resource
        @OptionGroup var entry: Entry

        func run() async throws {
            let filter = try Acls.filter(resource, entry)
            for acl in try await connection.withClient({ try await $0.describeAcls(filter) }) { print(Acls.line(acl)) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the ACLs matching the options (a resource or a principal is required).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var resource: Resource
        @OptionGroup var entry: Entry

        func run() async throws {
            guard try resource.selected() != nil || entry.principal != nil else { throw ValidationError("name a resource or a --principal") }
            let filter = try Acls.filter(resource, entry)
            for acl in try await connection.withClient({ try await $0.deleteAcls(filter) }) { print("Removed\t\(Acls.line(acl))") }
        }
    }
}

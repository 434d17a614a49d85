import Crypto
import Foundation
import GregorStorage
import NIOCore
import Synchronization

/// The ACLs (CreateAcls, DeleteAcls). A broker on its own keeps them in the first log
/// directory: each change is written and fsynced before it is acknowledged, as Kafka's
/// controller commits AccessControlEntryRecords before answering, and read back at startup. A
/// cluster member keeps them in etcd, one key per binding, so every broker enforces the same ones.
final class AclStore: Sendable {
    /// The file's name in the first log directory.
    static let fileName = "__gregor_acls.json"
    /// The kind under `<prefix>/security/` in etcd.
    static let kind = "acls"

    private struct File: Codable {
        var acls: [AclBinding]
    }

    private let table: SecurityTable<AclBinding>
    private let current: SecurityDerived<AclAuthorizer>

    /// ACLs durable in `directory`.
    convenience init(directory: String, settings: AclAuthorizerSettings) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        var acls: [AclBinding] = []
        if let data = FileManager.default.contents(atPath: path) {
            do {
                acls = try JSONDecoder().decode(File.self, from: data).acls
            } catch {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: error])
            }
        }
        self.init(settings: settings, backing: .file(save: { acls in
            try writeFileDurably(ByteBuffer(bytes: try JSONEncoder.sorted.encode(File(acls: acls))), to: path)
        }), initial: acls)
    }

    /// ACLs kept by the cluster: they arrive through `apply`.
    convenience init(settings: AclAuthorizerSettings, cluster: any SecurityEntrySink) {
        self.init(settings: settings, backing: .cluster(kind: Self.kind, sink: cluster), initial: [])
    }

    private init(settings: AclAuthorizerSettings, backing: SecurityTable<AclBinding>.Backing, initial: [AclBinding]) {
        let current = SecurityDerived(AclAuthorizer(settings: settings, acls: initial))
        self.current = current
        table = SecurityTable(backing: backing, initial: initial, key: Self.key) { acls in
            current.withLock { $0 = AclAuthorizer(settings: $0.settings, acls: acls) }
        }
    }

    /// A binding's name in etcd: the SHA-256 of its JSON, so creating an existing one is the
    /// same key (Kafka gives each ACL a Uuid but refuses duplicates).
    static func key(_ binding: AclBinding) -> String {
        let json = (try? JSONEncoder.sorted.encode(binding)) ?? Data()
        return SHA256.hash(data: json).map { String(format: "%02x", $0) }.joined()
    }

    /// The decision procedure over the ACLs as they are now.
    var authorizer: AclAuthorizer { current.withLock { $0 } }

    /// Every binding the filter matches, in the order Kafka's StandardAuthorizer keeps them.
    func acls(matching filter: AclBindingFilter) -> [AclBinding] {
        table.entries.filter(filter.matches).sorted(by: AclBinding.kafkaOrder)
    }

    /// The cluster's changes, as the etcd watch brings them.
    func apply(_ changes: [(key: String, value: [UInt8]?)]) -> [String] { table.apply(changes) }

    /// Adds the bindings not already there (creating an existing ACL succeeds, as in Kafka);
    /// durable before it returns.
    func create(_ bindings: [AclBinding]) async throws {
        try await table.change { _, acls in
            for b in bindings where acls[Self.key(b)] == nil { acls[Self.key(b)] = b }
        }
    }

    /// Removes what each filter matches; an ACL matched by several filters is answered by the
    /// first (AclControlManager.deleteAcls). Durable before it returns.
    func delete(_ filters: [AclBindingFilter]) async throws -> [[AclBinding]] {
        try await table.change { entries, acls in
            let ordered = entries.sorted(by: AclBinding.kafkaOrder)
            var removed = Set<AclBinding>()
            var results: [[AclBinding]] = []
            for filter in filters {
                let matched = ordered.filter { filter.matches($0) && !removed.contains($0) }
                removed.formUnion(matched)
                results.append(matched)
            }
            for b in removed { acls[Self.key(b)] = nil }
            return results
        }
    }
}

extension AclBinding {
    /// StandardAcl.compareTo: resource type, then resource name in reverse (so a prefix comes
    /// after the names it covers), pattern type, operation, principal, host, permission; names
    /// compared as Java compares strings, by UTF-16 code unit.
    static func kafkaOrder(_ a: AclBinding, _ b: AclBinding) -> Bool {
        func utf16(_ s: String) -> [UInt16] { Array(s.utf16) }
        if a.pattern.type != b.pattern.type { return a.pattern.type.rawValue < b.pattern.type.rawValue }
        if a.pattern.name != b.pattern.name { return utf16(b.pattern.name).lexicographicallyPrecedes(utf16(a.pattern.name)) }
        if a.pattern.patternType != b.pattern.patternType { return a.pattern.patternType.rawValue < b.pattern.patternType.rawValue }
        if a.entry.operation != b.entry.operation { return a.entry.operation.rawValue < b.entry.operation.rawValue }
        if a.entry.principal != b.entry.principal { return utf16(a.entry.principal).lexicographicallyPrecedes(utf16(b.entry.principal)) }
        if a.entry.host != b.entry.host { return utf16(a.entry.host).lexicographicallyPrecedes(utf16(b.entry.host)) }
        return a.entry.permission.rawValue < b.entry.permission.rawValue
    }
}

import Foundation
import GregorStorage
import NIOCore
import Synchronization

/// The ACLs (CreateAcls, DeleteAcls), durable in the first log directory: each change is written
/// and fsynced before it is acknowledged, as Kafka's controller commits AccessControlEntryRecords
/// before answering, and read back at startup.
final class AclStore: Sendable {
    private let path: String
    private struct State {
        /// In creation order, as DescribeAcls lists them.
        var acls: [AclBinding]
        var authorizer: AclAuthorizer
    }
    private let state: Mutex<State>

    /// The file's name in the first log directory.
    static let fileName = "__gregor_acls.json"

    private struct File: Codable {
        var acls: [AclBinding]
    }

    init(directory: String, settings: AclAuthorizerSettings) throws {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        var acls: [AclBinding] = []
        if let data = FileManager.default.contents(atPath: path) {
            do {
                acls = try JSONDecoder().decode(File.self, from: data).acls
            } catch {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: error])
            }
        }
        state = Mutex(State(acls: acls, authorizer: AclAuthorizer(settings: settings, acls: acls)))
    }

    /// The decision procedure over the ACLs as they are now.
    var authorizer: AclAuthorizer { state.withLock { $0.authorizer } }

    /// Every binding the filter matches.
    func acls(matching filter: AclBindingFilter) -> [AclBinding] {
        state.withLock { $0.acls.filter(filter.matches) }
    }

    /// Adds the bindings not already there (creating an existing ACL succeeds, as in Kafka) and
    /// writes the result before returning.
    func create(_ bindings: [AclBinding]) throws {
        try change { acls in
            var present = Set(acls)
            for b in bindings where present.insert(b).inserted { acls.append(b) }
        }
    }

    /// Removes what each filter matches; an ACL matched by several filters is answered by the
    /// first (AclControlManager.deleteAcls). Written before returning.
    func delete(_ filters: [AclBindingFilter]) throws -> [[AclBinding]] {
        var results: [[AclBinding]] = []
        try change { acls in
            var removed = Set<AclBinding>()
            for filter in filters {
                let matched = acls.filter { filter.matches($0) && !removed.contains($0) }
                removed.formUnion(matched)
                results.append(matched)
            }
            acls.removeAll { removed.contains($0) }
        }
        return results
    }

    private func change(_ body: (inout [AclBinding]) -> Void) throws {
        try state.withLock { state in
            var next = state.acls
            body(&next)
            guard next != state.acls else { return }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try writeFileDurably(ByteBuffer(bytes: try encoder.encode(File(acls: next))), to: path)
            state = State(acls: next, authorizer: AclAuthorizer(settings: state.authorizer.settings, acls: next))
        }
    }
}

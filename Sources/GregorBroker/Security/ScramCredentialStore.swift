import Foundation
import GregorStorage
import NIOCore

/// SCRAM credentials by user and mechanism (KIP-554). A broker on its own keeps them in the
/// first log directory: every change is written (and fsynced) before it is acknowledged, and
/// read back at startup. A cluster member keeps them in etcd, one key per user and mechanism,
/// so a user created through one broker logs in at every broker.
final class ScramCredentialStore: Sendable {
    /// The file's name in the first log directory.
    static let fileName = "__gregor_scram_credentials.json"
    /// The kind under `<prefix>/security/` in etcd.
    static let kind = "scram"

    struct Entry: Codable, Equatable, Sendable {
        var user: String
        var mechanism: ScramMechanism
        var credential: ScramCredential
    }

    private struct File: Codable {
        var credentials: [Entry]
    }

    private let table: SecurityTable<Entry>

    /// Credentials durable in `directory`.
    init(directory: String) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        var loaded: [Entry] = []
        if let data = FileManager.default.contents(atPath: path) {
            do {
                loaded = try JSONDecoder().decode(File.self, from: data).credentials
            } catch {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: error])
            }
        }
        table = SecurityTable(backing: .file(save: { entries in
            let sorted = entries.sorted { ($0.user, $0.mechanism.rawValue) < ($1.user, $1.mechanism.rawValue) }
            try writeFileDurably(ByteBuffer(bytes: try JSONEncoder.sorted.encode(File(credentials: sorted))), to: path)
        }), initial: loaded, key: Self.key)
    }

    /// Credentials kept by the cluster: they arrive through `apply`.
    init(cluster: any SecurityEntrySink) {
        table = SecurityTable(backing: .cluster(kind: Self.kind, sink: cluster), key: Self.key)
    }

    /// The mechanism first: a user name may hold any character, the separator too.
    static func key(_ entry: Entry) -> String { key(entry.user, entry.mechanism) }
    static func key(_ user: String, _ mechanism: ScramMechanism) -> String { "\(mechanism.rawValue)/\(user)" }

    func credential(_ user: String, _ mechanism: ScramMechanism) -> ScramCredential? {
        table.entry(Self.key(user, mechanism))?.credential
    }

    /// Every user with credentials, and the mechanisms each has.
    var all: [String: [ScramMechanism: ScramCredential]] {
        var all: [String: [ScramMechanism: ScramCredential]] = [:]
        for e in table.entries { all[e.user, default: [:]][e.mechanism] = e.credential }
        return all
    }

    /// The cluster's changes, as the etcd watch brings them.
    func apply(_ changes: [(key: String, value: [UInt8]?)]) -> [String] { table.apply(changes) }

    /// Applies deletions then upsertions; durable before it returns.
    func alter(delete: [(String, ScramMechanism)], upsert: [(String, ScramMechanism, ScramCredential)]) async throws {
        try await table.change { _, entries in
            for (user, mechanism) in delete { entries[Self.key(user, mechanism)] = nil }
            for (user, mechanism, credential) in upsert {
                entries[Self.key(user, mechanism)] = Entry(user: user, mechanism: mechanism, credential: credential)
            }
        }
    }
}

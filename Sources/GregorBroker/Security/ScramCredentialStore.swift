import Foundation
import GregorStorage
import NIOCore
import Synchronization

/// SCRAM credentials by user and mechanism (KIP-554), durable in the metadata directory: every
/// change is written (and fsynced) before it is acknowledged, and read back at startup.
final class ScramCredentialStore: Sendable {
    private let path: String
    private let credentials: Mutex<[String: [ScramMechanism: ScramCredential]]>

    /// The file's name in the first log directory.
    static let fileName = "__gregor_scram_credentials.json"

    init(directory: String) throws {
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        var loaded: [String: [ScramMechanism: ScramCredential]] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            do {
                let file = try JSONDecoder().decode(File.self, from: data)
                for entry in file.credentials { loaded[entry.user, default: [:]][entry.mechanism] = entry.credential }
            } catch {
                throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path, NSUnderlyingErrorKey: error])
            }
        }
        credentials = Mutex(loaded)
    }

    private struct File: Codable {
        struct Entry: Codable {
            var user: String
            var mechanism: ScramMechanism
            var credential: ScramCredential
        }
        var credentials: [Entry]
    }

    func credential(_ user: String, _ mechanism: ScramMechanism) -> ScramCredential? {
        credentials.withLock { $0[user]?[mechanism] }
    }

    /// Every user with credentials, and the mechanisms each has.
    var all: [String: [ScramMechanism: ScramCredential]] { credentials.withLock { $0 } }

    /// Applies deletions then upsertions and writes the result before returning.
    func alter(delete: [(String, ScramMechanism)], upsert: [(String, ScramMechanism, ScramCredential)]) throws {
        try credentials.withLock { current in
            var next = current
            for (user, mechanism) in delete {
                next[user]?[mechanism] = nil
                if next[user]?.isEmpty == true { next[user] = nil }
            }
            for (user, mechanism, credential) in upsert { next[user, default: [:]][mechanism] = credential }
            let entries = next.keys.sorted().flatMap { user in
                next[user]!.keys.sorted { $0.rawValue < $1.rawValue }.map { File.Entry(user: user, mechanism: $0, credential: next[user]![$0]!) }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try writeFileDurably(ByteBuffer(bytes: try encoder.encode(File(credentials: entries))), to: path)
            current = next
        }
    }
}

import Foundation
import Synchronization

/// Where a cluster member keeps the security stores' entries: etcd, one key per entry. KRaft
/// keeps them as records in the metadata log (AccessControlEntryRecord,
/// UserScramCredentialRecord, ClientQuotaRecord, DelegationTokenRecord), so every broker
/// authorizes and authenticates alike whichever one took the change.
protocol SecurityEntrySink: Sendable {
    /// Writes `puts` and `deletes` of `kind`'s entries, each conditional on the entry's revision
    /// as this broker last saw it, and returns once this broker's watch has applied the outcome.
    /// False when an entry changed meanwhile (nothing was written).
    func commitSecurity(_ kind: String, puts: [String: [UInt8]], deletes: [String]) async throws -> Bool
}

/// The entries of one security store (ACLs, SCRAM credentials, client quotas or delegation
/// tokens) by a key naming each, kept either in a file of the first log directory (a broker on
/// its own: written and fsynced before a change is acknowledged) or in etcd (a cluster member:
/// written with a compare-and-swap and applied from the watch, like every other metadata).
final class SecurityTable<Entry: Codable & Equatable & Sendable>: Sendable {
    enum Backing: Sendable {
        /// Writes every entry before a change is acknowledged.
        case file(save: @Sendable ([Entry]) throws -> Void)
        /// The store's kind under `<prefix>/security/`, and the member that writes to etcd.
        case cluster(kind: String, sink: any SecurityEntrySink)
    }


    let backing: Backing
    /// Names an entry.
    let keyOf: @Sendable (Entry) -> String
    private let didChange: @Sendable ([Entry]) -> Void
    private let state: Mutex<[String: Entry]>

    /// - Parameters:
    ///   - initial: the entries read back from the file.
    ///   - key: names an entry; two entries with one key are one entry.
    ///   - didChange: told every entry after each change, under the table's lock, so what is
    ///     derived from them (an authorizer, quota rates) never goes back to an older state.
    init(backing: Backing, initial: [Entry] = [], key: @escaping @Sendable (Entry) -> String,
         didChange: @escaping @Sendable ([Entry]) -> Void = { _ in }) {
        self.backing = backing
        self.keyOf = key
        self.didChange = didChange
        let entries = Dictionary(initial.map { (key($0), $0) }, uniquingKeysWith: { $1 })
        state = Mutex(entries)
        didChange(Self.ordered(entries))
    }

    var isCluster: Bool {
        if case .cluster = backing { return true }
        return false
    }

    /// Every entry, in the order of their keys (a store sorts them as Kafka lists them).
    var entries: [Entry] { state.withLock { Self.ordered($0) } }

    func entry(_ key: String) -> Entry? { state.withLock { $0[key] } }

    private static func ordered(_ entries: [String: Entry]) -> [Entry] {
        entries.sorted { $0.key < $1.key }.map(\.value)
    }

    /// Makes a change decided by `body` on the entries as they are (in key order), and
    /// returns what `body` returned once it is durable. In a cluster `body` runs again on the
    /// newer entries when another broker changed one it touched meanwhile.
    func change<R>(_ body: ([Entry], inout [String: Entry]) -> R) async throws -> R {
        switch backing {
        case .file(let save):
            return try state.withLock { entries in
                var next = entries
                let result = body(Self.ordered(entries), &next)
                guard next != entries else { return result }
                try save(Self.ordered(next))
                entries = next
                didChange(Self.ordered(entries))
                return result
            }
        case .cluster(let kind, let sink):
            for _ in 0..<16 {
                let current = state.withLock { $0 }
                var next = current
                let result = body(Self.ordered(current), &next)
                var puts: [String: [UInt8]] = [:]
                let encoder = JSONEncoder.sorted
                for (k, entry) in next where current[k] != entry { puts[k] = Array(try encoder.encode(entry)) }
                let deletes = current.keys.filter { next[$0] == nil }
                if puts.isEmpty && deletes.isEmpty { return result }
                if try await sink.commitSecurity(kind, puts: puts, deletes: deletes) { return result }
            }
            throw SecurityTableConflict(kind: kind)
        }
    }

    /// What the etcd watch brought: each entry put or deleted (nil).
    /// An entry that does not decode is skipped and named in the result.
    @discardableResult
    func apply(_ changes: [(key: String, value: [UInt8]?)]) -> [String] {
        let decoder = JSONDecoder()
        var undecodable: [String] = []
        state.withLock { entries in
            for change in changes {
                guard let value = change.value else {
                    entries[change.key] = nil
                    continue
                }
                guard let entry = try? decoder.decode(Entry.self, from: Data(value)) else {
                    undecodable.append(change.key)
                    continue
                }
                entries[change.key] = entry
            }
            didChange(Self.ordered(entries))
        }
        return undecodable
    }
}

/// A security change that lost the compare-and-swap again and again to other brokers' changes.
struct SecurityTableConflict: Error, CustomStringConvertible {
    var kind: String
    var description: String { "the cluster's \(kind) kept changing while this change was written; try again" }
}

/// What a store derives from its table's entries (an authorizer, the quotas by entity), shared
/// by reference with the table's change hook.
final class SecurityDerived<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ initial: Value) { value = Mutex(initial) }

    func withLock<R>(_ body: (inout Value) -> R) -> R { value.withLock { body(&$0) } }
}

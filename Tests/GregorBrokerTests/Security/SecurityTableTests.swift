import Foundation
import Synchronization
import Testing

@testable import GregorBroker

/// The table behind the security stores: a file for a broker on its own, etcd's
/// compare-and-swap for a cluster member. The etcd side is driven here by a sink that stands
/// for another broker racing this one (the real etcd path runs in `Interop/cluster/security.py`).
@Suite struct SecurityTableTests {
    struct Item: Codable, Equatable, Sendable {
        var name: String
        var value: Int
    }

    @Test func aFileTableSavesEveryChangeAndNothingWhenNothingChanged() async throws {
        let saved = Mutex<[[String]]>([])
        let table = SecurityTable<Item>(
            backing: .file(save: { items in saved.withLock { $0.append(items.map(\.name)) } }),
            initial: [Item(name: "b", value: 1), Item(name: "a", value: 2)], key: \.name)
        try await table.change { _, items in items["c"] = Item(name: "c", value: 3) }
        try await table.change { _, items in items["b"] = nil }
        try await table.change { _, items in items["a"] = Item(name: "a", value: 2) }
        #expect(saved.withLock { $0 } == [["a", "b", "c"], ["a", "c"]])
        #expect(table.entries.map(\.name) == ["a", "c"])
    }

    @Test func aFailedSaveLeavesTheEntriesAsTheyWere() async throws {
        struct Full: Error {}
        let table = SecurityTable<Item>(backing: .file(save: { _ in throw Full() }), initial: [Item(name: "a", value: 1)], key: \.name)
        await #expect(throws: Full.self) { try await table.change { _, items in items["a"] = nil } }
        #expect(table.entries == [Item(name: "a", value: 1)])
    }

    /// Stands for the member writing to etcd: the first commit loses to another broker, whose
    /// entry arrives through the watch, as etcd answers a failed compare.
    final class RacingSink: SecurityEntrySink {
        let table = Mutex<SecurityTable<Item>?>(nil)
        let commits = Mutex<[(puts: [String], deletes: [String])]>([])

        func commitSecurity(_ kind: String, puts: [String: [UInt8]], deletes: [String]) async throws -> Bool {
            let first = commits.withLock { c in
                c.append((puts.keys.sorted(), deletes.sorted()))
                return c.count == 1
            }
            let table = self.table.withLock { $0 }!
            if first {
                table.apply([(key: "x", value: Array(#"{"name":"x","value":7}"#.utf8))])
                return false
            }
            var changes: [(key: String, value: [UInt8]?)] = deletes.map { ($0, nil) }
            for (k, v) in puts { changes.append((k, v)) }
            table.apply(changes)
            return true
        }
    }

    @Test func aClusterChangeLosingACompareIsDecidedAgainOnTheNewerEntries() async throws {
        let sink = RacingSink()
        let table = SecurityTable<Item>(backing: .cluster(kind: "items", sink: sink), key: \.name)
        sink.table.withLock { $0 = table }
        table.apply([(key: "a", value: Array(#"{"name":"a","value":1}"#.utf8))])
        // Doubles every value it sees: the second attempt must see "x" too.
        let seen = try await table.change { ordered, items -> [String] in
            for item in ordered { items[item.name]?.value = item.value * 2 }
            return ordered.map(\.name)
        }
        #expect(seen == ["a", "x"])
        #expect(sink.commits.withLock { $0.map(\.puts) } == [["a"], ["a", "x"]])
        #expect(table.entries == [Item(name: "a", value: 2), Item(name: "x", value: 14)])
    }

    @Test func theWatchAppliesPutsAndDeletesAndSkipsWhatDoesNotDecode() {
        let changed = Mutex(0)
        let table = SecurityTable<Item>(backing: .cluster(kind: "items", sink: RacingSink()), key: \.name,
                                        didChange: { _ in changed.withLock { $0 += 1 } })
        let bad = table.apply([
            (key: "late", value: Array(#"{"name":"late","value":1}"#.utf8)),
            (key: "early", value: Array(#"{"name":"early","value":1}"#.utf8)),
            (key: "broken", value: Array("{".utf8)),
        ])
        #expect(bad == ["broken"])
        #expect(table.entries.map(\.name) == ["early", "late"])
        table.apply([(key: "early", value: nil)])
        #expect(table.entries.map(\.name) == ["late"])
        #expect(changed.withLock { $0 } == 3)
    }
}

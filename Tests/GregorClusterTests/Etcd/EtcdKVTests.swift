import GregorCluster
import Testing

/// Keys, ranges and transactions against a real etcd.
@Suite(.timeLimit(.minutes(1)))
struct EtcdKVTests {
    @Test func putGetAndRangeCarryRevisions() async throws {
        try await withEtcd { etcd, _ in
            let first = try await etcd.put("/t/b", "1".bytes)
            let second = try await etcd.put("/t/a", "2".bytes)
            let third = try await etcd.put("/t/b", "3".bytes)
            try await etcd.put("/t/empty", [])
            try await etcd.put("/t0", "outside".bytes)
            #expect(second == first + 1 && third == second + 1)

            let b = try #require(try await etcd.get("/t/b"))
            #expect(b == EtcdKeyValue(key: "/t/b", value: "3".bytes, createRevision: first, modRevision: third, version: 2))
            #expect(try await etcd.get("/t/empty")?.value == [])
            #expect(try await etcd.get("/t/none") == nil)

            let (kvs, revision) = try await etcd.range(prefix: "/t/")
            #expect(kvs.map(\.key) == ["/t/a", "/t/b", "/t/empty"])
            #expect(revision == third + 2)

            let deleted = try await etcd.delete("/t/a")
            #expect(deleted == revision + 1)
            #expect(try await etcd.get("/t/a") == nil)
            #expect(try await etcd.delete(prefix: "/t/").deleted == 2)
            #expect(try await etcd.range(prefix: "/t/").kvs.isEmpty)
            #expect(try await etcd.get("/t0") != nil)
        }
    }

    @Test func rangeReadsAPrefixLargerThanOnePageAtOneRevision() async throws {
        try await withEtcd { etcd, _ in
            // 1,234 keys in transactions of 100 puts (etcd's default cap is 128 operations).
            let keys = (0..<1234).map { String(format: "/big/%05d", $0) }
            for start in stride(from: 0, to: keys.count, by: 100) {
                let ops = keys[start..<min(start + 100, keys.count)].map { EtcdOp.put(key: $0, value: Array($0.utf8)) }
                #expect(try await etcd.txn(if: [], then: ops).succeeded)
            }
            let (kvs, revision) = try await etcd.range(prefix: "/big/")
            #expect(kvs.map(\.key) == keys)
            #expect(kvs.allSatisfy { $0.value == Array($0.key.utf8) })
            #expect(revision == kvs.map(\.modRevision).max())
        }
    }

    @Test func anEmptyPrefixRangesOverEveryKey() async throws {
        try await withEtcd { etcd, _ in
            try await etcd.put("a", [1])
            try await etcd.put("\u{7f}z", [2])
            #expect(try await etcd.range(prefix: "").kvs.map(\.key) == ["a", "\u{7f}z"])
        }
    }

    @Test func txnSwapsOnlyAtTheExpectedModRevision() async throws {
        try await withEtcd { etcd, _ in
            let written = try await etcd.put("/k", "v1".bytes)
            let swapped = try await etcd.txn(if: [.modRevision(key: "/k", equals: written)], then: [.put(key: "/k", value: "v2".bytes), .get("/k")])
            #expect(swapped.succeeded)
            #expect(swapped.revision == written + 1)
            #expect(swapped.responses.first == .put)
            #expect(swapped.responses.last?.kvs?.first?.value == "v2".bytes)

            // The same compare again is stale: the else branch runs and shows what is there.
            let stale = try await etcd.txn(if: [.modRevision(key: "/k", equals: written)], then: [.put(key: "/k", value: "v3".bytes)],
                                           else: [.get("/k")])
            #expect(!stale.succeeded)
            #expect(stale.revision == swapped.revision)
            #expect(stale.responses.first?.kvs?.first?.modRevision == swapped.revision)
            #expect(try await etcd.get("/k")?.value == "v2".bytes)
        }
    }

    @Test func txnCreatesOnlyWhenTheKeyIsAbsent() async throws {
        try await withEtcd { etcd, _ in
            let create = { (value: String) in
                try await etcd.txn(if: [.createRevision(key: "/id", equals: 0)], then: [.put(key: "/id", value: value.bytes)], else: [.get("/id")])
            }
            #expect(try await create("first").succeeded)
            let second = try await create("second")
            #expect(!second.succeeded)
            #expect(second.responses.first?.kvs?.first?.value == "first".bytes)
            // modRevision 0 is "absent" too.
            #expect(try await etcd.txn(if: [.modRevision(key: "/other", equals: 0)], then: [.put(key: "/other", value: [])]).succeeded)
            #expect(!(try await etcd.txn(if: [.modRevision(key: "/other", equals: 0)], then: []).succeeded))
        }
    }

    @Test func txnComparesValuesAndVersionsAndDeletesPrefixes() async throws {
        try await withEtcd { etcd, _ in
            try await etcd.put("/p/1", "x".bytes)
            try await etcd.put("/p/2", "y".bytes)
            try await etcd.put("/p/2", "z".bytes)
            #expect(!(try await etcd.txn(if: [.value(key: "/p/1", equals: "y".bytes)], then: []).succeeded))
            #expect(!(try await etcd.txn(if: [.version(key: "/p/2", equals: 1)], then: []).succeeded))
            let result = try await etcd.txn(if: [.value(key: "/p/1", equals: "x".bytes), .version(key: "/p/2", equals: 2)],
                                            then: [.getPrefix("/p/"), .deletePrefix("/p/"), .delete(key: "/p/none")])
            #expect(result.succeeded)
            #expect(result.responses == [.range(result.responses[0].kvs ?? []), .delete(deleted: 2), .delete(deleted: 0)])
            #expect(result.responses[0].kvs?.map(\.key) == ["/p/1", "/p/2"])
            #expect(try await etcd.range(prefix: "/p/").kvs.isEmpty)
        }
    }

    @Test func etcdErrorsComeBackWithEtcdsMessage() async throws {
        try await withEtcd { etcd, _ in
            // More operations than etcd's --max-txn-ops (128).
            let ops = (0..<200).map { EtcdOp.put(key: "/many/\($0)", value: []) }
            let error = try await #require(throws: EtcdError.self) { try await etcd.txn(if: [], then: ops) }
            #expect(error.code == .server)
            #expect(error.message.contains("too many operations in txn request"), "\(error)")
            #expect(error.httpStatus == 400)
        }
    }

    /// Not an assertion on speed: prints the latency of a put on loopback for the record.
    @Test func putLatencyOnLoopback() async throws {
        try await withEtcd { etcd, _ in
            try await etcd.put("/warm", [])
            let clock = ContinuousClock()
            let count = 200
            let elapsed = try await clock.measure {
                for i in 0..<count { try await etcd.put("/latency", Array("\(i)".utf8)) }
            }
            let perPut = elapsed / count
            print("etcd put latency on loopback: \(perPut) per put (\(count) sequential puts on one kept-alive connection)")
            // Only pathologies fail it (a connection per put, a delayed ACK on every request): etcd
            // fsyncs each put, which a loaded machine makes slow.
            #expect(perPut < .seconds(1))
        }
    }
}

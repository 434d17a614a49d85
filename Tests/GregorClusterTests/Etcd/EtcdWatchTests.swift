import GregorCluster
import GregorTestSupport
import Testing

/// Watches: the changes under a prefix, from a revision on, in order.
@Suite(.timeLimit(.minutes(1)))
struct EtcdWatchTests {
    /// The events of a watch until `count` have arrived, with the batches' revisions.
    func collect(_ stream: AsyncThrowingStream<EtcdWatchBatch, any Error>, count: Int) async throws -> (events: [EtcdEvent], revisions: [Int64]) {
        var events: [EtcdEvent] = []
        var revisions: [Int64] = []
        for try await batch in stream {
            events += batch.events
            revisions.append(batch.revision)
            if events.count >= count { break }
        }
        return (events, revisions)
    }

    @Test func deliversPutsAndDeletesFromARevisionOnInOrder() async throws {
        try await withEtcd { etcd, _ in
            let before = try await etcd.put("/w/old", "0".bytes)   // before fromRevision: not delivered
            let from = try await etcd.put("/w/a", "1".bytes)
            try await etcd.put("/w0", "outside".bytes)
            let deleted = try await etcd.delete("/w/a")
            let stream = etcd.watch(prefix: "/w/", fromRevision: from)
            let lease = try await etcd.grantLease(ttlSeconds: 30)
            let later = try await etcd.put("/w/b", "2".bytes, lease: lease.id)
            _ = try await etcd.txn(if: [], then: [.put(key: "/w/c", value: "3".bytes), .deletePrefix("/w/b")])

            let (events, revisions) = try await collect(stream, count: 5)
            #expect(events.map(\.kind) == [.put, .delete, .put, .put, .delete])
            #expect(events.map(\.kv.key) == ["/w/a", "/w/a", "/w/b", "/w/c", "/w/b"])
            #expect(events.map(\.kv.modRevision) == [from, deleted, later, later + 1, later + 1])
            #expect(events[0].kv.value == "1".bytes && events[0].kv.createRevision == from)
            #expect(events[1].kv.value.isEmpty && events[1].kv.createRevision == 0)
            #expect(events[2].kv.lease == lease.id)
            #expect(revisions == revisions.sorted() && revisions.last == later + 1)
            #expect(before < from)
        }
    }

    @Test func keepsUpWithManyEventsBeforeAndAfterItStarts() async throws {
        try await withEtcd { etcd, _ in
            let start = try await etcd.put("/m/start", [])
            // More than the thousand revisions etcd sends a catching-up watcher at once, from 8 writers.
            let before = 1200, after = 300
            try await putConcurrently(etcd, keys: (0..<before).map { "/m/\($0)" })
            let stream = etcd.watch(prefix: "/m/", fromRevision: start + 1)
            try await putConcurrently(etcd, keys: (before..<before + after).map { "/m/\($0)" })

            var seen: [EtcdEvent] = []
            for try await batch in stream {
                // A batch's revision covers its events: resuming after it would miss nothing.
                #expect(batch.events.allSatisfy { $0.kv.modRevision <= batch.revision })
                seen += batch.events
                if seen.count >= before + after { break }
            }
            #expect(seen.count == before + after)
            #expect(Set(seen.map(\.kv.key)) == Set((0..<before + after).map { "/m/\($0)" }))
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.kv.modRevision < $1.kv.modRevision })
            #expect(seen.first?.kv.modRevision == start + 1)
        }
    }

    func putConcurrently(_ etcd: EtcdClient, keys: [String]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for key in keys.enumerated().filter({ $0.offset % 8 == writer }).map(\.element) { try await etcd.put(key, Array(key.utf8)) }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func aCompactedStartRevisionEndsTheWatchWithTheCompactRevision() async throws {
        try await withEtcd { etcd, _ in
            try await etcd.put("/c/1", [])
            try await etcd.put("/c/1", [])
            let latest = try await etcd.put("/c/1", [])
            try await etcd.compact(revision: latest)
            let error = try await #require(throws: EtcdError.self) {
                for try await _ in etcd.watch(prefix: "/c/", fromRevision: 2) {}
            }
            #expect(error.code == .compacted)
            #expect(error.compactRevision == latest)
            let read = try await #require(throws: EtcdError.self) { try await etcd.get("/c/1", revision: 2) }
            #expect(read.code == .compacted)
        }
    }

    @Test func cancellingTheConsumerClosesTheWatch() async throws {
        try await withEtcd { etcd, server in
            let stream = etcd.watch(prefix: "/x/", fromRevision: 0)
            let consumer = Task { for try await _ in stream {} }
            let watching = try await waitForWatchers(server, count: 1)
            #expect(watching)
            consumer.cancel()
            _ = await consumer.result
            // etcd drops its watcher only when our connection closes.
            let closed = try await waitForWatchers(server, count: 0)
            #expect(closed)
        }
    }

    /// Polls etcd's own gauge of watchers until it reads `count` (or 5 s pass).
    func waitForWatchers(_ server: EtcdServer, count: Int) async throws -> Bool {
        for _ in 0..<100 {
            let metrics = EtcdServer.get("/metrics", port: server.clientPort) ?? ""
            if metrics.contains("\netcd_debugging_mvcc_watcher_total \(count)\n") { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test func aDroppedConnectionEndsTheStreamWithAnError() async throws {
        try await withEtcd { etcd, server in
            let stream = etcd.watch(prefix: "/d/", fromRevision: try await etcd.put("/d/1", []))
            var iterator = stream.makeAsyncIterator()
            #expect(try await iterator.next()?.events.count == 1)
            server.stop()
            let error = try await #require(throws: EtcdError.self) { while try await iterator.next() != nil {} }
            #expect(error.code == .connectionLost)
        }
    }

    @Test func aQuietWatchReportsProgress() async throws {
        try await withEtcd(arguments: ["--experimental-watch-progress-notify-interval", "300ms"]) { etcd, _ in
            try await etcd.put("/elsewhere", [])
            let revision = try await etcd.put("/elsewhere", [])
            var iterator = etcd.watch(prefix: "/quiet/", fromRevision: 0).makeAsyncIterator()
            let batch = try #require(try await iterator.next())
            #expect(batch.events.isEmpty)
            #expect(batch.revision == revision)
        }
    }
}

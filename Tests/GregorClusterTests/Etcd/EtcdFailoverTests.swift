import GregorCluster
import GregorTestSupport
import NIOCore
import NIOPosix
import Testing

/// Dead members, broken connections and answers etcd never sends.
@Suite(.timeLimit(.minutes(1)))
struct EtcdFailoverTests {
    func client(_ ports: [Int], timeout: TimeAmount = .seconds(5)) -> EtcdClient {
        EtcdClient(endpoints: ports.map { EtcdEndpoint(host: "127.0.0.1", port: $0) }, group: MultiThreadedEventLoopGroup.singleton,
                   requestTimeout: timeout, logger: etcdTestLogger)
    }

    @Test func requestsGoPastADeadEndpointToALiveOne() async throws {
        let server = try await EtcdServer.start()
        defer { server.stop() }
        let dead = try EtcdServer.DeadPort()
        let etcd = client([dead.port, server.clientPort])
        defer { etcd.close() }
        let revision = try await etcd.put("/f/1", "v".bytes)
        #expect(try await etcd.get("/f/1")?.modRevision == revision)
        #expect(try await etcd.range(prefix: "/f/").kvs.count == 1)
        let lease = try await etcd.grantLease(ttlSeconds: 10)
        #expect(try await etcd.keepAlive(lease: lease.id) == 10)
        var watch = etcd.watch(prefix: "/f/", fromRevision: revision).makeAsyncIterator()
        #expect(try await watch.next()?.events.first?.kv.key == "/f/1")
        withExtendedLifetime(dead) {}
    }

    @Test func onlyDeadEndpointsFailPromptly() async throws {
        let dead = (try EtcdServer.DeadPort(), try EtcdServer.DeadPort())
        let etcd = client([dead.0.port, dead.1.port])
        let clock = ContinuousClock()
        let started = clock.now
        let error = try await #require(throws: EtcdError.self) { try await etcd.put("/f/1", []) }
        #expect(error.code == .unreachable)
        let watchError = try await #require(throws: EtcdError.self) { for try await _ in etcd.watch(prefix: "/", fromRevision: 0) {} }
        #expect(watchError.code == .unreachable)
        // Refused at once, not a hang (the bound leaves room for a loaded machine's stalls).
        #expect(clock.now - started < .seconds(10))
        withExtendedLifetime(dead) {}
    }

    @Test func aBrokenConnectionRetriesReadsButNotWrites() async throws {
        let server = try await EtcdServer.start()
        defer { server.stop() }
        let closer = try await CannedHTTPServer.start(.closeOnRequest)
        let etcd = client([closer.port, server.clientPort])
        defer { etcd.close() }
        // The write reached something and lost its answer: applying it twice is not this client's call.
        let write = try await #require(throws: EtcdError.self) { try await etcd.put("/f/1", []) }
        #expect(write.code == .connectionLost)
        #expect(try await etcd.get("/f/1") == nil)
        await closer.stop()
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        let silent = try await CannedHTTPServer.start(.silent)
        let etcd = client([silent.port], timeout: .milliseconds(300))
        let clock = ContinuousClock()
        let started = clock.now
        let error = try await #require(throws: EtcdError.self) { try await etcd.get("/k") }
        #expect(error.code == .timeout)
        let watchError = try await #require(throws: EtcdError.self) { for try await _ in etcd.watch(prefix: "/", fromRevision: 0) {} }
        #expect(watchError.code == .timeout)
        // The 300 ms timeout, not the 5 s default of each of the two calls (with room for a loaded machine's stalls).
        #expect(clock.now - started < .seconds(10))
        await silent.stop()
    }

    @Test func answersEtcdNeverSendsAreErrorsNotCrashes() async throws {
        let cases: [(CannedHTTPServer.Behaviour, EtcdError.Code)] = [
            (CannedHTTPServer.http("200 OK", "not json"), .malformedAnswer),
            (CannedHTTPServer.http("200 OK", "{}"), .malformedAnswer),   // no header revision
            (CannedHTTPServer.http("200 OK", #"{"header":{"revision":"x"}}"#), .malformedAnswer),
            (CannedHTTPServer.http("200 OK", #"{"header":{"revision":"9"},"kvs":[{"key":"%%%"}]}"#), .malformedAnswer),
            (CannedHTTPServer.http("502 Bad Gateway", "<html>oops</html>", contentType: "text/html"), .server),
            (.answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"header\""), .connectionLost),   // cut short
            (.answer("not http at all\r\n\r\n"), .connectionLost),
        ]
        for (behaviour, code) in cases {
            let canned = try await CannedHTTPServer.start(behaviour)
            let etcd = client([canned.port], timeout: .seconds(2))
            let error = try await #require(throws: EtcdError.self) { try await etcd.get("/k") }
            #expect(error.code == code, "\(behaviour): \(error)")
            let watchError = try await #require(throws: EtcdError.self) { for try await _ in etcd.watch(prefix: "/", fromRevision: 0) {} }
            #expect(watchError.code != .timeout, "\(behaviour): \(watchError)")
            await canned.stop()
        }
    }

    @Test func aWatchThatGoesBadAfterItStartedEndsWithTheReason() async throws {
        let lines = #"{"result":{"header":{"revision":"7"},"created":true}}"# + "\n"
            + #"{"result":{"header":{"revision":"8"},"events":[{"kv":{"key":"L2EvMQ==","mod_revision":"8","value":"eA=="}}]}}"# + "\n"
            + "not json\n"
        let canned = try await CannedHTTPServer.start(CannedHTTPServer.http("200 OK", lines))
        let etcd = client([canned.port])
        var iterator = etcd.watch(prefix: "/a/", fromRevision: 0).makeAsyncIterator()
        let batch = try await iterator.next()
        #expect(batch == EtcdWatchBatch(revision: 8, events: [EtcdEvent(kind: .put, kv: EtcdKeyValue(key: "/a/1", value: "x".bytes,
                                                                                                      createRevision: 0, modRevision: 8, version: 0))]))
        let error = try await #require(throws: EtcdError.self) { _ = try await iterator.next() }
        #expect(error.code == .malformedAnswer)
        await canned.stop()
    }
}

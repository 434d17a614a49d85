import GregorCluster
import Testing

/// Leases: keys that live only while their owner keeps the lease alive.
@Suite(.timeLimit(.minutes(1)))
struct EtcdLeaseTests {
    @Test func revokingALeaseDeletesItsKeys() async throws {
        try await withEtcd { etcd, _ in
            let lease = try await etcd.grantLease(ttlSeconds: 30)
            #expect(lease.ttl == 30)
            try await etcd.put("/brokers/1", "up".bytes, lease: lease.id)
            #expect(try await etcd.get("/brokers/1")?.lease == lease.id)
            #expect(try await etcd.timeToLive(lease: lease.id).map { $0 > 25 } == true)
            #expect(try await etcd.keepAlive(lease: lease.id) == 30)

            try await etcd.revoke(lease: lease.id)
            #expect(try await etcd.get("/brokers/1") == nil)
            let again = try await #require(throws: EtcdError.self) { try await etcd.revoke(lease: lease.id) }
            #expect(again.code == .leaseNotFound)
        }
    }

    @Test func aLeaseNotKeptAliveExpiresWithItsKeys() async throws {
        try await withEtcd { etcd, _ in
            // etcd raises a TTL below its minimum (1.5 x the election timeout, rounded up: 2 s by default).
            let lease = try await etcd.grantLease(ttlSeconds: 1)
            #expect(lease.ttl == 2)
            try await etcd.put("/brokers/2", "up".bytes, lease: lease.id)
            #expect(try await etcd.keepAlive(lease: lease.id) == 2)

            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(6)
            while try await etcd.get("/brokers/2") != nil, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await etcd.get("/brokers/2") == nil)

            // Renewing it now is the distinct error a broker acts on (it must re-register).
            let renew = try await #require(throws: EtcdError.self) { try await etcd.keepAlive(lease: lease.id) }
            #expect(renew.code == .leaseNotFound)
            #expect(try await etcd.timeToLive(lease: lease.id) == nil)
            let put = try await #require(throws: EtcdError.self) { try await etcd.put("/brokers/2", [], lease: lease.id) }
            #expect(put.code == .leaseNotFound)
        }
    }

    @Test func keepingALeaseAliveOutlastsItsTTL() async throws {
        try await withEtcd { etcd, _ in
            // A TTL with room for a loaded machine's stalls; kept alive past it twice over.
            let lease = try await etcd.grantLease(ttlSeconds: 4)
            try await etcd.put("/brokers/3", "up".bytes, lease: lease.id)
            for _ in 0..<16 {
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await etcd.keepAlive(lease: lease.id) == 4)
            }
            #expect(try await etcd.get("/brokers/3") != nil)
        }
    }

    @Test func aLeaseThatNeverExistedIsNotFound() async throws {
        try await withEtcd { etcd, _ in
            let error = try await #require(throws: EtcdError.self) { try await etcd.keepAlive(lease: 12345) }
            #expect(error.code == .leaseNotFound)
        }
    }
}

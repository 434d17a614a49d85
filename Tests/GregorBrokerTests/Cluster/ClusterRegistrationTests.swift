import Foundation
import GregorClient
import GregorCluster
import GregorTestSupport
import Logging
import Testing

@testable import GregorBroker

/// A broker's registration in a real etcd.
@Suite struct ClusterRegistrationTests {
    func member(_ etcd: EtcdServer, sessionTimeoutMs: Int64 = 3000) throws -> ClusterMember {
        var settings = try ClusterSettings(store: "etcd://\(etcd.endpoint)")
        settings.prefix = "/registration-test"
        settings.sessionTimeoutMs = sessionTimeoutMs
        settings.heartbeatIntervalMs = 500
        return ClusterMember(
            nodeId: 1, settings: settings, defaults: .init(partitions: 1, replicationFactor: 1, uncleanLeaderElection: false),
            security: ClientSecurity(), interBrokerListener: "PLAINTEXT", logger: Logger(label: "test"))
    }

    /// A fenced broker registers again from its lease renewal and its watch at once: the one that
    /// loses the race takes the winner's registration, under the lease the broker renews, as its
    /// own at once. (It waited for that registration to expire, and the renewal, stuck waiting,
    /// renewed nothing: the broker dropped out of the cluster every session timeout, for good.)
    @Test func twoRegistrationsAtOnceAgreeOnOne() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        // A long session, so waiting for the other registration to expire (the bug) takes 20 s,
        // far from anything a loaded machine makes of the race itself.
        let member = try member(etcd, sessionTimeoutMs: 20_000)
        let registration = BrokerRegistration(id: 1, incarnationId: "i", endpoints: [])
        let start = ContinuousClock.now
        async let renewal: Void = member.register(registration)
        async let watch: Void = member.register(registration)
        _ = try await (renewal, watch)
        #expect(ContinuousClock.now - start < .seconds(10))
        let (kvs, _) = try await member.etcd.range(prefix: member.keys.broker(1))
        let lease = member.state.withLock { $0.lease }
        #expect(kvs.count == 1 && lease != 0 && kvs.first?.lease == lease)
    }

    /// A registration under a lease this broker does not renew (its previous life's) is still
    /// waited out.
    @Test func aPreviousLifesRegistrationIsWaitedOut() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let member = try member(etcd)
        let old = try await member.etcd.grantLease(ttlSeconds: 2).id
        _ = try await member.etcd.put(member.keys.broker(1), Array("old".utf8), lease: old)
        try await member.register(BrokerRegistration(id: 1, incarnationId: "new", endpoints: []))
        let (kvs, _) = try await member.etcd.range(prefix: member.keys.broker(1))
        let lease = member.state.withLock { $0.lease }
        #expect(lease != old && kvs.first?.lease == lease && kvs.first?.value != Array("old".utf8))
    }
}

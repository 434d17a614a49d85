import Foundation
import GregorClient
import GregorStorage
import GregorTestSupport
import KafkaProtocol
import Testing

@testable import GregorBroker

/// Replication between brokers that only speak SASL or TLS to each other: the follower logs in
/// (or handshakes) as `inter.broker.listener.name` says, so acks=all, which waits for the
/// follower to fetch the batch, is acknowledged only when that works.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClusterInterBrokerTests {
    /// Creates `topic` with replication factor 2 through `one` and produces to partition 0's
    /// leader with acks=all; returns the produce error code (REQUEST_TIMED_OUT when the follower
    /// never fetched it).
    static func replicatedProduce(_ brokers: [ClusterTestBroker], login: (ClusterTestBroker) async throws -> KafkaTestClient) async throws -> Int16 {
        let admin = try await login(brokers[0])
        let created = try await admin.request(Requests.createTopics([.init(name: "replicated", numPartitions: 1, replicationFactor: 2)]), version: 7)
        #expect(created.topics.map(\.errorCode) == [0])
        await admin.close()
        var leader: Int32 = -1
        try await ClusterSecurityTests.eventually("a leader and two in-sync replicas") {
            guard let state = brokers[0].broker.cluster?.partition(TopicPartition("replicated", 0)) else { return false }
            leader = state.leader
            return state.isr.count == 2 && brokers.allSatisfy { $0.broker.metadata.topic("replicated") != nil }
        }
        let target = try #require(brokers.first { $0.broker.config.nodeId == leader })
        let client = try await login(target)
        defer { Task { await client.close() } }
        let produced = try await client.request(try Requests.produce("replicated", acks: -1, ["one", "two"]), version: 9)
        return try #require(produced.responses.first?.partitionResponses.first?.errorCode)
    }

    @Test func followersFetchOverSaslWithTheBrokersOwnLogin() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let prefix = "/interbroker-\(UUID().uuidString.prefix(8))"
        let brokers = [try await ClusterTestBroker.start(1, etcd: etcd, prefix: prefix), try await ClusterTestBroker.start(2, etcd: etcd, prefix: prefix)]
        let code = try await Self.replicatedProduce(brokers) { try await $0.login("alice") }
        #expect(code == 0)
        for b in brokers.reversed() { await b.stop() }
    }

    @Test func followersFetchOverMutualTlsCheckingTheLeadersCertificate() async throws {
        let certs = try DevCertificates()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gregor-interbroker-tls-\(UUID().uuidString)").path
        _ = try certs.write(to: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let prefix = "/interbroker-\(UUID().uuidString.prefix(8))"
        func start(_ id: Int32) async throws -> ClusterTestBroker {
            try await ClusterTestBroker.start(id, etcd: etcd, prefix: prefix) { c in
                // SSL between brokers, client certificates required; SASL_PLAINTEXT stays for the test's client.
                c.listeners.append(Listener(name: "SSL", host: "127.0.0.1", port: 0, securityProtocol: .ssl))
                c.advertisedListeners.append(.init(name: "SSL", host: "127.0.0.1", port: 0))
                var tls = TLSSettings(keyStore: .pem(location: "\(directory)/broker-keystore.pem", certificateChain: nil, key: nil))
                tls.trustStoreLocation = "\(directory)/ca.pem"
                tls.clientAuth = .required
                c.tls["SSL"] = tls
                c.interBrokerListenerName = "SSL"
                c.interBroker = InterBrokerSecurity(listener: "SSL", tls: tls)
                // The brokers' certificate subject (CN=localhost) is their principal on SSL.
                c.authorizer = AclAuthorizerSettings(superUsers: ["User:alice", "User:CN=localhost"])
            }
        }
        let brokers = [try await start(1), try await start(2)]
        let code = try await Self.replicatedProduce(brokers) { try await $0.login("alice") }
        #expect(code == 0)
        for b in brokers.reversed() { await b.stop() }
    }
}

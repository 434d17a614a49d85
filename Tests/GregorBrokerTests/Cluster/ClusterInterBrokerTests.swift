import Foundation
import GregorClient
import GregorStorage
import GregorTestSupport
import KafkaProtocol
import NIOCore
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

/// The CLI's client in a cluster: Produce, Fetch and ListOffsets go to each partition's leader,
/// whichever broker it was pointed at (over SASL here, with GregorClient's own login).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClusterClientTests {
    @Test func theClientProducesFetchesAndListsOffsetsAtEachLeader() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let prefix = "/client-\(UUID().uuidString.prefix(8))"
        let brokers = [try await ClusterTestBroker.start(1, etcd: etcd, prefix: prefix), try await ClusterTestBroker.start(2, etcd: etcd, prefix: prefix)]
        await #expect(throws: GregorClientError.self) {
            _ = try await KafkaClient.connect(
                to: BrokerAddress(host: "127.0.0.1", port: brokers[0].port),
                security: ClientSecurity(sasl: .init(mechanism: .plain, username: "alice", password: "wrong")))
        }
        let alice = try await KafkaClient.connect(
            to: BrokerAddress(host: "127.0.0.1", port: brokers[0].port),
            security: ClientSecurity(sasl: .init(mechanism: .plain, username: "alice", password: "alice-secret")))
        let admin = try await brokers[0].login("alice")
        // GregorClient's SCRAM login, with a user made through the other broker.
        let salt = Array("salt".utf8)
        let salted = try ScramMechanism.sha512.saltedPassword("erin-secret", salt: salt, iterations: 4096)
        let erin = try await brokers[1].login("alice").request(AlterUserScramCredentialsRequest(upsertions: [
            .init(name: "erin", mechanism: ScramMechanism.sha512.type, iterations: 4096, salt: salt, saltedPassword: salted)]), version: 0)
        #expect(erin.results.map(\.errorCode) == [0])
        try await ClusterSecurityTests.eventually("erin logs in at broker 1 with GregorClient's SCRAM") {
            guard let c = try? await KafkaClient.connect(
                to: BrokerAddress(host: "127.0.0.1", port: brokers[0].port),
                security: ClientSecurity(sasl: .init(mechanism: .scramSha512, username: "erin", password: "erin-secret"))) else { return false }
            await c.close()
            return true
        }
        let created = try await admin.request(Requests.createTopics([
            .init(name: "spread", numPartitions: -1, replicationFactor: -1,
                  assignments: [.init(partitionIndex: 0, brokerIds: [1]), .init(partitionIndex: 1, brokerIds: [2])]),
        ]), version: 7)
        #expect(created.topics.map(\.errorCode) == [0])
        try await ClusterSecurityTests.eventually("both partitions led") {
            brokers[0].broker.cluster?.partition(TopicPartition("spread", 1))?.leader == 2 && brokers[1].broker.log("spread", 1) != nil
        }
        for p: Int32 in [0, 1] {
            let results = try await alice.produce(topic: "spread", partition: p, records: (0..<3).map { ProducerRecord(value: ByteBuffer(string: "p\(p)-\($0)")) })
            #expect(results.map(\.error) == [.none], "partition \(p)")
        }
        let described = try await alice.describeTopic("spread")
        #expect(described.partitions.map(\.highWatermark) == [3, 3])
        var seen: [String] = []
        try await alice.consume(topic: "spread", options: ConsumeOptions(start: .beginning)) { seen.append(String(buffer: $0.value ?? ByteBuffer())) }
        #expect(seen.sorted() == ["p0-0", "p0-1", "p0-2", "p1-0", "p1-1", "p1-2"])
        await alice.close()
        await admin.close()
        for b in brokers.reversed() { await b.stop() }
    }
}

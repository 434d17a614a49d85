import Foundation
import GregorTestSupport
import KafkaProtocol
import Logging
import NIOCore
import GregorClient
import Testing

@testable import GregorBroker

/// A cluster member in this process: a SASL_PLAINTEXT listener (PLAIN users alice, bob, carol),
/// the ACL authorizer with alice as super user, delegation tokens, and its metadata in `etcd`.
struct ClusterTestBroker {
    let broker: Broker
    let server: BrokerServer
    let channels: [any Channel]
    let port: Int
    let directory: String

    static func start(_ nodeId: Int32, etcd: EtcdServer, prefix: String,
                      configure: (inout BrokerConfig) -> Void = { _ in }) async throws -> ClusterTestBroker {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gregor-cluster-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = BrokerConfig()
        config.nodeId = nodeId
        config.logDirs = [directory]
        config.listeners = [Listener(name: "SASL_PLAINTEXT", host: "127.0.0.1", port: 0, securityProtocol: .saslPlaintext)]
        config.advertisedListeners = [.init(name: "SASL_PLAINTEXT", host: "127.0.0.1", port: 0)]
        config.sasl["SASL_PLAINTEXT"] = SaslSettings(
            enabledMechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"],
            plainUsers: ["alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"])
        config.authorizer = AclAuthorizerSettings(superUsers: ["User:alice"])
        config.delegationTokenSecretKey = "a-long-secret"
        config.failedAuthenticationDelayMs = 20
        var cluster = try ClusterSettings(store: "etcd://\(etcd.endpoint)")
        cluster.prefix = prefix
        cluster.sessionTimeoutMs = 3000
        cluster.heartbeatIntervalMs = 500
        config.cluster = cluster
        // The brokers log in to each other as alice, a super user (her replica fetches need CLUSTER_ACTION).
        config.interBroker = InterBrokerSecurity(listener: "SASL_PLAINTEXT", sasl: .init(mechanism: .plain, username: "alice", password: "alice-secret"))
        configure(&config)
        var logger = Logger(label: "gregor-cluster-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["GREGOR_TEST_LOG"] != nil ? .debug : .warning
        config.clusterId = try await ClusterMember.clusterId(cluster, proposed: nil, logger: logger)
        let broker = try Broker(config: config, logger: logger)
        let server = BrokerServer(broker: broker, logger: logger, threads: 1)
        let channels = try await server.start()
        try await broker.cluster!.start(broker: broker, endpoints: broker.registeredEndpoints)
        let port = try #require(broker.advertised.first { $0.name == "SASL_PLAINTEXT" }?.port)
        return ClusterTestBroker(broker: broker, server: server, channels: channels, port: port, directory: directory)
    }

    func stop() async {
        await broker.cluster?.stop()
        try? await server.shutdown(closing: channels)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A connection logged in with PLAIN.
    func login(_ user: String) async throws -> KafkaTestClient {
        let client = try await KafkaTestClient.connect(port: port)
        #expect(try await SaslListenerTests.login(client, user, "\(user)-secret").errorCode == 0)
        return client
    }

    /// A connection logged in with SCRAM-SHA-256; nil and the error when refused.
    func scramLogin(_ user: String, _ password: String, extensions: String? = nil) async throws -> (KafkaTestClient?, Int16) {
        let client = try await KafkaTestClient.connect(port: port)
        #expect(try await client.request(SaslHandshakeRequest(mechanism: "SCRAM-SHA-256"), version: 1).errorCode == 0)
        var scram = ScramClient(mechanism: .sha256, user: user, password: password, nonce: "nonce-\(UUID().uuidString)")
        if let extensions { scram.extensions = extensions }
        let first = try await client.request(SaslAuthenticateRequest(authBytes: scram.clientFirst), version: 2)
        var code = first.errorCode
        if code == 0 { code = try await client.request(SaslAuthenticateRequest(authBytes: try scram.clientFinal(first.authBytes)), version: 2).errorCode }
        guard code == 0 else {
            await client.close()
            return (nil, code)
        }
        return (client, 0)
    }
}

/// The security issue's metadata in a cluster (issue 11): ACLs, SCRAM credentials, client quotas
/// and delegation tokens are the cluster's, kept in a real etcd, so a change made through one
/// broker holds at the others and at a broker that joins later.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClusterSecurityTests {
    static func withCluster<T>(_ body: (EtcdServer, String, ClusterTestBroker, ClusterTestBroker) async throws -> T) async throws -> T {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let prefix = "/security-\(UUID().uuidString.prefix(8))"
        let one = try await ClusterTestBroker.start(1, etcd: etcd, prefix: prefix)
        let two = try await ClusterTestBroker.start(2, etcd: etcd, prefix: prefix)
        let result: Result<T, Error>
        do { result = .success(try await body(etcd, prefix, one, two)) } catch { result = .failure(error) }
        await two.stop()
        await one.stop()
        return try result.get()
    }

    /// Until `probe` holds (the other broker's watch brings a change within milliseconds).
    static func eventually(_ what: String, _ probe: () async throws -> Bool) async throws {
        for _ in 0..<200 {
            if try await probe() { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("never: \(what)")
    }

    @Test func scramUsersAndAclsMadeAtOneBrokerHoldAtTheOther() async throws {
        try await Self.withCluster { _, _, one, two in
            let alice = try await one.login("alice")
            let salt = Array("pepper-and-salt".utf8)
            let salted = try ScramMechanism.sha256.saltedPassword("dave-secret", salt: salt, iterations: 4096)
            let altered = try await alice.request(AlterUserScramCredentialsRequest(upsertions: [
                .init(name: "dave", mechanism: ScramMechanism.sha256.type, iterations: 4096, salt: salt, saltedPassword: salted),
            ]), version: 0)
            #expect(altered.results.map(\.errorCode) == [0])
            // The user logs in at the broker that did not take the change.
            try await Self.eventually("dave logs in at broker 2") { try await two.scramLogin("dave", "dave-secret").1 == 0 }
            #expect(try await two.scramLogin("dave", "wrong").1 == ErrorCode.saslAuthenticationFailed.rawValue)

            // bob may not describe the brokers' configs until alice grants it at broker 1.
            let bob = try await two.login("bob")
            let describe = DescribeConfigsRequest(resources: [.init(resourceType: 4, resourceName: "2", configurationKeys: ["num.partitions"])])
            #expect(try await bob.request(describe, version: 4).results.first?.errorCode == ErrorCode.clusterAuthorizationFailed.rawValue)
            let created = try await alice.request(CreateAclsRequest(creations: [
                AclTests.creation(.cluster, "kafka-cluster", .describeConfigs),
                AclTests.creation(.topic, "orders", .read),
            ]), version: 3)
            #expect(created.results.map(\.errorCode) == [0, 0])
            try await Self.eventually("bob describes configs at broker 2") {
                try await bob.request(describe, version: 4).results.first?.errorCode == 0
            }
            let alice2 = try await two.login("alice")
            #expect(try await alice2.request(AclTests.everything(), version: 3).resources.map(\.resourceName) == ["orders", "kafka-cluster"])

            // Deleted at broker 2: gone at broker 1.
            let deleted = try await alice2.request(DeleteAclsRequest(filters: [
                .init(resourceTypeFilter: AclResourceType.cluster.rawValue, resourceNameFilter: nil, patternTypeFilter: 1, principalFilter: nil,
                      hostFilter: nil, operation: 1, permissionType: 1),
            ]), version: 3)
            #expect(deleted.filterResults.map { $0.matchingAcls.map(\.resourceName) } == [["kafka-cluster"]])
            #expect(try await bob.request(describe, version: 4).results.first?.errorCode == ErrorCode.clusterAuthorizationFailed.rawValue)
            #expect(try await alice.request(AclTests.everything(), version: 3).resources.map(\.resourceName) == ["orders"])
            for c in [alice, alice2, bob] { await c.close() }
        }
    }

    @Test func concurrentChangesAtTwoBrokersAreAllKept() async throws {
        try await Self.withCluster { _, _, one, two in
            let a = try await one.login("alice")
            let b = try await two.login("alice")
            // Each request reads the entries, then writes with a compare-and-swap: the one that
            // loses decides again on the newer entries, so neither change is lost.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (client, prefix) in [(a, "one"), (b, "two")] {
                    group.addTask {
                        for i in 0..<10 {
                            let r = try await client.request(CreateAclsRequest(creations: [AclTests.creation(.topic, "\(prefix)-\(i)", .read)]), version: 3)
                            #expect(r.results.map(\.errorCode) == [0])
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await Self.eventually("20 ACLs at both brokers") {
                one.broker.acls!.acls(matching: AclTests.filter()).count == 20 && two.broker.acls!.acls(matching: AclTests.filter()).count == 20
            }
            await a.close()
            await b.close()
        }
    }

    @Test func quotasAndTokensAreTheClustersAndABrokerJoiningLaterHasThemAll() async throws {
        try await Self.withCluster { etcd, prefix, one, two in
            let alice = try await one.login("alice")
            let quota = try await alice.request(ClientQuotaApiTests.alter([.init(entityType: "client-id", entityName: "batch")],
                                                                          [.init(key: "producer_byte_rate", value: 1024, remove: false)]), version: 1)
            #expect(quota.entries.map(\.errorCode) == [0])
            let token = try await alice.request(CreateDelegationTokenRequest(renewers: [.init(principalType: "User", principalName: "bob")],
                                                                             maxLifetimeMs: 3_600_000), version: 3)
            #expect(token.errorCode == 0)

            let described = DescribeClientQuotasRequest(components: [.init(entityType: "client-id", matchType: 0, match: "batch")], strict: false)
            try await Self.eventually("the quota at broker 2") {
                try await two.login("alice").request(described, version: 1).entries?.first?.values.first?.value == 1024
            }
            // The token logs in at broker 2 as its owner, and bob renews it there.
            let (viaToken, code) = try await two.scramLogin(token.tokenId, Data(token.hmac).base64EncodedString(), extensions: "tokenauth=true")
            #expect(code == 0)
            await viaToken?.close()
            let bob = try await two.login("bob")
            let renewed = try await bob.request(RenewDelegationTokenRequest(hmac: token.hmac, renewPeriodMs: 60_000), version: 2)
            #expect(renewed.errorCode == 0)

            // A third broker joining now lists everything from etcd.
            let three = try await ClusterTestBroker.start(3, etcd: etcd, prefix: prefix)
            #expect(three.broker.clientQuotas.all[QuotaEntity(clientId: .named("batch"))]?["producer_byte_rate"] == 1024)
            #expect(three.broker.delegationTokens.describe(owners: nil).map(\.expiryTimestamp) == [renewed.expiryTimestampMs])
            #expect(try await three.scramLogin(token.tokenId, Data(token.hmac).base64EncodedString(), extensions: "tokenauth=true").1 == 0)

            // Expired at broker 3: no login anywhere.
            let expired = try await three.login("alice").request(ExpireDelegationTokenRequest(hmac: token.hmac, expiryTimePeriodMs: -1), version: 2)
            #expect(expired.errorCode == 0)
            try await Self.eventually("the token refused at broker 1") {
                try await one.scramLogin(token.tokenId, Data(token.hmac).base64EncodedString(), extensions: "tokenauth=true").1
                    == ErrorCode.saslAuthenticationFailed.rawValue
            }
            // Nothing of it went to the brokers' own files.
            for b in [one, two, three] {
                for file in [ClientQuotas.fileName, DelegationTokens.fileName, ScramCredentialStore.fileName, AclStore.fileName] {
                    #expect(!FileManager.default.fileExists(atPath: "\(b.directory)/\(file)"))
                }
            }
            await three.stop()
            await alice.close()
            await bob.close()
        }
    }
}

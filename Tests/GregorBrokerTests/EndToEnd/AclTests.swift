import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension CreateAclsRequest: TestRequest { typealias Response = CreateAclsResponse }
extension DescribeAclsRequest: TestRequest { typealias Response = DescribeAclsResponse }
extension DeleteAclsRequest: TestRequest { typealias Response = DeleteAclsResponse }
extension DescribeConfigsRequest: TestRequest { typealias Response = DescribeConfigsResponse }
extension DescribeClusterRequest: TestRequest { typealias Response = DescribeClusterResponse }

/// ACLs over the wire: the ACL APIs, and what a restricted principal (bob) may do once alice, a
/// super user, has granted it.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct AclTests {
    static let settings = AclAuthorizerSettings(superUsers: ["User:alice"])

    static func as_(_ user: String, _ port: Int) async throws -> KafkaTestClient {
        let client = try await KafkaTestClient.connect(port: port)
        #expect(try await SaslListenerTests.login(client, user, "\(user)-secret").errorCode == 0)
        return client
    }

    static func creation(_ type: AclResourceType, _ name: String, _ operation: AclOperation, _ permission: AclPermission = .allow,
                         pattern: AclPatternType = .literal, principal: String = "User:bob") -> CreateAclsRequest.AclCreation {
        .init(resourceType: type.rawValue, resourceName: name, resourcePatternType: pattern.rawValue, principal: principal, host: "*",
              operation: operation.rawValue, permissionType: permission.rawValue)
    }

    static func everything(_ pattern: AclPatternType = .any) -> DescribeAclsRequest {
        DescribeAclsRequest(resourceTypeFilter: AclResourceType.any.rawValue, resourceNameFilter: nil, patternTypeFilter: pattern.rawValue,
                            principalFilter: nil, hostFilter: nil, operation: AclOperation.any.rawValue, permissionType: AclPermission.any.rawValue)
    }

    @Test func withoutAnAuthorizerTheAclApisAreSecurityDisabled() async throws {
        try await TestBroker.with { _, client in
            let created = try await client.request(CreateAclsRequest(creations: [Self.creation(.topic, "t", .read)]), version: 3)
            #expect(created.results.map(\.errorCode) == [ErrorCode.securityDisabled.rawValue])
            let described = try await client.request(Self.everything(), version: 3)
            #expect(described.errorCode == ErrorCode.securityDisabled.rawValue && described.errorMessage == "No Authorizer is configured on the broker")
            let deleted = try await client.request(DeleteAclsRequest(filters: [.init(resourceTypeFilter: 1, patternTypeFilter: 1, operation: 1, permissionType: 1)]), version: 3)
            #expect(deleted.filterResults.map(\.errorCode) == [ErrorCode.securityDisabled.rawValue])
        }
    }

    @Test func aclsAreCreatedDescribedDeletedAndDurable() async throws {
        try await SaslListenerTests.withBroker(authorizer: Self.settings) { broker, plain, port in
            // PLAINTEXT is User:ANONYMOUS: no ALTER on the cluster.
            let refused = try await plain.request(CreateAclsRequest(creations: [Self.creation(.topic, "t", .read)]), version: 3)
            #expect(refused.results.map(\.errorCode) == [ErrorCode.clusterAuthorizationFailed.rawValue])
            #expect(try await plain.request(Self.everything(), version: 3).errorCode == ErrorCode.clusterAuthorizationFailed.rawValue)

            let alice = try await Self.as_("alice", port)
            let created = try await alice.request(CreateAclsRequest(creations: [
                Self.creation(.topic, "orders", .read),
                Self.creation(.topic, "ord", .write, pattern: .prefixed),
                Self.creation(.group, "g", .read),
                Self.creation(.cluster, "other-cluster", .alter),
                Self.creation(.topic, "x", .read, principal: "bob"),
                Self.creation(.topic, "orders", .read),  // again: succeeds, stored once
            ]), version: 3)
            #expect(created.results.map(\.errorCode) == [0, 0, 0, ErrorCode.invalidRequest.rawValue, ErrorCode.invalidRequest.rawValue, 0])
            #expect(created.results[3].errorMessage == "The only valid name for the CLUSTER resource is kafka-cluster")

            let all = try await alice.request(Self.everything(), version: 3)
            #expect(all.errorCode == 0 && all.resources.map(\.resourceName) == ["orders", "ord", "g"] && all.resources.map(\.acls.count) == [1, 1, 1])
            // MATCH finds every pattern that applies to a name; v0 filters see literal ACLs only.
            var match = Self.everything(.match)
            match.resourceTypeFilter = AclResourceType.topic.rawValue
            match.resourceNameFilter = "orders"
            #expect(try await alice.request(match, version: 3).resources.map(\.resourceName) == ["orders", "ord"])
            var v0 = Self.everything(.literal)  // v0 has no pattern type: the decoder's default is LITERAL
            v0.resourceTypeFilter = AclResourceType.topic.rawValue
            #expect(try await alice.request(v0, version: 0).resources.map(\.resourceName) == ["orders"])

            let reopened = try AclStore(directory: broker.broker.config.logDirs[0], settings: Self.settings)
            #expect(reopened.acls(matching: Self.filter()).count == 3)

            // Two filters matching one ACL: the first answers it.
            let deleted = try await alice.request(DeleteAclsRequest(filters: [
                .init(resourceTypeFilter: 2, resourceNameFilter: nil, patternTypeFilter: 1, principalFilter: "User:bob", hostFilter: nil, operation: 1, permissionType: 1),
                .init(resourceTypeFilter: 2, resourceNameFilter: "orders", patternTypeFilter: 3, principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1),
                .init(resourceTypeFilter: 0, resourceNameFilter: nil, patternTypeFilter: 1, principalFilter: nil, hostFilter: nil, operation: 1, permissionType: 1),
            ]), version: 3)
            #expect(deleted.filterResults.map(\.errorCode) == [0, 0, ErrorCode.invalidRequest.rawValue])
            #expect(deleted.filterResults.map { $0.matchingAcls.map(\.resourceName) } == [["orders", "ord"], [], []])
            #expect(try await alice.request(Self.everything(), version: 3).resources.map(\.resourceName) == ["g"])
            #expect(try AclStore(directory: broker.broker.config.logDirs[0], settings: Self.settings).acls(matching: Self.filter()).count == 1)
            await alice.close()
        }
    }

    static func filter() -> AclBindingFilter {
        AclBindingFilter(resourceType: .any, resourceName: nil, patternType: .any, principal: nil, host: nil, operation: .any, permission: .any)
    }

    @Test func aRestrictedPrincipalGetsKafkasErrorsAndSeesOnlyWhatItMayDescribe() async throws {
        try await SaslListenerTests.withBroker(authorizer: Self.settings) { _, _, port in
            let alice = try await Self.as_("alice", port)
            for name in ["visible", "hidden", "writable"] { _ = try await alice.createTopic(name) }
            let created = try await alice.request(CreateAclsRequest(creations: [
                Self.creation(.topic, "visible", .read),
                Self.creation(.topic, "writable", .write),
                Self.creation(.topic, "writable", .read, .deny),
            ]), version: 3)
            #expect(created.results.allSatisfy { $0.errorCode == 0 })

            let bob = try await Self.as_("bob", port)
            // Metadata: all topics shows only what bob may describe; named, the rest is refused.
            var all = MetadataRequest(topics: nil)
            all.includeTopicAuthorizedOperations = true
            let everything = try await bob.request(all, version: 12)
            #expect(everything.topics.compactMap(\.name).sorted() == ["visible", "writable"])
            // READ implies DESCRIBE (bit 8); WRITE implies it too.
            let ops = Dictionary(uniqueKeysWithValues: everything.topics.map { ($0.name ?? "", $0.topicAuthorizedOperations) })
            #expect(ops["visible"] == (1 << 3 | 1 << 8) && ops["writable"] == (1 << 4 | 1 << 8))
            let named = try await bob.request(Requests.metadata(["hidden", "missing"]), version: 12)
            #expect(named.topics.map(\.errorCode) == [ErrorCode.topicAuthorizationFailed.rawValue, ErrorCode.topicAuthorizationFailed.rawValue])
            #expect(named.topics.allSatisfy { $0.topicId == .zero && $0.partitions.isEmpty })
            #expect(try await alice.request(Requests.metadata(["missing"], allowAutoTopicCreation: false), version: 12).topics.map(\.errorCode)
                == [ErrorCode.unknownTopicOrPartition.rawValue])

            // Produce needs WRITE, Fetch READ; DENY READ wins over nothing else here.
            #expect(try await bob.request(Requests.produce("visible", ["v"]), version: 9).responses.first?.partitionResponses.first?.errorCode
                == ErrorCode.topicAuthorizationFailed.rawValue)
            #expect(try await bob.request(Requests.produce("writable", ["w"]), version: 9).responses.first?.partitionResponses.first?.errorCode == 0)
            let fetched = try await bob.request(Requests.fetch("writable", offset: 0), version: 12)
            #expect(fetched.responses.first?.partitions.first?.errorCode == ErrorCode.topicAuthorizationFailed.rawValue)
            #expect(try await bob.request(Requests.fetch("visible", offset: 0), version: 12).responses.first?.partitions.first?.errorCode == 0)
            // A fetch with a replica id is a follower's: CLUSTER_ACTION (CVE-2018-1288).
            var follower = Requests.fetch("visible", offset: 0)
            follower.replicaId = 7
            #expect(try await bob.request(follower, version: 12).responses.first?.partitions.first?.errorCode
                == ErrorCode.topicAuthorizationFailed.rawValue)

            // Creating topics needs CREATE; the cluster operations are computed.
            let create = try await bob.request(Requests.createTopics([.init(name: "new", numPartitions: 1, replicationFactor: 1)]), version: 7)
            #expect(create.topics.map(\.errorCode) == [ErrorCode.topicAuthorizationFailed.rawValue])
            #expect(create.topics.first?.errorMessage == "Authorization failed.")
            let cluster = try await bob.request(DescribeClusterRequest(includeClusterAuthorizedOperations: true), version: 1)
            #expect(cluster.clusterAuthorizedOperations == 0)
            let aliceCluster = try await alice.request(DescribeClusterRequest(includeClusterAuthorizedOperations: true), version: 1)
            #expect(aliceCluster.clusterAuthorizedOperations == BrokerEndToEndTests.allClusterOperations)

            // Groups: FindCoordinator and DescribeConfigs say which authorization failed.
            let coordinator = try await bob.request(FindCoordinatorRequest(keyType: 0, coordinatorKeys: ["g"]), version: 4)
            #expect(coordinator.coordinators.map(\.errorCode) == [ErrorCode.groupAuthorizationFailed.rawValue])
            let configs = try await bob.request(DescribeConfigsRequest(resources: [
                .init(resourceType: 2, resourceName: "visible", configurationKeys: nil),
                .init(resourceType: 4, resourceName: "1", configurationKeys: nil),
            ]), version: 4)
            #expect(configs.results.map(\.errorCode) == [ErrorCode.topicAuthorizationFailed.rawValue, ErrorCode.clusterAuthorizationFailed.rawValue])
            // So does listing config resources (KIP-1142), and changing client metrics (KIP-714).
            #expect(try await bob.request(ListConfigResourcesRequest(), version: 1).errorCode == ErrorCode.clusterAuthorizationFailed.rawValue)
            #expect(try await alice.request(ListConfigResourcesRequest(), version: 1).errorCode == 0)
            let subscribe = IncrementalAlterConfigsRequest(resources: [.init(resourceType: 16, resourceName: "s", configs: [.init(name: "metrics", value: "*")])])
            #expect(try await bob.request(subscribe, version: 1).responses.map(\.errorCode) == [ErrorCode.clusterAuthorizationFailed.rawValue])
            // Client quotas need DESCRIBE_CONFIGS and ALTER_CONFIGS on the cluster.
            #expect(try await bob.request(DescribeClientQuotasRequest(components: [], strict: false), version: 1).errorCode
                == ErrorCode.clusterAuthorizationFailed.rawValue)
            let alter = AlterClientQuotasRequest(entries: [.init(entity: [.init(entityType: "user", entityName: "bob")],
                                                                 ops: [.init(key: "producer_byte_rate", value: 1e9, remove: false)])], validateOnly: false)
            #expect(try await bob.request(alter, version: 1).entries.map(\.errorCode) == [ErrorCode.clusterAuthorizationFailed.rawValue])
            #expect(try await alice.request(alter, version: 1).entries.map(\.errorCode) == [0])
            // An idempotent producer needs IDEMPOTENT_WRITE or WRITE on some topic: bob has the latter.
            #expect(try await bob.request(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 1000), version: 4).errorCode == 0)
            await bob.close()
            await alice.close()
        }
    }

    @Test func anUnknownAuthorizerClassStopsStartup() throws {
        var properties = ServerProperties()
        properties.set("authorizer.class.name", "com.example.MyAuthorizer")
        #expect(throws: ServerProperties.InvalidValue.self) { try properties.brokerConfig() }
        properties.set("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
        properties.set("super.users", "User:admin; User:ops")
        properties.set("allow.everyone.if.no.acl.found", "true")
        let config = try properties.brokerConfig()
        #expect(config.authorizer == AclAuthorizerSettings(superUsers: ["User:admin", "User:ops"], allowEveryoneIfNoAclFound: true))
        #expect(properties.unknownKeys.isEmpty)
        properties.set("super.users", "admin")
        #expect(throws: ServerProperties.InvalidValue.self) { try properties.brokerConfig() }
    }
}

import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// Authorized operations (KIP-430) without an authorizer: everything the resource type supports
/// (Kafka's AclEntry.supportedOperations), or INT32_MIN when not asked for.
extension BrokerEndToEndTests {
    /// READ(3) WRITE(4) CREATE(5) DELETE(6) ALTER(7) DESCRIBE(8) DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11).
    static let allTopicOperations: Int32 = 0b1101_1111_1000
    /// CREATE(5) ALTER(7) DESCRIBE(8) CLUSTER_ACTION(9) DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11) IDEMPOTENT_WRITE(12).
    static let allClusterOperations: Int32 = 0b1_1111_1010_0000

    @Test func bitFieldsMatchKafkasSupportedOperations() {
        #expect(AuthorizedOperations.bitField(AclAuthorizer.supportedOperations(.topic)) == Self.allTopicOperations)
        #expect(AuthorizedOperations.bitField(AclAuthorizer.supportedOperations(.cluster)) == Self.allClusterOperations)
        #expect(AuthorizedOperations.bitField([.describeTokens]) == 1 << 14)
    }

    @Test func metadataReportsOperationsOnlyWhenAskedAndOnlyWhereTheVersionHasThem() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("ops")
            var ask = Requests.metadata(["ops", "missing"], allowAutoTopicCreation: false)
            ask.includeTopicAuthorizedOperations = true
            ask.includeClusterAuthorizedOperations = true
            let v10 = try await client.request(ask, version: 10)
            #expect(v10.clusterAuthorizedOperations == Self.allClusterOperations)
            #expect(v10.topics.map(\.topicAuthorizedOperations) == [Self.allTopicOperations, Self.allTopicOperations])
            #expect(v10.topics.map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
            // v11 moved the cluster's operations to DescribeCluster (the request field is gone too).
            ask.includeClusterAuthorizedOperations = false
            let v12 = try await client.request(ask, version: 12)
            #expect(v12.clusterAuthorizedOperations == Int32.min)
            #expect(v12.topics.first?.topicAuthorizedOperations == Self.allTopicOperations)
            // An unknown topic id keeps the schema default.
            var byId = MetadataRequest(topics: [.init(topicId: KafkaUUID(high: 1, low: 2), name: nil)])
            byId.includeTopicAuthorizedOperations = true
            let unknownId = try await client.request(byId, version: 12)
            #expect(unknownId.topics.map(\.errorCode) == [ErrorCode.unknownTopicId.rawValue])
            #expect(unknownId.topics.map(\.topicAuthorizedOperations) == [Int32.min])

            let notAsked = try await client.request(Requests.metadata(["ops"]), version: 10)
            #expect(notAsked.clusterAuthorizedOperations == Int32.min)
            #expect(notAsked.topics.map(\.topicAuthorizedOperations) == [Int32.min])
            // All topics (null list), asked.
            var all = MetadataRequest(topics: nil)
            all.includeTopicAuthorizedOperations = true
            let everything = try await client.request(all, version: 9)
            #expect(everything.topics.map(\.topicAuthorizedOperations) == [Self.allTopicOperations])
        }
    }

    @Test func describeClusterAndDescribeTopicPartitionsReportOperations() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("described")
            for (include, expected) in [(true, Self.allClusterOperations), (false, Int32.min)] {
                let id = try await client.send(DescribeClusterRequest(includeClusterAuthorizedOperations: include), version: 1)
                let cluster = try await client.receive(DescribeClusterResponse.self, version: 1, correlationId: id)
                #expect(cluster.errorCode == 0)
                #expect(cluster.clusterAuthorizedOperations == expected)
            }
            let id = try await client.send(
                DescribeTopicPartitionsRequest(topics: [.init(name: "described"), .init(name: "absent")]), version: 0)
            let topics = try await client.receive(DescribeTopicPartitionsResponse.self, version: 0, correlationId: id)
            #expect(topics.topics.map(\.name) == ["absent", "described"])
            #expect(topics.topics.map(\.topicAuthorizedOperations) == [Self.allTopicOperations, Self.allTopicOperations])
        }
    }
}

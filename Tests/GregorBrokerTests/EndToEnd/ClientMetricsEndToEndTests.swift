import Foundation
import GregorStorage
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension IncrementalAlterConfigsRequest: TestRequest { typealias Response = IncrementalAlterConfigsResponse }
extension AlterConfigsRequest: TestRequest { typealias Response = AlterConfigsResponse }
extension GetTelemetrySubscriptionsRequest: TestRequest { typealias Response = GetTelemetrySubscriptionsResponse }
extension PushTelemetryRequest: TestRequest { typealias Response = PushTelemetryResponse }
extension ListConfigResourcesRequest: TestRequest { typealias Response = ListConfigResourcesResponse }

/// CLIENT_METRICS subscriptions over the wire (KIP-714): configured with the Alter requests,
/// described, listed (KIP-1142), kept across a restart, and answered to the clients they match.
@Suite struct ClientMetricsEndToEndTests {
    typealias Op = IncrementalAlterConfigsRequest.AlterableConfig

    static func alter(_ client: KafkaTestClient, _ name: String, _ configs: [Op], validateOnly: Bool = false) async throws
        -> IncrementalAlterConfigsResponse.AlterConfigsResourceResponse
    {
        let request = IncrementalAlterConfigsRequest(resources: [.init(resourceType: 16, resourceName: name, configs: configs)], validateOnly: validateOnly)
        return try #require(try await client.request(request, version: 1).responses.first)
    }

    static func describe(_ client: KafkaTestClient, _ name: String) async throws -> DescribeConfigsResponse.DescribeConfigsResult {
        let request = DescribeConfigsRequest(resources: [.init(resourceType: 16, resourceName: name, configurationKeys: nil)], includeSynonyms: true)
        return try #require(try await client.request(request, version: 4).results.first)
    }

    @Test func subscriptionsAreSetDescribedValidatedAndDeleted() async throws {
        try await TestBroker.with { broker, client in
            let set = try await Self.alter(client, "producers", [
                Op(name: "metrics", configOperation: 0, value: "org.apache.kafka.producer."), Op(name: "match", configOperation: 0, value: "client_id=app.*"),
            ])
            #expect(set.errorCode == 0)
            let described = try await Self.describe(client, "producers")
            #expect(described.errorCode == 0)
            #expect(described.configs.map(\.name) == ["metrics", "interval.ms", "match"])
            #expect(described.configs.map(\.value) == ["org.apache.kafka.producer.", "300000", "client_id=app.*"])
            #expect(described.configs.map(\.configSource) == [7, 5, 7])
            #expect(described.configs.map(\.configType) == [7, 3, 7])
            #expect(described.configs[0].synonyms.map(\.source) == [7] && described.configs[1].synonyms.isEmpty)
            // Kafka 4.1+: an unknown subscription describes as its defaults.
            #expect(try await Self.describe(client, "nobody").configs.map(\.value) == ["", "300000", ""])

            #expect(try await Self.alter(client, "producers", [Op(name: "metrics", configOperation: 2, value: "x")]).errorCode
                == ErrorCode.invalidConfig.rawValue)
            #expect(try await Self.alter(client, "producers", [Op(name: "colour", configOperation: 0, value: "red")]).errorCode
                == ErrorCode.invalidRequest.rawValue)
            #expect(try await Self.alter(client, "producers", [Op(name: "interval.ms", configOperation: 0, value: "50")]).errorCode
                == ErrorCode.invalidRequest.rawValue)
            #expect(try await Self.alter(client, "producers", [Op(name: "match", configOperation: 0, value: "client_id=(")]).errorCode
                == ErrorCode.invalidConfig.rawValue)
            #expect(try await Self.alter(client, "producers", [Op(name: "interval.ms", configOperation: 0, value: "1000")], validateOnly: true).errorCode == 0)
            #expect(broker.broker.metadata.clientMetricsConfigs("producers")["interval.ms"] == nil)

            // The legacy request replaces the whole set.
            let legacy = AlterConfigsRequest(resources: [.init(resourceType: 16, resourceName: "all", configs: [.init(name: "metrics", value: "*")])])
            #expect(try await client.request(legacy, version: 2).responses.map(\.errorCode) == [0])
            #expect(try await client.request(ListConfigResourcesRequest(), version: 0).configResources.map(\.resourceName) == ["all", "producers"])

            // Deleting every key removes the subscription.
            #expect(try await Self.alter(client, "producers", [Op(name: "metrics", configOperation: 1, value: nil),
                                                               Op(name: "match", configOperation: 1, value: nil)]).errorCode == 0)
            #expect(try await client.request(ListConfigResourcesRequest(), version: 0).configResources.map(\.resourceName) == ["all"])

            // Kept with the cluster metadata: a restart reads it back.
            let reopened = try ClusterMetadataStore(directory: broker.broker.config.logDirs[0], logDirs: broker.broker.config.logDirs,
                                                    nodeId: broker.broker.config.nodeId)
            #expect(reopened.clientMetricsSubscriptions == ["all": ["metrics": "*"]])
        }
    }

    @Test func listConfigResourcesListsEachTypeInKafkasOrder() async throws {
        try await TestBroker.with { broker, client in
            try await client.createTopic("t1")
            #expect(try await Self.alter(client, "sub", [Op(name: "metrics", configOperation: 0, value: "*")]).errorCode == 0)
            let node = String(broker.broker.config.nodeId)
            let all = try await client.request(ListConfigResourcesRequest(), version: 1)
            #expect(all.errorCode == 0)
            #expect(all.configResources.map { "\($0.resourceType):\($0.resourceName)" } == ["16:sub", "8:\(node)", "4:\(node)", "2:t1"])
            let some = try await client.request(ListConfigResourcesRequest(resourceTypes: [2, 16]), version: 1)
            #expect(some.configResources.map(\.resourceName) == ["sub", "t1"])
            let unsupported = try await client.request(ListConfigResourcesRequest(resourceTypes: [2, 3]), version: 1)
            #expect(unsupported.errorCode == ErrorCode.unsupportedVersion.rawValue && unsupported.configResources.isEmpty)
        }
    }

    @Test func clientsGetTheSubscriptionsTheyMatchAndPushToThem() async throws {
        try await TestBroker.with { broker, client in
            #expect(try await Self.alter(client, "java", [
                Op(name: "metrics", configOperation: 0, value: "org.apache.kafka.producer."), Op(name: "interval.ms", configOperation: 0, value: "60000"),
                Op(name: "match", configOperation: 0, value: "client_software_name=apache-kafka-java,client_source_address=127\\.0\\.0\\.1"),
            ]).errorCode == 0)
            #expect(try await Self.alter(client, "tests", [
                Op(name: "metrics", configOperation: 0, value: "org.apache.kafka.consumer."), Op(name: "interval.ms", configOperation: 0, value: "120000"),
                Op(name: "match", configOperation: 0, value: "client_id=gregor-tests"),
            ]).errorCode == 0)
            #expect(try await Self.alter(client, "others", [
                Op(name: "metrics", configOperation: 0, value: "*"), Op(name: "interval.ms", configOperation: 0, value: "1000"),
                Op(name: "match", configOperation: 0, value: "client_id=someone-else"),
            ]).errorCode == 0)

            // Without an ApiVersions v3 the software name is "unknown": only "tests" matches.
            let plain = try await client.request(GetTelemetrySubscriptionsRequest(clientInstanceId: .zero), version: 0)
            #expect(plain.errorCode == 0 && plain.clientInstanceId != .zero)
            #expect(plain.requestedMetrics == ["org.apache.kafka.consumer."] && plain.pushIntervalMs == 120_000)
            #expect(plain.acceptedCompressionTypes == [4, 3, 1, 2] && plain.telemetryMaxBytes == 1_048_576 && plain.deltaTemporality)

            let java = try await broker.connect()
            _ = try await java.request(ApiVersionsRequest(clientSoftwareName: "apache-kafka-java", clientSoftwareVersion: "4.3.0"), version: 3)
            let get = try await java.request(GetTelemetrySubscriptionsRequest(clientInstanceId: .zero), version: 0)
            #expect(get.requestedMetrics == ["org.apache.kafka.consumer.", "org.apache.kafka.producer."] && get.pushIntervalMs == 60_000)
            let id = get.clientInstanceId
            // Asking again at once is throttled.
            #expect(try await java.request(GetTelemetrySubscriptionsRequest(clientInstanceId: id), version: 0).errorCode
                == ErrorCode.throttlingQuotaExceeded.rawValue)

            let payload = ByteBuffer(repeating: 7, count: 3000)
            var zstd = ByteBuffer()
            try Compression.compress(payload, codec: .zstd, into: &zstd)
            let push = PushTelemetryRequest(clientInstanceId: id, subscriptionId: get.subscriptionId, terminating: false, compressionType: 4, metrics: zstd)
            #expect(try await java.request(push, version: 0).errorCode == 0)
            #expect(try await java.request(push, version: 0).errorCode == ErrorCode.throttlingQuotaExceeded.rawValue)
            var stale = push
            stale.subscriptionId &+= 1
            stale.terminating = true
            #expect(try await java.request(stale, version: 0).errorCode == ErrorCode.unknownSubscriptionId.rawValue)
            #expect(try await java.request(push, version: 0).errorCode == ErrorCode.invalidRequest.rawValue)
            let instance = try #require(broker.broker.telemetry.withLock { $0.instances[id] })
            #expect(instance.pushes == 1 && instance.bytes == zstd.readableBytes && instance.decompressedBytes == 3000 && instance.lastPayload == payload)
            await java.close()
        }
    }
}

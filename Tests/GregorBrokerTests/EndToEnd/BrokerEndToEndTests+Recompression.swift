import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// The topic's `compression.type` applied on produce, as Kafka's leader does (LogValidator).
extension BrokerEndToEndTests {
    /// The codec of every batch a fetch from `offset` returns.
    static func codecs(_ client: KafkaTestClient, _ topic: String, from offset: Int64 = 0) async throws -> [CompressionCodec] {
        let partition = try await client.fetch(Requests.fetch(topic, offset: offset))
        var reader = RecordBatchReader(try #require(partition.records))
        var codecs: [CompressionCodec] = []
        while let batch = try reader.next() {
            #expect(batch.verifyCRC())
            codecs.append(batch.compression)
        }
        return codecs
    }

    @Test func theTopicCompressionTypeIsAppliedOnProduce() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("squeezed", configs: ["compression.type": "zstd"])
            let first = try await client.produce(try Requests.produce("squeezed", ["a", "b", "c"]))
            #expect(first.errorCode == 0 && first.baseOffset == 0)
            #expect(try await Self.codecs(client, "squeezed") == [.zstd])
            #expect(try await client.fetchAll("squeezed").map(\.value) == ["a", "b", "c"])

            // Back to the producer's codec: a gzip batch is stored as gzip.
            let alter = IncrementalAlterConfigsRequest(resources: [.init(
                resourceType: 2, resourceName: "squeezed", configs: [.init(name: "compression.type", configOperation: 0, value: "producer")])])
            let id = try await client.send(alter, version: 1)
            let altered = try await client.receive(IncrementalAlterConfigsResponse.self, version: 1, correlationId: id)
            try #require(altered.responses.first?.errorCode == 0)

            let now = Broker.wallClock()
            let gzip = try Self.keyedBatch([("k1", now), (nil, now + 1)], compression: .gzip)
            let second = try await client.produce(Requests.produce("squeezed", records: gzip))
            #expect(second.errorCode == 0 && second.baseOffset == 3)
            #expect(try await Self.codecs(client, "squeezed") == [.zstd, .gzip])
            #expect(try await client.fetchAll("squeezed").map(\.value) == ["a", "b", "c", "v0", "v1"])

            // An unknown codec is refused at creation, as Kafka's ConfigDef does.
            let refused = try await client.request(
                Requests.createTopics([.init(
                    name: "bogus", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "compression.type", value: "brotli")])]),
                version: 7)
            #expect(refused.topics.first?.errorCode == ErrorCode.invalidConfig.rawValue)
        }
    }
}

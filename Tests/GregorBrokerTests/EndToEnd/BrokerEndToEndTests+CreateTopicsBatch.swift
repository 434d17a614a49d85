import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker
import GregorStorage

/// One CreateTopics request of many topics lands in one metadata write.
extension BrokerEndToEndTests {
    @Test func aThousandTopicsInOneCreateTopicsRequest() async throws {
        try await TestBroker.with { broker, client in
            let n = 1000
            _ = try broker.broker.createTopic("single-0", partitions: 1, configs: [:])
            let writesBefore = broker.broker.metadata.writes
            var topics: [CreateTopicsRequest.CreatableTopic] = (0..<n).map { .init(name: "bulk-\($0)", numPartitions: 1, replicationFactor: 1) }
            topics.insert(.init(name: "single-0", numPartitions: 1, replicationFactor: 1), at: 500)
            topics.append(.init(name: "bad/name", numPartitions: 1, replicationFactor: 1))
            let response = try await client.request(Requests.createTopics(topics), version: 7, timeout: .seconds(120))

            #expect(response.topics.count == n + 2)
            #expect(response.topics.map(\.name) == topics.map(\.name))
            let failed = response.topics.filter { $0.errorCode != 0 }.map(\.name)
            #expect(failed == ["single-0", "bad/name"])
            #expect(response.topics[500].errorCode == ErrorCode.topicAlreadyExists.rawValue)
            let ids = response.topics.filter { $0.errorCode == 0 }.map(\.topicId)
            #expect(ids.count == n && Set(ids).count == n && !ids.contains(.zero))
            // Every created topic is known, with its id, and writable.
            #expect(broker.broker.metadata.topics.count == n + 1)
            #expect(broker.broker.metadata.writes == writesBefore + 1)
            #expect(broker.broker.metadata.topic("bulk-999")?.topicId == response.topics[n].topicId)
            let produced = try await client.produce(Requests.produce("bulk-999", ["x"]))
            #expect(produced.errorCode == 0)
        }
    }

    @Test func metadataAutoCreatesAllMissingTopicsInOneWrite() async throws {
        try await TestBroker.with { broker, client in
            let before = broker.broker.metadata.writes
            let names = (0..<50).map { "auto-\($0)" } + ["auto-0", "bad/name"]
            let response = try await client.request(Requests.metadata(names), version: 12)
            #expect(response.topics.map(\.name) == names)
            #expect(response.topics.filter { $0.errorCode == 0 }.count == 51)
            #expect(response.topics.last?.errorCode == ErrorCode.invalidTopicException.rawValue)
            #expect(broker.broker.metadata.writes == before + 1)
        }
    }
}

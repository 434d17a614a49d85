import KafkaProtocol
import NIOCore

/// A topic as `topics list` shows it.
public struct TopicSummary: Hashable, Sendable {
    public var name: String
    public var topicId: KafkaUUID
    public var partitionCount: Int
    public var isInternal: Bool
}

/// One partition as `topics describe` shows it.
public struct PartitionDescription: Hashable, Sendable {
    public var partition: Int32
    public var leader: Int32
    public var leaderEpoch: Int32
    public var replicas: [Int32]
    public var isr: [Int32]
    public var logStartOffset: Int64
    public var highWatermark: Int64
}

/// One topic config as DescribeConfigs reports it.
public struct TopicConfigEntry: Hashable, Sendable {
    public var name: String
    public var value: String?
    public var isDefault: Bool
    public var isSensitive: Bool
    public var readOnly: Bool
    /// Kafka's ConfigSource: 1 dynamic topic, 4 static broker, 5 default…
    public var source: Int8
}

/// Everything `topics describe` prints.
public struct TopicDescription: Hashable, Sendable {
    public var name: String
    public var topicId: KafkaUUID
    public var partitions: [PartitionDescription]
    public var configs: [TopicConfigEntry]

    /// Kafka-topics-like text: a summary line, one line per partition, then the configs
    /// (overrides only unless `allConfigs`).
    public func render(allConfigs: Bool = false) -> String {
        let overrides = configs.filter { !$0.isDefault && $0.source == 1 }
        var out = "Topic: \(name)\tTopicId: \(topicId)\tPartitionCount: \(partitions.count)"
        out += "\tConfigs: \(overrides.map { "\($0.name)=\($0.isSensitive ? "(sensitive)" : $0.value ?? "null")" }.joined(separator: ","))\n"
        for p in partitions {
            out += "\tPartition: \(p.partition)\tLeader: \(p.leader)\tReplicas: \(p.replicas.map(String.init).joined(separator: ","))"
            out += "\tIsr: \(p.isr.map(String.init).joined(separator: ","))\tLogStartOffset: \(p.logStartOffset)\tHighWatermark: \(p.highWatermark)\n"
        }
        if allConfigs {
            for c in configs.sorted(by: { $0.name < $1.name }) {
                out += "\t\(c.name)=\(c.isSensitive ? "(sensitive)" : c.value ?? "null")\(c.isDefault ? " (default)" : "")\n"
            }
        }
        return out
    }
}

/// `key=value` as the CLI takes it.
public func parseKeyValue(_ text: String, what: String = "config") throws(GregorClientError) -> (String, String) {
    guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
        throw .invalidArgument("\(what) takes key=value, got '\(text)'")
    }
    return (String(text[..<eq]), String(text[text.index(after: eq)...]))
}

extension KafkaClient {
    static let topicResourceType: Int8 = 2

    /// Metadata for `topics` (all topics when nil), without creating any.
    public func metadata(topics: [String]?) async throws -> MetadataResponse {
        let request = MetadataRequest(
            topics: topics.map { $0.map { MetadataRequest.MetadataRequestTopic(name: $0) } },
            allowAutoTopicCreation: false)
        return try await send(request)
    }

    public func createTopic(
        _ name: String, partitions: Int32 = -1, replicationFactor: Int16 = -1, configs: [(String, String)] = [],
        validateOnly: Bool = false
    ) async throws {
        let topic = CreateTopicsRequest.CreatableTopic(
            name: name, numPartitions: partitions, replicationFactor: replicationFactor,
            configs: configs.map { CreateTopicsRequest.CreatableTopicConfig(name: $0.0, value: $0.1) })
        let response = try await send(CreateTopicsRequest(topics: [topic], timeoutMs: 30_000, validateOnly: validateOnly))
        guard let result = response.topics.first(where: { $0.name == name }) else {
            throw GregorClientError.malformedResponse("CreateTopics: no result for \(name)")
        }
        try GregorClientError.check(result.errorCode, result.errorMessage, "cannot create topic \(name)")
    }

    /// Every topic, sorted by name; internal topics only when asked.
    public func listTopics(includeInternal: Bool = false) async throws -> [TopicSummary] {
        let response = try await metadata(topics: nil)
        return response.topics.compactMap { topic -> TopicSummary? in
            guard let name = topic.name, includeInternal || !topic.isInternal else { return nil }
            return TopicSummary(name: name, topicId: topic.topicId, partitionCount: topic.partitions.count, isInternal: topic.isInternal)
        }.sorted { $0.name < $1.name }
    }

    /// The partitions of `name` with leaders and replicas; throws when it does not exist.
    public func topicMetadata(_ name: String) async throws -> MetadataResponse.MetadataResponseTopic {
        let response = try await metadata(topics: [name])
        guard let topic = response.topics.first(where: { $0.name == name }) else {
            throw GregorClientError.broker(.unknownTopicOrPartition, nil, context: "topic \(name)")
        }
        try GregorClientError.check(topic.errorCode, nil, "topic \(name)")
        return topic
    }

    /// Offsets of each partition of `topic` at `timestamp` (-2 earliest, -1 latest), asked of
    /// each partition's leader as a Kafka admin client does (ListOffsets is answered by leaders).
    public func listOffsets(topic: String, partitions: [Int32], timestamp: Int64) async throws -> [Int32: Int64] {
        try await withLeaders(topic: topic, partitions: partitions) { leaders in
            var offsets: [Int32: Int64] = [:]
            for (client, wanted) in leaders.groups {
                offsets.merge(try await client.listOffsetsHere(topic: topic, partitions: wanted, timestamp: timestamp)) { a, _ in a }
            }
            return offsets
        }
    }

    func listOffsetsHere(topic: String, partitions: [Int32], timestamp: Int64) async throws -> [Int32: Int64] {
        let request = ListOffsetsRequest(
            replicaId: -1,
            topics: [.init(name: topic, partitions: partitions.map { .init(partitionIndex: $0, timestamp: timestamp, maxNumOffsets: 1) })])
        let version = try version(of: ListOffsetsRequest.self)
        let response = try await send(request, version: version)
        var offsets: [Int32: Int64] = [:]
        for t in response.topics where t.name == topic {
            for p in t.partitions {
                try GregorClientError.check(p.errorCode, nil, "ListOffsets \(topic)-\(p.partitionIndex)")
                offsets[p.partitionIndex] = version == 0 ? (p.oldStyleOffsets.first ?? -1) : p.offset
            }
        }
        return offsets
    }

    public func describeTopicConfigs(_ name: String) async throws -> [TopicConfigEntry] {
        let request = DescribeConfigsRequest(
            resources: [.init(resourceType: Self.topicResourceType, resourceName: name, configurationKeys: nil)])
        let response = try await send(request)
        guard let result = response.results.first else {
            throw GregorClientError.malformedResponse("DescribeConfigs: no result for \(name)")
        }
        try GregorClientError.check(result.errorCode, result.errorMessage, "cannot describe configs of \(name)")
        return result.configs.map {
            TopicConfigEntry(
                name: $0.name, value: $0.value, isDefault: $0.isDefault || $0.configSource == 5, isSensitive: $0.isSensitive,
                readOnly: $0.readOnly, source: $0.configSource)
        }
    }

    /// Partitions with leaders and offsets (ListOffsets), and the topic's configs.
    public func describeTopic(_ name: String) async throws -> TopicDescription {
        let topic = try await topicMetadata(name)
        let indexes = topic.partitions.map(\.partitionIndex).sorted()
        let earliest = try await listOffsets(topic: name, partitions: indexes, timestamp: -2)
        let latest = try await listOffsets(topic: name, partitions: indexes, timestamp: -1)
        let partitions = topic.partitions.sorted { $0.partitionIndex < $1.partitionIndex }.map { p in
            PartitionDescription(
                partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes,
                logStartOffset: earliest[p.partitionIndex] ?? -1, highWatermark: latest[p.partitionIndex] ?? -1)
        }
        let configs = try await describeTopicConfigs(name)
        return TopicDescription(name: name, topicId: topic.topicId, partitions: partitions, configs: configs)
    }

    /// Raises the partition count (CreatePartitions) and sets or deletes configs (IncrementalAlterConfigs).
    public func alterTopic(_ name: String, partitions: Int32? = nil, set: [(String, String)] = [], delete: [String] = []) async throws {
        if let partitions {
            let request = CreatePartitionsRequest(topics: [.init(name: name, count: partitions, assignments: nil)], timeoutMs: 30_000)
            let response = try await send(request)
            for result in response.results {
                try GregorClientError.check(result.errorCode, result.errorMessage, "cannot add partitions to \(name)")
            }
        }
        if !set.isEmpty || !delete.isEmpty {
            let configs = set.map { IncrementalAlterConfigsRequest.AlterableConfig(name: $0.0, configOperation: 0, value: $0.1) }
                + delete.map { IncrementalAlterConfigsRequest.AlterableConfig(name: $0, configOperation: 1, value: nil) }
            let request = IncrementalAlterConfigsRequest(
                resources: [.init(resourceType: Self.topicResourceType, resourceName: name, configs: configs)])
            let response = try await send(request)
            for result in response.responses {
                try GregorClientError.check(result.errorCode, result.errorMessage, "cannot alter configs of \(name)")
            }
        }
    }

    public func deleteTopic(_ name: String) async throws {
        let request = DeleteTopicsRequest(topics: [.init(name: name)], topicNames: [name], timeoutMs: 30_000)
        let response = try await send(request)
        guard let result = response.responses.first(where: { $0.name == name }) ?? response.responses.first else {
            throw GregorClientError.malformedResponse("DeleteTopics: no result for \(name)")
        }
        try GregorClientError.check(result.errorCode, result.errorMessage, "cannot delete topic \(name)")
    }
}

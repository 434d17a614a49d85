// Metadata (key 3).
// v1: null topics means all (empty means none), controller id, rack, is_internal. v2: cluster
// id. v3: throttle time. v4: allow_auto_topic_creation. v5: offline replicas. v7: leader epoch.
// v8: authorized operations (KIP-430). v9: flexible. v10: topic ids (KIP-516). v11: cluster
// authorized operations moved to DescribeCluster. v12: topics by id, null names (KIP-516).
// v13: a top-level error code (KIP-1102), which lets a broker tell a client to rebootstrap
// (REBOOTSTRAP_REQUIRED); Kafka 4.3 never sends it from a healthy broker, nor does Gregor.
import GregorStorage
import KafkaProtocol

enum MetadataHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...13
    static let runsOnEventLoop = true

    static func handle(_ request: MetadataRequest, _ context: RequestContext) async throws -> MetadataResponse? {
        let broker = context.broker
        let v = context.apiVersion
        var response = MetadataResponse(
            brokers: [.init(nodeId: broker.config.nodeId, host: context.advertised.host, port: Int32(context.advertised.port))],
            clusterId: broker.metadata.clusterId, controllerId: broker.config.nodeId)
        if let cluster = broker.cluster {
            response.brokers = liveBrokers(cluster, context)
            response.controllerId = cluster.controllerId
        }
        let requested: [MetadataRequest.MetadataRequestTopic]?
        // v0 sends an empty list for "all topics"; later versions send null.
        if v == 0 && request.topics?.isEmpty == true { requested = nil } else { requested = request.topics }
        // KafkaApis.handleTopicMetadataRequest: the cluster's operations only v8-10 (v11 moved
        // them to DescribeCluster), 0 without DESCRIBE on the cluster; the topic's on every
        // topic answered by name or known id.
        if (8...10).contains(v) && request.includeClusterAuthorizedOperations {
            response.clusterAuthorizedOperations =
                context.authorizedOnCluster(.describe) ? context.authorizedOperations(.cluster, ResourcePattern.clusterName) : 0
        }
        let topicOperations = v >= 8 && request.includeTopicAuthorizedOperations
        guard let requested else {
            // All topics: those the caller may not describe are left out, unmentioned.
            let all = broker.metadata.topics
            let describable = context.authorizedNames(.describe, .topic, all.map(\.name))
            response.topics = all.filter { describable.contains($0.name) }.map { describe($0, broker) }
            return withTopicOperations(response, topicOperations, context)
        }
        let named = requested.compactMap(\.name) + requested.compactMap { $0.name == nil ? broker.metadata.topic(id: $0.topicId)?.name : nil }
        let describable = context.authorizedNames(.describe, .topic, named)
        let autoCreate = broker.config.autoCreateTopics && (v < 4 || request.allowAutoTopicCreation)
        // Creating needs CREATE on the cluster or on the topic; a topic that may not be created
        // is TOPIC_AUTHORIZATION_FAILED (and not disclosed as missing).
        var creatable = Set<String>()
        if autoCreate {
            var seen = Set<String>()
            let missing = requested.compactMap(\.name).filter {
                describable.contains($0) && broker.metadata.topic($0) == nil && TopicNames.isValid($0) && seen.insert($0).inserted
            }
            creatable = context.authorizedOnCluster(.create) ? Set(missing) : context.authorizedNames(.create, .topic, missing)
            let toCreate = missing.filter(creatable.contains)
            if !toCreate.isEmpty {
                // All of the request's missing topics in one metadata write (a consumer of 1,000
                // topics). A topic that fails (a concurrent creation won) is described as it exists.
                _ = try? await broker.createTopics(
                    toCreate.map { NewTopic(name: $0, partitions: broker.config.numPartitions, configs: [:]) },
                    replicationFactor: broker.config.defaultReplicationFactor)
            }
        }
        for t in requested {
            if let name = t.name {
                guard describable.contains(name) else {
                    // Kafka answers a zero topic id here, so as not to disclose the topic.
                    response.topics.append(.init(errorCode: ErrorCode.topicAuthorizationFailed.rawValue, name: name))
                    continue
                }
                if let topic = broker.metadata.topic(name) {
                    response.topics.append(describe(topic, broker))
                } else if autoCreate && TopicNames.isValid(name) && !creatable.contains(name) {
                    response.topics.append(.init(errorCode: ErrorCode.topicAuthorizationFailed.rawValue, name: name))
                } else {
                    let code: ErrorCode = TopicNames.isValid(name) ? .unknownTopicOrPartition : .invalidTopicException
                    response.topics.append(.init(errorCode: code.rawValue, name: name))
                }
            } else if let topic = broker.metadata.topic(id: t.topicId) {
                // Topic ids are not secret: an id the caller may not describe is answered so.
                if describable.contains(topic.name) {
                    response.topics.append(describe(topic, broker))
                } else {
                    response.topics.append(.init(errorCode: ErrorCode.topicAuthorizationFailed.rawValue, name: nil, topicId: t.topicId))
                }
            } else {
                response.topics.append(.init(errorCode: ErrorCode.unknownTopicId.rawValue, name: nil, topicId: t.topicId))
            }
        }
        return withTopicOperations(response, topicOperations, context)
    }

    /// Sets the topic operations on every topic but those answered UNKNOWN_TOPIC_ID or
    /// TOPIC_AUTHORIZATION_FAILED (Kafka keeps the schema default there).
    static func withTopicOperations(_ response: MetadataResponse, _ include: Bool, _ context: RequestContext) -> MetadataResponse {
        guard include else { return response }
        var response = response
        let skipped: Set<Int16> = [ErrorCode.unknownTopicId.rawValue, ErrorCode.topicAuthorizationFailed.rawValue]
        for i in response.topics.indices where !skipped.contains(response.topics[i].errorCode) {
            response.topics[i].topicAuthorizedOperations = context.authorizedOperations(.topic, response.topics[i].name ?? "")
        }
        return response
    }

    static func describe(_ topic: TopicMetadata, _ broker: Broker) -> MetadataResponse.MetadataResponseTopic {
        if let cluster = broker.cluster { return describe(topic, cluster) }
        let node = broker.config.nodeId
        return .init(
            errorCode: 0, name: topic.name, topicId: topic.topicId, isInternal: topic.name.hasPrefix("__"),
            partitions: (0..<topic.partitionCount).map {
                .init(errorCode: 0, partitionIndex: $0, leaderId: node, leaderEpoch: 0, replicaNodes: [node], isrNodes: [node], offlineReplicas: [])
            })
    }
}

/// Kafka's rules for topic names: 1-249 characters of [a-zA-Z0-9._-], not "." or "..".
enum TopicNames {
    static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 249, name != ".", name != ".." else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5F || c == 0x2D
        }
    }
}

// CreateTopics (key 19).
// v0-1 left Kafka in 4.0 (KIP-896); Gregor keeps serving them. v1: validate_only and error
// messages. v2: throttle time. v4: default partitions and replication factor (-1, KIP-464).
// v5: flexible; the response carries the topic's configs, partitions and replication factor
// (KIP-525). v7: topic id (KIP-516).
// Authorization (KafkaApis.handleCreateTopicsRequest): CREATE on the cluster, or on the topic
// (TOPIC_AUTHORIZATION_FAILED, "Authorization failed."); a created topic's configs (v5+) are
// shown only with DESCRIBE_CONFIGS on it, else its topic_config_error_code says why not.
import GregorStorage
import KafkaProtocol

enum CreateTopicsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...7

    static func handle(_ request: CreateTopicsRequest, _ context: RequestContext) async throws -> CreateTopicsResponse? {
        let broker = context.broker
        var results: [CreateTopicsResponse.CreatableTopicResult] = []
        // Topics that pass validation, by result index; created together, with one metadata write.
        var pending: [(index: Int, topic: NewTopic)] = []
        var clustered: [(index: Int, topic: CreateTopicsRequest.CreatableTopic, configs: [String: String])] = []
        var seen: [String: Int] = [:]
        for t in request.topics { seen[t.name, default: 0] += 1 }
        let creatable = context.authorizedOnCluster(.create) ? Set(seen.keys) : context.authorizedNames(.create, .topic, seen.keys)
        for t in request.topics {
            var r = CreateTopicsResponse.CreatableTopicResult(name: t.name, numPartitions: -1, replicationFactor: -1)
            func fail(_ code: ErrorCode, _ message: String) {
                r.errorCode = code.rawValue
                r.errorMessage = message
            }
            let partitions = t.numPartitions == -1 ? (t.assignments.isEmpty ? broker.config.numPartitions : Int32(t.assignments.count)) : t.numPartitions
            let replication = t.replicationFactor == -1 ? broker.config.defaultReplicationFactor : t.replicationFactor
            var configs: [String: String] = [:]
            // A null value means "the default": no override.
            for c in t.configs { if let value = c.value { configs[c.name] = value } }
            if seen[t.name]! > 1 {
                fail(.invalidRequest, "Create topics request from client `\(context.clientId ?? "")` contains multiple entries for the following topics: \(t.name)")
            } else if !creatable.contains(t.name) {
                fail(.topicAuthorizationFailed, "Authorization failed.")
            } else if !TopicNames.isValid(t.name) {
                fail(.invalidTopicException, "Topic name \"\(t.name)\" is illegal")
            } else if broker.metadata.topic(t.name) != nil {
                fail(.topicAlreadyExists, "Topic '\(t.name)' already exists.")
            } else if !t.assignments.isEmpty && (t.numPartitions != -1 || t.replicationFactor != -1) {
                fail(.invalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
            } else if broker.cluster == nil, let bad = t.assignments.first(where: { $0.brokerIds != [broker.config.nodeId] }) {
                fail(.invalidReplicaAssignment, "Partition \(bad.partitionIndex) assigned to brokers \(bad.brokerIds); this cluster has only broker \(broker.config.nodeId).")
            } else if Set(t.assignments.map(\.partitionIndex)) != Set((0..<Int32(t.assignments.count)).map { $0 }) {
                fail(.invalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence")
            } else if partitions <= 0 {
                fail(.invalidPartitions, "Number of partitions must be larger than 0.")
            } else if broker.cluster == nil && replication != 1 {
                fail(.invalidReplicationFactor, "Unable to replicate the partition \(replication) time(s): The target replication factor of \(replication) cannot be reached because only 1 broker(s) are registered.")
            } else if let problem = ConfigKeys.topicProblem(configs) {
                fail(.invalidConfig, problem)
            } else if broker.cluster != nil {
                // The controller's placement decides, and checks the replication factor and any
                // manual assignment against the live brokers (CreateTopicsHandler+Cluster).
                clustered.append((results.count, t, configs))
            } else {
                r.numPartitions = partitions
                r.replicationFactor = replication
                if !request.validateOnly {
                    pending.append((results.count, NewTopic(name: t.name, partitions: partitions, configs: configs)))
                }
            }
            results.append(r)
        }
        if !pending.isEmpty {
            let created: [Result<TopicMetadata, any Error>]
            do {
                created = try broker.createTopics(pending.map(\.topic))
            } catch {
                // The metadata write failed: none of them exists.
                created = pending.map { _ in .failure(error) }
            }
            for (slot, result) in zip(pending, created) {
                switch result {
                case .success(let topic): results[slot.index].topicId = topic.topicId
                case .failure(let error):
                    results[slot.index].errorCode = ((error as? ClusterMetadataError)?.errorCode ?? .unknownServerError).rawValue
                    results[slot.index].errorMessage = "\(error)"
                    results[slot.index].numPartitions = -1
                    results[slot.index].replicationFactor = -1
                }
            }
        }
        if !clustered.isEmpty { await createInCluster(clustered, validateOnly: request.validateOnly, &results, context) }
        var response = CreateTopicsResponse()
        let configsVisible = context.authorizedNames(.describeConfigs, .topic, seen.keys)
        for (i, t) in request.topics.enumerated() {
            var r = results[i]
            if context.apiVersion >= 5 && r.errorCode == 0 && !configsVisible.contains(t.name) {
                r.topicConfigErrorCode = ErrorCode.topicAuthorizationFailed.rawValue
            } else if context.apiVersion >= 5 && r.errorCode == 0 {
                var configs: [String: String] = [:]
                for c in t.configs { if let value = c.value { configs[c.name] = value } }
                r.configs = configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value, configSource: 1) }
            }
            response.topics.append(r)
        }
        return response
    }
}

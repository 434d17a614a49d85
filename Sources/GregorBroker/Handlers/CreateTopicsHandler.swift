// CreateTopics (key 19).
// v1: validate_only. v2: throttle time. v4: default partitions and replication factor (-1,
// KIP-464). v5: flexible; the response carries the topic's configs, partitions and replication
// factor (KIP-525). v7: topic id (KIP-516).
import GregorStorage
import KafkaProtocol

enum CreateTopicsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 2...7

    static func handle(_ request: CreateTopicsRequest, _ context: RequestContext) async throws -> CreateTopicsResponse? {
        let broker = context.broker
        var response = CreateTopicsResponse()
        var seen: [String: Int] = [:]
        for t in request.topics { seen[t.name, default: 0] += 1 }
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
            } else if !TopicNames.isValid(t.name) {
                fail(.invalidTopicException, "Topic name \"\(t.name)\" is illegal")
            } else if broker.metadata.topic(t.name) != nil {
                fail(.topicAlreadyExists, "Topic '\(t.name)' already exists.")
            } else if !t.assignments.isEmpty && (t.numPartitions != -1 || t.replicationFactor != -1) {
                fail(.invalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.")
            } else if let bad = t.assignments.first(where: { $0.brokerIds != [broker.config.nodeId] }) {
                fail(.invalidReplicaAssignment, "Partition \(bad.partitionIndex) assigned to brokers \(bad.brokerIds); this cluster has only broker \(broker.config.nodeId).")
            } else if Set(t.assignments.map(\.partitionIndex)) != Set((0..<Int32(t.assignments.count)).map { $0 }) {
                fail(.invalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence")
            } else if partitions <= 0 {
                fail(.invalidPartitions, "Number of partitions must be larger than 0.")
            } else if replication != 1 {
                fail(.invalidReplicationFactor, "Unable to replicate the partition \(replication) time(s): The target replication factor of \(replication) cannot be reached because only 1 broker(s) are registered.")
            } else if let bad = configs.first(where: { TopicConfigs.validate($0.key, $0.value) != true }) {
                fail(.invalidConfig, TopicConfigs.validate(bad.key, bad.value) == nil ? "Unknown topic config name: \(bad.key)" : "Invalid value \(bad.value) for configuration \(bad.key)")
            } else {
                r.numPartitions = partitions
                r.replicationFactor = replication
                if !request.validateOnly {
                    do {
                        let created = try broker.createTopic(t.name, partitions: partitions, configs: configs)
                        r.topicId = created.topicId
                    } catch {
                        fail(.topicAlreadyExists, "\(error)")
                    }
                }
            }
            if context.apiVersion >= 5 && r.errorCode == 0 {
                r.configs = configs.sorted { $0.key < $1.key }.map { .init(name: $0.key, value: $0.value, configSource: 1) }
            }
            response.topics.append(r)
        }
        return response
    }
}

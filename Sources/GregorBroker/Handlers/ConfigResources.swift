// What DescribeConfigs, AlterConfigs and IncrementalAlterConfigs share: resource types, the
// broker-resource checks of Kafka's ConfigAdminManager, and committing a topic's new configs.
import GregorStorage
import KafkaProtocol

/// ConfigResource.Type ids.
enum ConfigResourceType: Int8 {
    case topic = 2, broker = 4, brokerLogger = 8, clientMetrics = 16, group = 32
}

extension ConfigResourceType {
    /// KafkaApis' config authorization: DESCRIBE_CONFIGS or ALTER_CONFIGS on the topic or group,
    /// or on the cluster for brokers, loggers and client metrics. The error for a caller without
    /// it, with Kafka's default message; nil if allowed (or for a type Kafka refuses otherwise).
    static func refusal(_ type: Int8, _ name: String, _ operation: AclOperation, _ context: RequestContext) -> ApiError? {
        let (code, allowed): (ErrorCode, Bool) = switch ConfigResourceType(rawValue: type) {
        case .topic: (.topicAuthorizationFailed, context.authorized(operation, .topic, name))
        case .group: (.groupAuthorizationFailed, context.authorized(operation, .group, name))
        case .broker, .brokerLogger, .clientMetrics: (.clusterAuthorizationFailed, context.authorizedOnCluster(operation))
        case nil: (.none, true)
        }
        return allowed ? nil : ApiError(code, code.defaultMessage)
    }
}

/// An error code with its message, as Kafka's ApiError.
struct ApiError: Error {
    let code: ErrorCode
    let message: String?

    init(_ code: ErrorCode, _ message: String?) {
        self.code = code
        self.message = message
    }
}

enum ConfigResources {
    /// Kafka's Topic.validate, in its words; nil for a legal name.
    static func topicNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "Topic name is illegal, it can't be empty" }
        if name == "." || name == ".." { return "Topic name cannot be \".\" or \"..\"" }
        if name.utf8.count > 249 { return "Topic name is illegal, it can't be longer than 249 characters, topic name: \(name)" }
        if !TopicNames.isValid(name) {
            return "Topic name \"\(name)\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        }
        return nil
    }

    /// Kafka's internal topics (Topic.isInternal).
    static func isInternal(_ topic: String) -> Bool {
        topic == "__consumer_offsets" || topic == "__transaction_state" || topic == "__share_group_state"
    }

    /// ConfigAdminManager.validateResourceNameIsCurrentNodeId; the empty name is the cluster default.
    static func checkBrokerName(_ name: String, _ broker: Broker) throws(ApiError) {
        guard !name.isEmpty else { return }
        guard let id = Int32(name) else { throw ApiError(.invalidRequest, "Node id must be an integer, but it is: \(name)") }
        guard id == broker.config.nodeId else {
            throw ApiError(.invalidRequest, "Unexpected broker id, expected \(broker.config.nodeId), but received \(name)")
        }
    }

    /// A change to broker configs. Gregor has no dynamic broker configs, so any config left set
    /// is refused as Kafka refuses its read-only ones (DynamicBrokerConfig.validateConfigs,
    /// INVALID_REQUEST); removing a dynamic value that cannot exist is a no-op.
    static func alterBroker(_ name: String, setting keys: [String], _ broker: Broker) throws(ApiError) {
        try checkBrokerName(name, broker)
        guard keys.isEmpty else {
            throw ApiError(.invalidRequest, "Cannot update these configs dynamically: Set(\(keys.joined(separator: ", ")))")
        }
    }

    /// Checks a topic's complete new set of overrides as the controller does (name, then the
    /// configs, then the topic's existence) and, unless `validateOnly`, stores them and applies
    /// them to every partition's log at once. Values are stored as Kafka prints them once parsed
    /// (" 1000" as "1000"). `replace` drops overrides not in `configs` atomically (AlterConfigs);
    /// otherwise only the differences from `current` are written (IncrementalAlterConfigs).
    static func alterTopic(_ name: String, from current: [String: String], to configs: [String: String], replace: Bool,
                           validateOnly: Bool, _ broker: Broker) async throws(ApiError)
    {
        guard !name.isEmpty else { throw ApiError(.invalidRequest, "Default topic resources are not allowed.") }
        if let problem = topicNameProblem(name) { throw ApiError(.invalidTopicException, problem) }
        let next = configs.reduce(into: [String: String]()) { out, c in out[c.key] = ConfigKeys.topicByName[c.key]?.normalized(c.value) ?? c.value }
        if let problem = ConfigKeys.topicProblem(next) { throw ApiError(.invalidConfig, problem) }
        guard broker.metadata.topic(name) != nil else {
            throw ApiError(.unknownTopicOrPartition, "The topic '\(name)' does not exist.")
        }
        guard !validateOnly else { return }
        if let cluster = broker.cluster {
            // In a cluster the topic record in etcd changes; every broker applies it from the watch.
            if case .failure(let failure) = await cluster.setTopicConfigs(name, next) { throw ApiError(failure.code, failure.message) }
            return
        }
        do {
            if replace {
                try broker.metadata.replaceConfigs(name, with: next)
            } else {
                try broker.metadata.alterConfigs(name, set: next.filter { current[$0.key] != $0.value }, remove: Set(current.keys).subtracting(next.keys))
            }
        } catch {
            throw ApiError(error.errorCode, error.message)
        }
        broker.applyTopicConfigs(name)
    }

    /// The names that appear more than once.
    static func duplicates<S: Sequence>(_ names: S) -> Set<S.Element> where S.Element: Hashable {
        var seen = Set<S.Element>()
        var twice = Set<S.Element>()
        for n in names where !seen.insert(n).inserted { twice.insert(n) }
        return twice
    }
}

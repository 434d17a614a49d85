// DescribeConfigs (key 32).
// v1: config source replaces is_default, and synonyms on request (KIP-226). v2: no change.
// v3: documentation on request and the config type (KIP-569). v4: flexible.
// v0 left Kafka in 4.0 (KIP-896); Gregor keeps it: is_default is true for a config source of
// DEFAULT_CONFIG, as Kafka up to 2.6 answered and the Java client reads it (2.7-3.9 always
// said false, a regression nobody fixed before v0 went).
// Topics list every Kafka 4.0 topic config with its effective value: the topic's override
// (DYNAMIC_TOPIC_CONFIG), else the broker's setting (STATIC_BROKER_CONFIG), else the default.
// The broker resource (its node id) lists every broker key Gregor has, all read-only (see
// DescribeConfigsHandler+Broker.swift); the empty name (cluster-wide dynamic defaults) lists none, as
// there are none. A CLIENT_METRICS subscription (KIP-714) lists its three keys, stored or default
// (see ConfigResources+ClientMetrics.swift). Sensitive keys (Kafka's PASSWORD type) are answered as null (KIP-226).
// Each resource needs DESCRIBE_CONFIGS on its topic or group, or on the cluster for brokers
// (TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED with Kafka's default message).
import GregorStorage
import KafkaProtocol

enum DescribeConfigsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...4

    typealias Entry = DescribeConfigsResponse.DescribeConfigsResourceResult

    static func handle(_ request: DescribeConfigsRequest, _ context: RequestContext) async throws -> DescribeConfigsResponse? {
        // Kafka checks every resource type before describing any: one unknown type fails them all.
        if let bad = request.resources.first(where: { ConfigResourceType(rawValue: $0.resourceType) == nil }) {
            return DescribeConfigsResponse(results: request.resources.map {
                .init(errorCode: ErrorCode.invalidRequest.rawValue,
                      errorMessage: "Unexpected resource type \(bad.resourceType) for resource \(bad.resourceName)",
                      resourceType: $0.resourceType, resourceName: $0.resourceName)
            })
        }
        let options = Options(synonyms: request.includeSynonyms, documentation: request.includeDocumentation)
        var response = DescribeConfigsResponse()
        for resource in request.resources {
            var result = DescribeConfigsResponse.DescribeConfigsResult(resourceType: resource.resourceType, resourceName: resource.resourceName)
            do throws(ApiError) {
                if let refused = ConfigResourceType.refusal(resource.resourceType, resource.resourceName, .describeConfigs, context) {
                    throw refused
                }
                var entries = try describe(resource, options, context.broker)
                if let keys = resource.configurationKeys, !keys.isEmpty {
                    let wanted = Set(keys)
                    entries = entries.filter { wanted.contains($0.name) }
                }
                if context.apiVersion == 0 {
                    for i in entries.indices { entries[i].isDefault = entries[i].configSource == ConfigSource.defaultConfig.rawValue }
                }
                result.configs = entries
            } catch {
                result.errorCode = error.code.rawValue
                // Kafka's unknown-topic result keeps the message field's default, "".
                result.errorMessage = error.message ?? ""
            }
            response.results.append(result)
        }
        return response
    }

    struct Options {
        let synonyms: Bool
        let documentation: Bool
    }

    static func describe(_ resource: DescribeConfigsRequest.DescribeConfigsResource, _ options: Options, _ broker: Broker) throws(ApiError) -> [Entry] {
        let name = resource.resourceName
        switch ConfigResourceType(rawValue: resource.resourceType)! {
        case .topic:
            if let problem = ConfigResources.topicNameProblem(name) { throw ApiError(.invalidTopicException, problem) }
            // Kafka sends no message with this one.
            guard let topic = broker.metadata.topic(name) else { throw ApiError(.unknownTopicOrPartition, nil) }
            return topicEntries(topic.configs, options, broker.config)
        case .broker:
            if name.isEmpty { return [] }
            guard let id = Int32(name) else { throw ApiError(.invalidRequest, "Broker id must be an integer, but it is: \(name)") }
            guard id == broker.config.nodeId else {
                throw ApiError(.invalidRequest, "Unexpected broker id, expected \(broker.config.nodeId) or empty string, but received \(name)")
            }
            return brokerEntries(options, broker.config)
        case .brokerLogger:
            // Kafka lists its log4j loggers; Gregor has none to list.
            guard !name.isEmpty else { throw ApiError(.invalidRequest, "Broker id must not be empty") }
            guard let id = Int32(name) else { throw ApiError(.invalidRequest, "Broker id must be an integer, but it is: \(name)") }
            guard id == broker.config.nodeId else {
                throw ApiError(.invalidRequest, "Unexpected broker id, expected \(broker.config.nodeId) but received \(name)")
            }
            return []
        case .clientMetrics:
            return try ConfigResources.describeClientMetrics(name, options, broker)
        case .group:
            throw ApiError(.invalidRequest, "Unsupported resource type: GROUP (Gregor has no such configs)")
        }
    }

    /// ConfigHelper.createTopicConfigEntry for each listed topic key.
    static func topicEntries(_ overrides: [String: String], _ options: Options, _ config: BrokerConfig) -> [Entry] {
        let statics = staticBrokerConfigs(config)
        return ConfigKeys.topic.filter(\.listed).map { key in
            var synonyms: [ConfigSynonym] = []
            if let override = overrides[key.name] {
                synonyms.append(ConfigSynonym(name: key.name, value: key.normalized(override), source: .dynamicTopic))
            }
            synonyms += ConfigKeys.synonyms(chain: key.synonyms, statics: statics)
            // The broker's setting where Gregor's log obeys one, else the table's default.
            let value = overrides[key.name].map(key.normalized) ?? key.current?(config) ?? key.defaultValue
            return entry(key, key.name, value, synonyms, readOnly: false, options)
        }
    }

    static func entry(_ key: ConfigKey?, _ name: String, _ value: String?, _ synonyms: [ConfigSynonym], readOnly: Bool, _ options: Options) -> Entry {
        // Kafka treats a key of unknown type as sensitive, to be safe (KafkaConfig.maybeSensitive).
        let sensitive = key?.sensitive ?? true
        return Entry(
            name: name, value: sensitive ? nil : value, readOnly: readOnly,
            configSource: (synonyms.first?.source ?? .defaultConfig).rawValue, isSensitive: sensitive,
            synonyms: options.synonyms ? synonyms.map { .init(name: $0.name, value: sensitive ? nil : $0.value, source: $0.source.rawValue) } : [],
            configType: (key?.type ?? .unknown).rawValue, documentation: options.documentation ? key?.documentation : nil)
    }
}

// CLIENT_METRICS config resources (KIP-714): DescribeConfigs answers as Kafka 4.1+ does
// (KAFKA-17516: all three keys, the stored value else the default), and both AlterConfigs
// requests validate the subscription's complete new set of keys before storing it in the
// cluster metadata, where it survives a restart. Deleting every key removes the subscription.
import GregorStorage
import KafkaProtocol

extension ConfigResources {
    /// ConfigHelper's client metrics entries: `metrics`, `interval.ms`, `match`, each with its
    /// stored value (source DYNAMIC_CLIENT_METRICS_CONFIG, 7) or its default (DEFAULT_CONFIG).
    static func describeClientMetrics(_ name: String, _ options: DescribeConfigsHandler.Options, _ broker: Broker) throws(ApiError)
        -> [DescribeConfigsHandler.Entry]
    {
        guard !name.isEmpty else { throw ApiError(.invalidRequest, "Client metrics subscription name must not be empty") }
        let stored = broker.metadata.clientMetricsConfigs(name)
        return ClientMetricsConfigs.names.map { key in
            let isList = key != ClientMetricsConfigs.intervalMs
            let value = stored[key].map { isList ? ClientMetricsConfigs.listItems($0).joined(separator: ",") : $0.trimmed }
            let synonyms = value.map { [DescribeConfigsResponse.DescribeConfigsSynonym(name: key, value: $0, source: ConfigSource.dynamicClientMetrics.rawValue)] } ?? []
            return DescribeConfigsHandler.Entry(
                name: key, value: value ?? ClientMetricsConfigs.defaults[key], readOnly: false,
                configSource: (value == nil ? ConfigSource.defaultConfig : .dynamicClientMetrics).rawValue, isSensitive: false,
                synonyms: options.synonyms ? synonyms : [], configType: (isList ? ConfigType.list : .int).rawValue,
                documentation: options.documentation ? ClientMetricsConfigs.documentation[key] : nil)
        }
    }

    /// Validates a subscription's complete new keys (ClientMetricsConfigs.validate) and, unless
    /// `validateOnly`, stores them and re-evaluates every client against the new subscriptions.
    static func alterClientMetrics(_ name: String, to configs: [String: String], validateOnly: Bool, _ broker: Broker) throws(ApiError) {
        _ = try ClientMetricsConfigs.subscription(name, configs)
        guard !validateOnly else { return }
        do {
            try broker.metadata.setClientMetricsConfigs(name, configs)
        } catch {
            throw ApiError(error.errorCode, error.message)
        }
        let subscriptions = ClientMetricsSubscriptions(stored: broker.metadata.clientMetricsSubscriptions)
        broker.telemetry.withLock { $0.setSubscriptions(subscriptions) }
    }
}

extension ClientMetricsConfigs {
    /// The keys' documentation, as DescribeConfigs v3+ returns it on request.
    static let documentation: [String: String] = [
        metrics: "The telemetry metric name prefixes to be pushed by the client. An empty list subscribes to none, and '*' to all.",
        intervalMs: "The interval in milliseconds between client pushes of telemetry metrics (100 to 3600000).",
        match: "The client matching patterns, as name=regex pairs; the name is one of client_instance_id, client_id, "
            + "client_software_name, client_software_version, client_source_address and client_source_port.",
    ]
}

// Client metrics subscriptions (KIP-714, config resource type CLIENT_METRICS): named sets of
// config keys kept in the cluster metadata file beside the topics, as Kafka keeps them in its
// metadata log as ConfigRecords, so they survive a restart.
import KafkaProtocol

extension ClusterMetadataStore {
    /// Every stored subscription: its name and the config keys set on it.
    public var clientMetricsSubscriptions: [String: [String: String]] { clientMetrics.withLock { $0 } }

    /// The keys stored for one subscription; empty when there is none.
    public func clientMetricsConfigs(_ name: String) -> [String: String] { clientMetrics.withLock { $0[name] ?? [:] } }

    /// Replaces a subscription's keys, on disk before it returns. An empty set removes the
    /// subscription, as deleting every key does in Kafka.
    public func setClientMetricsConfigs(_ name: String, _ configs: [String: String]) throws(ClusterMetadataError) {
        try topicsByName.withLock { (topics: inout [String: TopicMetadata]) throws(ClusterMetadataError) in
            var next = clientMetrics.withLock { $0 }
            next[name] = configs.isEmpty ? nil : configs
            try persist(topics, clientMetrics: next)
            clientMetrics.withLock { $0 = next }
        }
    }
}

import GregorCluster

/// A broker's settings as a member of a cluster kept in etcd (`metadata.store`).
public struct ClusterSettings: Sendable {
    /// Kafka's rack-aware replica selector (KIP-392), the one `replica.selector.class` Gregor knows.
    static let rackAwareSelector = "org.apache.kafka.common.replica.RackAwareReplicaSelector"

    /// `metadata.store`, as given.
    public var store: String
    /// The etcd endpoints it names.
    public var endpoints: [EtcdEndpoint]
    /// `metadata.store.prefix`.
    public var prefix = "/gregor"
    /// `broker.rack`.
    public var rack: String?
    /// `broker.session.timeout.ms`: the TTL of the broker's etcd lease.
    public var sessionTimeoutMs: Int64 = 9000
    /// `broker.heartbeat.interval.ms`: how often the lease is renewed.
    public var heartbeatIntervalMs: Int64 = 2000
    /// `replica.lag.time.max.ms`.
    public var replicaLagTimeMaxMs: Int64 = 30000
    /// `replica.fetch.wait.max.ms`, `replica.fetch.max.bytes`, `replica.fetch.response.max.bytes`.
    public var replicaFetchWaitMaxMs: Int32 = 500
    public var replicaFetchMaxBytes: Int32 = 1_048_576
    public var replicaFetchResponseMaxBytes: Int32 = 10_485_760
    /// `auto.leader.rebalance.enable` and `leader.imbalance.check.interval.seconds`.
    public var autoLeaderRebalance = true
    public var leaderImbalanceCheckIntervalSeconds: Int64 = 300
    /// `replica.selector.class` set to the rack-aware selector.
    public var rackAwareReads = false

    public init(store: String) throws {
        self.store = store
        self.endpoints = try EtcdEndpoint.parse(store)
    }

    private init() {
        store = ""
        endpoints = []
    }

    /// The settings' defaults, which a broker alone reports too.
    static let defaults = ClusterSettings()

    /// The etcd keys of this cluster.
    public var keys: MetadataKeys { MetadataKeys(prefix: prefix) }
}

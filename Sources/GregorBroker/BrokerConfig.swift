import GregorCoordination
import GregorStorage

/// The broker's settings, by their Kafka names.
public struct BrokerConfig: Sendable {
    /// `node.id`.
    public var nodeId: Int32 = 1
    /// `listeners` with `listener.security.protocol.map`: where to accept connections, and how.
    /// The default `::` is dual-stack on Linux: IPv4 and IPv6 on one socket (librdkafka tries `::1`
    /// first for localhost).
    public var listeners: [Listener] = [Listener(host: "::", port: 9092)]
    /// `advertised.listeners`: what Metadata tells clients, per listener name. A port of 0 stands
    /// for the port its listener was bound to.
    public var advertisedListeners: [ListenerEndpoint] = [ListenerEndpoint(host: "localhost", port: 9092)]
    /// `inter.broker.listener.name` and `control.plane.listener.name`: accepted for clusters.
    public var interBrokerListenerName: String?
    public var controlPlaneListenerName: String?
    /// The TLS settings of each SSL and SASL_SSL listener, by listener name.
    public var tls: [String: TLSSettings] = [:]
    /// How a cluster member reaches the other brokers; nil for a broker on its own.
    public var interBroker: InterBrokerSecurity?
    /// The SASL settings of each SASL_PLAINTEXT and SASL_SSL listener, by listener name.
    public var sasl: [String: SaslSettings] = [:]
    /// `sasl.server.max.receive.size`: the largest frame before authentication.
    public var saslServerMaxReceiveSize = 524_288
    /// `connection.failed.authentication.delay.ms` (KIP-306): how long a connection whose
    /// authentication failed stays open before it is closed.
    public var failedAuthenticationDelayMs = 100
    /// `connections.max.reauth.ms` (KIP-368): how long a SASL login lasts before the client must
    /// log in again on the same connection; 0 for ever.
    public var connectionsMaxReauthMs: Int64 = 0
    /// `delegation.token.secret.key` (KIP-48): delegation tokens are enabled only with it.
    public var delegationTokenSecretKey: String?
    /// `delegation.token.max.lifetime.ms` and `delegation.token.expiry.time.ms`.
    public var delegationTokenMaxLifetimeMs: Int64 = 7 * 86_400_000
    public var delegationTokenExpiryTimeMs: Int64 = 86_400_000
    /// `authorizer.class.name`, `super.users`, `allow.everyone.if.no.acl.found`: ACLs are
    /// enforced only with an authorizer, as in Kafka.
    public var authorizer: AclAuthorizerSettings?
    /// `quota.window.num` and `quota.window.size.seconds`: the samples client quotas are
    /// measured over.
    public var quotaWindowNum = 11
    public var quotaWindowSizeSeconds = 1
    /// `log.dirs`.
    public var logDirs: [String] = ["/tmp/gregor-logs"]
    /// `num.partitions`: partitions of auto-created topics and of CreateTopics asking for -1.
    public var numPartitions: Int32 = 1
    /// `default.replication.factor`.
    public var defaultReplicationFactor: Int16 = 1
    /// `auto.create.topics.enable`.
    public var autoCreateTopics: Bool = true
    /// `message.max.bytes`: the broker default of the topic's `max.message.bytes`.
    public var messageMaxBytes: Int = 1_048_588
    /// `socket.request.max.bytes`: the largest request frame.
    public var socketRequestMaxBytes: Int = 104_857_600
    /// `socket.send.buffer.bytes`: SO_SNDBUF of each accepted connection (192 KiB, Gregor's
    /// default, not Kafka's 102400), -1 for the OS's own (autotuned) size.
    public var socketSendBufferBytes: Int = 196_608
    /// `socket.receive.buffer.bytes`: SO_RCVBUF of each listening socket, set before it binds so
    /// that accepted connections inherit it (and the window scale it implies), -1 (Gregor's
    /// default, not Kafka's 102400) for the OS's autotuned size.
    public var socketReceiveBufferBytes: Int = -1
    /// `socket.listen.backlog.size` (KIP-764): pending connections a listener queues.
    public var socketListenBacklogSize: Int = 50
    /// `num.network.threads`: the event loops, shared by every listener (Kafka's are per listener).
    public var numNetworkThreads: Int = 3
    /// `connections.max.idle.ms`.
    public var connectionsMaxIdleMs: Int64 = 600_000
    /// Broker-level defaults of topic configs (`log.retention.ms`, `log.segment.bytes`…).
    public var logDefaults = LogConfig()
    /// The cluster id, when set explicitly; otherwise the stored or a new one.
    public var clusterId: String?
    /// `group.initial.rebalance.delay.ms`: how long a new classic group waits for more members.
    public var groupInitialRebalanceDelayMs: Int32 = 3000
    /// `group.min.session.timeout.ms`.
    public var groupMinSessionTimeoutMs: Int32 = 6000
    /// `group.max.session.timeout.ms`.
    public var groupMaxSessionTimeoutMs: Int32 = 1_800_000
    /// `group.max.size`: members of one classic group.
    public var groupMaxSize: Int32 = Int32.max

    /// `group.consumer.*` (KIP-848): heartbeat interval, session timeout, max size, assignors.
    public var consumerGroupConfig = ConsumerGroupConfig()
    /// `num.io.threads`: the threads request handlers run on.
    public var numIoThreads = 8
    /// `offsets.*` and `offset.metadata.max.bytes`: the committed-offsets topic and retention.
    public var offsets = OffsetStoreConfig()
    /// `transaction.max.timeout.ms`, `transactional.id.expiration.ms` and the cleanup interval.
    public var transactions = TransactionConfig()
    /// `transaction.state.log.num.partitions`.
    public var transactionStatePartitions: Int32 = 50
    /// `transaction.state.log.segment.bytes`.
    public var transactionStateSegmentBytes: Int64 = 104_857_600
    /// `transaction.partition.verification.enable` (KIP-890 part 1).
    public var transactionPartitionVerification = true
    /// `metadata.store` and the replication keys: nil for a broker that is its own cluster.
    public var cluster: ClusterSettings?
    /// `offsets.topic.replication.factor` and `transaction.state.log.replication.factor`.
    public var offsetsTopicReplicationFactor: Int16 = 3
    public var transactionStateReplicationFactor: Int16 = 3
    /// `min.insync.replicas`: the broker default of the topic key.
    public var minInsyncReplicas: Int32 = 1
    /// `unclean.leader.election.enable`: the broker default of the topic key.
    public var uncleanLeaderElection = false
    /// `producer.id.expiration.ms` (KIP-854).
    public var producerIdExpirationMs: Int64 = 86_400_000

    /// The `group.*` settings as the classic group state machine takes them.
    public var classicGroupConfig: ClassicGroupConfig {
        ClassicGroupConfig(
            initialRebalanceDelayMs: Int64(groupInitialRebalanceDelayMs), maxSize: Int(groupMaxSize),
            minSessionTimeoutMs: groupMinSessionTimeoutMs, maxSessionTimeoutMs: groupMaxSessionTimeoutMs)
    }

    /// Every key the configuration named, with its value as given (Kafka's staticBrokerConfigs):
    /// DescribeConfigs reports these as STATIC_BROKER_CONFIG, and the rest as defaults.
    public var staticConfigs: [String: String] = [:]

    public init() {}
}

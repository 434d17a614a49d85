import Foundation
import GregorClient
import GregorCoordination
import GregorStorage
import KafkaProtocol
import Logging
import NIOCore
import Synchronization

/// The state every handler works on: the logs, the cluster metadata and the settings.
public final class Broker: Sendable {
    public let config: BrokerConfig
    public let logs: LogManager
    public let metadata: ClusterMetadataStore
    let logger: Logger
    let clock: @Sendable () -> Int64
    let supported = SupportedApis.all
    let producerIds: ProducerIdBlocks
    /// Incremental fetch sessions (KIP-227), `max.incremental.fetch.session.cache.slots` of them.
    let fetchSessions = Mutex(FetchSessionCache())
    /// Classic consumer groups (JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the admin APIs).
    let groupCoordinator: GroupCoordinator
    /// Committed offsets, durable in `__consumer_offsets`.
    let offsets: OffsetStore
    /// Transactions (KIP-98), durable in `__transaction_state`.
    let transactions: TransactionCoordinator
    /// Where request handlers run (`num.io.threads`).
    public let io: IOExecutor
    /// The advertised endpoints, with the bound port for a listener on port 0.
    private let advertisedListeners: Mutex<[ListenerEndpoint]>
    /// SCRAM credentials (KIP-554), durable in the first log directory or kept in etcd.
    let scramCredentials: ScramCredentialStore
    /// Delegation tokens (KIP-48), durable in the first log directory or kept in etcd.
    let delegationTokens: DelegationTokens
    /// The ACLs, with `authorizer.class.name` set; nil without an authorizer.
    let acls: AclStore?
    /// Client quotas (KIP-546) and the rates that enforce them.
    let clientQuotas: ClientQuotas
    /// Client metrics subscriptions and the client instances asking for them (KIP-714).
    let telemetry: Mutex<ClientTelemetry>
    /// The `.lock` of every log dir, taken before anything there is read and held until `shutdown`.
    let dirLocks: LogDirLocks
    /// This broker's membership of a cluster kept in etcd (`metadata.store`); nil for a
    /// broker that is its own cluster.
    let cluster: ClusterMember?

    public init(config: BrokerConfig, logger: Logger, clock: @escaping @Sendable () -> Int64 = Broker.wallClock) throws {
        self.config = config
        self.logger = logger
        self.clock = clock
        self.advertisedListeners = Mutex(config.advertisedListeners)
        for (listener, settings) in config.sasl.sorted(by: { $0.key < $1.key }) {
            guard let gssapi = settings.gssapi else { continue }
            do { try gssapi.setUpLibrary() } catch {
                throw GssapiUnavailable(reason: "GSSAPI on listener \(listener): \(error.reason)")
            }
        }
        self.dirLocks = try LogDirLocks(config.logDirs)
        self.metadata = try ClusterMetadataStore(directory: config.logDirs[0], logDirs: config.logDirs, nodeId: config.nodeId,
                                                 clusterId: config.clusterId)
        let cluster = try config.cluster.map {
            ClusterMember(
                nodeId: config.nodeId, settings: $0,
                defaults: .init(partitions: config.numPartitions, replicationFactor: config.defaultReplicationFactor,
                                uncleanLeaderElection: config.uncleanLeaderElection),
                security: try config.interBroker?.clientSecurity() ?? ClientSecurity(),
                interBrokerListener: config.interBroker?.listener ?? config.interBrokerListenerName ?? config.listeners.first?.name ?? "PLAINTEXT",
                logger: logger)
        }
        self.cluster = cluster
        // A cluster member's security metadata is the cluster's, in etcd; a broker on its own
        // keeps it in its first log directory.
        let tokenSettings = DelegationTokens.Settings(
            secretKey: config.delegationTokenSecretKey, maxLifetimeMs: config.delegationTokenMaxLifetimeMs,
            expiryTimeMs: config.delegationTokenExpiryTimeMs)
        let quotaWindowMs = Int64(config.quotaWindowSizeSeconds) * 1000
        if let cluster {
            self.scramCredentials = ScramCredentialStore(cluster: cluster)
            self.delegationTokens = DelegationTokens(settings: tokenSettings, clock: clock, cluster: cluster)
            self.clientQuotas = ClientQuotas(samples: config.quotaWindowNum, windowMs: quotaWindowMs, cluster: cluster)
            self.acls = config.authorizer.map { AclStore(settings: $0, cluster: cluster) }
            for file in [ScramCredentialStore.fileName, DelegationTokens.fileName, ClientQuotas.fileName, AclStore.fileName]
            where FileManager.default.fileExists(atPath: (config.logDirs[0] as NSString).appendingPathComponent(file)) {
                logger.warning("\(file) in \(config.logDirs[0]) is ignored: a cluster member's security metadata is kept in etcd")
            }
        } else {
            self.scramCredentials = try ScramCredentialStore(directory: config.logDirs[0])
            self.delegationTokens = try DelegationTokens(directory: config.logDirs[0], settings: tokenSettings, clock: clock)
            self.clientQuotas = try ClientQuotas(directory: config.logDirs[0], samples: config.quotaWindowNum, windowMs: quotaWindowMs)
            self.acls = try config.authorizer.map { try AclStore(directory: config.logDirs[0], settings: $0) }
        }
        self.telemetry = Mutex(ClientTelemetry(subscriptions: ClientMetricsSubscriptions(stored: metadata.clientMetricsSubscriptions)))
        let io = IOExecutor(threads: config.numIoThreads)
        self.logs = LogManager(
            logDirs: config.logDirs, highWatermarkMode: config.cluster == nil ? .logEnd : .replicated, logger: logger,
            rollFlusher: RollFlusher { work in Task(executorPreference: io) { work() } }, clock: clock)
        self.producerIds = config.cluster == nil ? try ProducerIdBlocks(directory: config.logDirs[0]) : ProducerIdBlocks(granted: ())
        let metadata = self.metadata
        let defaults = config.logDefaults
        let logs = self.logs
        try logs.startup { tp in Broker.logConfig(defaults: defaults, overrides: metadata.topic(tp.topic)?.configs ?? [:]) }
        // Partitions whose topic metadata is gone (a crash mid-deletion) are removed.
        for tp in logs.partitions where metadata.topic(tp.topic) == nil {
            try logs.delete(tp)
        }
        // The offsets topic keeps the partition count it was created with: the group-to-partition
        // mapping depends on it.
        var offsetsConfig = config.offsets
        if let existing = metadata.topic(OffsetStoreConfig.topic) { offsetsConfig.numPartitions = existing.partitionCount }
        // Groups and their committed offsets share the coordinator runtime's shards, one per
        // partition of `__consumer_offsets`, as Kafka 4's group coordinator does.
        self.groupCoordinator = GroupCoordinator(
            config: config.classicGroupConfig, clock: SystemCoordinatorClock(now: clock), consumerConfig: config.consumerGroupConfig,
            offsets: offsetsConfig,
            log: StorageCoordinatorLog(
                logManager: logs, config: offsetsConfig.logConfig, logger: logger, replication: Broker.coordinatorReplication(cluster, logs, config)
            ) { [metadata, logs, defaults, offsetsConfig] in
                // The topic's metadata comes with its first record, as Kafka creates it on first use.
                try Broker.ensureOffsetsTopic(offsetsConfig, metadata: metadata, logs: logs, defaults: defaults)
            },
            executor: io, logger: logger)
        self.offsets = OffsetStore(coordinator: groupCoordinator, logManager: logs, logger: logger)
        logs.producerIdExpirationMs.store(config.producerIdExpirationMs, ordering: .relaxed)
        var transactionPartitions = config.transactionStatePartitions
        if let existing = metadata.topic(TransactionCoordinator.topic) { transactionPartitions = existing.partitionCount }
        let producerIds = self.producerIds
        self.transactions = TransactionCoordinator(
            config: config.transactions, numPartitions: transactionPartitions,
            log: StorageCoordinatorLog(
                logManager: logs, config: Self.transactionStateLogConfig(config), logger: logger,
                replication: Broker.coordinatorReplication(cluster, logs, config)
            ) { [metadata, logs, defaults, config, transactionPartitions] in
                try Broker.ensureInternalTopic(
                    TransactionCoordinator.topic, partitions: transactionPartitions, configs: Self.transactionStateTopicConfigs(config),
                    metadata: metadata, logs: logs, defaults: defaults)
            },
            clock: SystemCoordinatorClock(now: clock), executor: io, logger: logger,
            newProducerId: { try producerIds.next() })
        self.io = io
        io.start()
        transactions.setMarkerWriter(TransactionMarkers.writer(self))
        // In a cluster a coordinator loads a shard when it becomes the leader of the shard's
        // partition (Broker+Cluster); alone, this broker leads every one.
        if config.cluster == nil {
            try offsets.load()
            try transactions.loadAll()
        }
    }

    /// The advertised endpoints, as the server resolved them when it bound its listeners.
    public var advertised: [ListenerEndpoint] { advertisedListeners.withLock { $0 } }

    /// The endpoint advertised for `listenerName`, or the first one.
    func advertised(for listenerName: String) -> ListenerEndpoint {
        advertisedListeners.withLock { BrokerConfig.advertised(for: listenerName, in: $0, listeners: config.listeners) }
    }

    func setAdvertised(_ endpoints: [ListenerEndpoint]) {
        advertisedListeners.withLock { $0 = endpoints }
    }

    /// Milliseconds since the epoch.
    public static let wallClock: @Sendable () -> Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// The log settings of a topic: broker defaults, then the topic's overrides.
    static func logConfig(defaults: LogConfig, overrides: [String: String]) -> LogConfig {
        var c = defaults
        TopicConfigs.apply(overrides, to: &c)
        return c
    }

    func logConfig(for topic: String) -> LogConfig {
        Self.logConfig(defaults: config.logDefaults, overrides: metadata.topic(topic)?.configs ?? [:])
    }

    /// Creates a topic's metadata and its partition logs.
    func createTopic(_ name: String, partitions: Int32, configs: [String: String]) throws -> TopicMetadata {
        try createTopics([NewTopic(name: name, partitions: partitions, configs: configs)])[0].get()
    }

    /// Creates topics with one durable metadata write, then their partition logs; each result is
    /// returned only once its metadata is on disk. Throws, creating none, when that write fails.
    func createTopics(_ topics: [NewTopic]) throws -> [Result<TopicMetadata, any Error>] {
        try Self.createTopics(topics, metadata: metadata, logs: logs, defaults: config.logDefaults)
    }

    static func createTopics(
        _ topics: [NewTopic], metadata: ClusterMetadataStore, logs: LogManager, defaults: LogConfig
    ) throws -> [Result<TopicMetadata, any Error>] {
        try metadata.createTopics(topics).map { result in
            result.mapError { $0 as any Error }.flatMap { topic in
                let logConfig = Self.logConfig(defaults: defaults, overrides: topic.configs)
                do {
                    for p in 0..<topic.partitionCount {
                        let log = try logs.getOrCreate(TopicPartition(topic.name, p), config: logConfig)
                        // The broker leads at epoch 0 from creation, as Kafka's Partition.makeLeader
                        // assigns the epoch when the partition is created: its fsynced
                        // leader-epoch-checkpoint is written here, not by the first produce.
                        try log.assignEpochStartOffset(leaderEpoch: 0, startOffset: log.logEndOffset)
                    }
                } catch {
                    return .failure(error)
                }
                return .success(topic)
            }
        }
    }

    func deleteTopic(_ name: String) throws -> TopicMetadata {
        let topic = try metadata.deleteTopic(name)
        for p in 0..<topic.partitionCount { try logs.delete(TopicPartition(name, p)) }
        // Kafka removes every group's offsets of a deleted topic (`onPartitionsDeleted`).
        do {
            _ = try offsets.deleteTopics([name], now: clock())
        } catch {
            logger.warning("removing committed offsets of deleted topic \(name) failed: \(error)")
        }
        return topic
    }

    /// Creates `__consumer_offsets` before the first commit, as Kafka does on first use, with
    /// its own configs (compacted). A concurrent creation that won is fine.
    func ensureOffsetsTopic() throws {
        try Self.ensureOffsetsTopic(offsets.config, metadata: metadata, logs: logs, defaults: config.logDefaults)
    }

    static func ensureOffsetsTopic(_ config: OffsetStoreConfig, metadata: ClusterMetadataStore, logs: LogManager, defaults: LogConfig) throws {
        try ensureInternalTopic(
            OffsetStoreConfig.topic, partitions: config.numPartitions, configs: config.topicConfigs, metadata: metadata, logs: logs,
            defaults: defaults)
    }

    /// Creates an internal topic on first use; a concurrent creation that won is fine.
    static func ensureInternalTopic(
        _ name: String, partitions: Int32, configs: [String: String], metadata: ClusterMetadataStore, logs: LogManager, defaults: LogConfig
    ) throws {
        guard metadata.topic(name) == nil else { return }
        let result = try createTopics(
            [NewTopic(name: name, partitions: partitions, configs: configs)], metadata: metadata, logs: logs, defaults: defaults)
        if case .failure(let error) = result[0], metadata.topic(name) == nil { throw error }
    }

    /// One pass of `offsets.retention.minutes`: expired offsets are tombstoned and Empty groups
    /// left with none are removed. Run every `offsets.retention.check.interval.ms`.
    func expireOffsets() async {
        let coordinator = groupCoordinator
        var conditions: [String: OffsetExpiration] = [:]
        for group in offsets.groups { conditions[group] = await coordinator.offsetExpiration(groupId: group) }
        var subscribed: Set<String> = []
        for group in offsets.groups {
            for topic in offsets.topics(group: group) where await coordinator.isSubscribed(groupId: group, topic: topic) {
                subscribed.insert("\(group)\u{0}\(topic)")
            }
        }
        do {
            let emptied = try offsets.expire(
                now: clock(), retentionMs: offsets.config.retentionMs, condition: { conditions[$0] ?? .fromCommit },
                isSubscribed: { subscribed.contains("\($0)\u{0}\($1)") })
            await coordinator.removeEmptyGroups(emptied)
        } catch {
            logger.warning("offset expiry failed: \(error)")
        }
    }

    /// CreatePartitions: records the new count, then creates the new partitions' logs.
    func addPartitions(_ name: String, count: Int32) throws -> TopicMetadata {
        let old = metadata.topic(name)?.partitionCount ?? 0
        let topic = try metadata.setPartitions(name, count: count)
        let settings = logConfig(for: name)
        for p in old..<count { _ = try logs.getOrCreate(TopicPartition(name, p), config: settings) }
        return topic
    }

    /// Applies a topic's current configs to every one of its partition logs at once (AlterConfigs).
    func applyTopicConfigs(_ name: String) {
        guard let topic = metadata.topic(name) else { return }
        let settings = logConfig(for: name)
        for p in 0..<topic.partitionCount { logs.log(TopicPartition(name, p))?.update(config: settings) }
    }

    /// The partition's log, if the topic and partition exist.
    /// In a cluster, only a replica of the partition has its log.
    func log(_ topic: String, _ partition: Int32) -> PartitionLog? {
        guard hasPartition(topic, partition) else { return nil }
        if let cluster, cluster.partition(TopicPartition(topic, partition))?.replicas.contains(config.nodeId) != true { return nil }
        return try? logs.getOrCreate(TopicPartition(topic, partition), config: logConfig(for: topic))
    }

    /// Whether the topic exists and has this partition.
    func hasPartition(_ topic: String, _ partition: Int32) -> Bool {
        guard let t = metadata.topic(topic) else { return false }
        return partition >= 0 && partition < t.partitionCount
    }

    /// Flushes and closes every log (SIGTERM).
    public func shutdown() throws {
        defer { dirLocks.release() }
        transactions.runtime.unloadAll()
        try logs.shutdown()
    }

    /// Stops the handler threads; after `shutdown`, once no request can arrive.
    public func stopThreads() async {
        try? await io.shutdown()
    }
}

/// What a handler knows about the request it is answering.
/// A class: the dispatch path hands it to the task and to the response's completion, and a
/// struct of a dozen references cost a retain and a release of each at every copy (issue 13).
final class RequestContext: Sendable {
    let broker: Broker
    let apiVersion: Int16
    let correlationId: Int32
    let clientId: String?
    let logger: Logger
    /// The peer's address as Kafka prints it (`InetAddress.toString`: "/127.0.0.1").
    let clientHost: String
    /// The peer's port (KIP-714's client_source_port).
    let clientPort: Int?
    /// The client software the connection's ApiVersions v3+ request named (KIP-511).
    let clientSoftware: (name: String, version: String)?
    /// The listener the request came in on.
    let listenerName: String
    /// The connection's SASL exchange, on a SASL listener.
    let sasl: SaslSession?
    /// Who sent the request: `User:<name>` after SASL, `User:ANONYMOUS` otherwise (Kafka's
    /// KafkaPrincipal.ANONYMOUS).
    let principal: String
    /// The protocol of the request's listener.
    let securityProtocol: SecurityProtocol
    /// The client logged in with a delegation token (KIP-48): it may not manage tokens.
    let tokenAuthenticated: Bool
    /// The request frame's size, which a produce quota counts.
    let requestSize: Int
    /// What the handler decided about throttling the connection (client quotas).
    let throttle = RequestThrottle()
    /// The connection behind ``letNextRequestStart()``, with the request's place in it and its
    /// quota exemption; nil outside a connection.
    private let connection: (hook: ConnectionHook, sequence: Int, quotaExempt: Bool)?

    init(
        broker: Broker, apiVersion: Int16, correlationId: Int32, clientId: String?, logger: Logger, clientHost: String = "",
        clientPort: Int? = nil, clientSoftware: (name: String, version: String)? = nil, listenerName: String = "PLAINTEXT",
        sasl: SaslSession? = nil, principal: String = "User:ANONYMOUS", securityProtocol: SecurityProtocol = .plaintext,
        tokenAuthenticated: Bool = false, requestSize: Int = 0,
        connection: (hook: ConnectionHook, sequence: Int, quotaExempt: Bool)? = nil
    ) {
        self.connection = connection
        self.broker = broker
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
        self.logger = logger
        self.clientHost = clientHost
        self.clientPort = clientPort
        self.clientSoftware = clientSoftware
        self.listenerName = listenerName
        self.sasl = sasl
        self.principal = principal
        self.securityProtocol = securityProtocol
        self.tokenAuthenticated = tokenAuthenticated
        self.requestSize = requestSize
    }

    /// This broker as a client that came in on this request's listener must reach it.
    var advertised: ListenerEndpoint { broker.advertised(for: listenerName) }

    /// Tells the connection that this request's effects are done and only waits remain (a
    /// produce's fsync, its followers' acks): the connection's next request may start, and this
    /// one is still answered in its place. Its quota throttle is settled now; a throttled
    /// request keeps the connection until it is answered, as Kafka's muted channel does.
    func letNextRequestStart() {
        guard let connection else { return }
        connection.hook.release(self, sequence: connection.sequence, exempt: connection.quotaExempt)
    }
}

#if canImport(Glibc)
import Glibc
#endif

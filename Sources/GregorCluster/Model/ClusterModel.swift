import KafkaProtocol

// What a cluster of Gregor brokers keeps in etcd, one JSON value per key (see `MetadataKeys`).
// These are the facts KRaft keeps as BrokerRegistrationRecord, TopicRecord and PartitionRecord /
// PartitionChangeRecord in its metadata log; here each is a key whose etcd mod revision orders
// the changes, and every write is a compare-and-swap on that revision.

/// One listener a broker serves, as it advertises it to clients and to other brokers.
public struct BrokerEndpoint: Codable, Hashable, Sendable {
    public var listener: String
    public var host: String
    public var port: Int32
    public var securityProtocol: String

    public init(listener: String, host: String, port: Int32, securityProtocol: String) {
        self.listener = listener
        self.host = host
        self.port = port
        self.securityProtocol = securityProtocol
    }
}

/// A live broker: written under its own etcd lease, so it disappears when the broker stops
/// renewing it (KRaft fences a broker whose heartbeats stop for `broker.session.timeout.ms`).
public struct BrokerRegistration: Codable, Hashable, Sendable {
    public var id: Int32
    /// New at every start, so a restarted broker is told apart from its previous life.
    public var incarnationId: String
    public var rack: String?
    public var endpoints: [BrokerEndpoint]
    /// Set while the broker shuts down cleanly: the controller moves its leaderships away first.
    public var inControlledShutdown: Bool

    public init(id: Int32, incarnationId: String, rack: String? = nil, endpoints: [BrokerEndpoint], inControlledShutdown: Bool = false) {
        self.id = id
        self.incarnationId = incarnationId
        self.rack = rack
        self.endpoints = endpoints
        self.inControlledShutdown = inControlledShutdown
    }
}

/// A topic: its id, partition count and configuration overrides.
public struct TopicRecord: Codable, Hashable, Sendable {
    public var name: String
    /// Kafka's base64 form of the topic id.
    public var topicId: String
    public var partitionCount: Int32
    public var configs: [String: String]

    public init(name: String, topicId: String, partitionCount: Int32, configs: [String: String] = [:]) {
        self.name = name
        self.topicId = topicId
        self.partitionCount = partitionCount
        self.configs = configs
    }
}

/// One partition's replicas and leadership, as KRaft's PartitionRecord.
public struct PartitionState: Codable, Hashable, Sendable {
    /// The assigned replicas, preferred leader first.
    public var replicas: [Int32]
    /// The in-sync replicas; always contains the leader when there is one.
    public var isr: [Int32]
    /// -1 when no replica can lead.
    public var leader: Int32
    /// Raised at every leader change (KIP-101): followers truncate to where the new epoch began.
    public var leaderEpoch: Int32
    /// Raised at every change of any field (KIP-497): a leader's ISR change at a stale
    /// partition epoch is refused.
    public var partitionEpoch: Int32
    /// Replicas being added by a reassignment (KIP-455); they are in `replicas` too.
    public var addingReplicas: [Int32]
    /// Replicas being removed by a reassignment; they are in `replicas` until it completes.
    public var removingReplicas: [Int32]

    public static let noLeader: Int32 = -1

    public init(replicas: [Int32], isr: [Int32], leader: Int32, leaderEpoch: Int32 = 0, partitionEpoch: Int32 = 0,
                addingReplicas: [Int32] = [], removingReplicas: [Int32] = []) {
        self.replicas = replicas
        self.isr = isr
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.partitionEpoch = partitionEpoch
        self.addingReplicas = addingReplicas
        self.removingReplicas = removingReplicas
    }
}

/// The broker holding the controller lease, and the epoch of its term.
public struct ControllerRecord: Codable, Hashable, Sendable {
    public var brokerId: Int32
    public var epoch: Int32

    public init(brokerId: Int32, epoch: Int32) {
        self.brokerId = brokerId
        self.epoch = epoch
    }
}

/// A topic partition by name.
public struct PartitionKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: PartitionKey, b: PartitionKey) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }

    public var description: String { "\(topic)-\(partition)" }
}

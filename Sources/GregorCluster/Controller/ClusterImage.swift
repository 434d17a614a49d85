import KafkaProtocol

/// One change to the metadata in etcd, as a watch delivers it (a put or a delete of one key).
public enum MetadataEvent: Hashable, Sendable {
    case brokerPut(BrokerRegistration)
    /// The broker's lease expired or it deregistered.
    case brokerDeleted(Int32)
    case topicPut(TopicRecord)
    case topicDeleted(String)
    case partitionPut(PartitionKey, PartitionState)
    case partitionDeleted(PartitionKey)
}

/// What every broker knows of the cluster: the live brokers, the topics and the partitions, folded
/// from etcd watch events in revision order. KRaft's MetadataImage, with one difference: there is no
/// fenced-but-registered broker, because a broker whose lease lapses is gone from etcd.
public struct ClusterImage: Hashable, Sendable {
    /// The registered brokers: registered means alive (the registration lives under a lease).
    public private(set) var brokers: [Int32: BrokerRegistration]
    public private(set) var topics: [String: TopicRecord]
    public private(set) var partitions: [PartitionKey: PartitionState]

    public init(brokers: [BrokerRegistration] = [], topics: [TopicRecord] = [], partitions: [PartitionKey: PartitionState] = [:]) {
        self.brokers = Dictionary(brokers.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.topics = Dictionary(topics.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.partitions = partitions
    }

    /// Folds one watch event in.
    ///
    /// A partition put whose partition epoch is below the one held is dropped, and so is a put of
    /// the same topic (same id) with fewer partitions: the controller applies its own writes at
    /// once, so the echo of an earlier write of its own may arrive after a later one. Neither can
    /// otherwise go backwards (KIP-497: the partition epoch only grows; partitions are never removed
    /// from a topic), and a deleted topic or partition is gone from the image before it can return
    /// at epoch 0.
    public mutating func apply(_ event: MetadataEvent) {
        switch event {
        case .brokerPut(let registration):
            brokers[registration.id] = registration
        case .brokerDeleted(let id):
            brokers[id] = nil
        case .topicPut(let topic):
            if let held = topics[topic.name], held.topicId == topic.topicId, held.partitionCount > topic.partitionCount {
                return
            }
            topics[topic.name] = topic
        case .topicDeleted(let name):
            topics[name] = nil
            for key in partitions.keys where key.topic == name { partitions[key] = nil }
        case .partitionPut(let key, let state):
            if let held = partitions[key], held.partitionEpoch > state.partitionEpoch { return }
            partitions[key] = state
        case .partitionDeleted(let key):
            partitions[key] = nil
        }
    }

    /// Registered and not in controlled shutdown: may lead, join an ISR and receive new replicas
    /// (ClusterControlManager.isActive, with no fenced state).
    public func isActive(_ brokerId: Int32) -> Bool {
        guard let broker = brokers[brokerId] else { return false }
        return !broker.inControlledShutdown
    }

    /// The partitions of one topic, by index.
    public func partitions(of topic: String) -> [(key: PartitionKey, state: PartitionState)] {
        partitions.filter { $0.key.topic == topic }.sorted { $0.key.partition < $1.key.partition }.map { ($0.key, $0.value) }
    }

    /// The partitions a broker leads: a broker in controlled shutdown waits for this to be empty.
    public func partitionsLed(by brokerId: Int32) -> [PartitionKey] {
        partitions.filter { $0.value.leader == brokerId }.keys.sorted()
    }

    /// Whether unclean leader election is allowed for a topic: its `unclean.leader.election.enable`
    /// override, else the cluster default (ConfigurationControlManager.uncleanLeaderElectionEnabledForTopic).
    public func uncleanLeaderElectionEnabled(for topic: String, default clusterDefault: Bool) -> Bool {
        guard let value = topics[topic]?.configs[ClusterImage.uncleanLeaderElectionEnable] else { return clusterDefault }
        return value.lowercased() == "true"
    }

    /// The topic config (and broker default) that lets a replica outside the ISR lead.
    public static let uncleanLeaderElectionEnable = "unclean.leader.election.enable"
}

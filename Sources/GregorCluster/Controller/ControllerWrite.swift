import KafkaProtocol

/// One write the controller asks of etcd. The etcd layer turns a batch into a transaction that
/// also compares the controller key, so a deposed controller's writes fail; the machine itself
/// knows no revisions, only partition epochs.
public enum ControllerWrite: Hashable, Sendable {
    /// A new topic: the key must not exist yet.
    case createTopic(TopicRecord)
    /// A changed topic (more partitions): the key must exist.
    case updateTopic(TopicRecord)
    case deleteTopic(String)
    /// A new partition: the key must not exist yet.
    case createPartition(PartitionKey, PartitionState)
    /// A changed partition, made only if the stored one is still at `expectedPartitionEpoch`
    /// (KIP-497: every change bumps the partition epoch, so it names the version changed).
    case updatePartition(PartitionKey, PartitionState, expectedPartitionEpoch: Int32)
    case deletePartition(PartitionKey)

    /// The watch event this write produces once made.
    public var event: MetadataEvent {
        switch self {
        case .createTopic(let topic), .updateTopic(let topic): .topicPut(topic)
        case .deleteTopic(let name): .topicDeleted(name)
        case .createPartition(let key, let state), .updatePartition(let key, let state, _): .partitionPut(key, state)
        case .deletePartition(let key): .partitionDeleted(key)
        }
    }
}

/// A refused controller operation: Kafka's ApiError (code and message).
public struct ControllerFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    /// Nil where Kafka sends none; clients then show the code's default message.
    public var message: String?

    public init(_ code: ErrorCode, _ message: String? = nil) {
        self.code = code
        self.message = message
    }

    public var description: String { message.map { "\(code): \($0)" } ?? "\(code)" }
}

/// The broker settings the controller's decisions depend on.
public struct ControllerConfig: Hashable, Sendable {
    /// `num.partitions`: used when CreateTopics asks for -1 partitions (KIP-464).
    public var defaultPartitions: Int32
    /// `default.replication.factor`: used when CreateTopics asks for a replication factor of -1.
    public var defaultReplicationFactor: Int16
    /// `unclean.leader.election.enable`: the default for topics without an override.
    public var uncleanLeaderElectionEnable: Bool
    /// Kafka's `maxElectionsPerImbalance`: the most preferred or unclean elections one periodic
    /// pass makes, so a pass never produces an unbounded batch of writes.
    public var maxElectionsPerPass: Int

    public init(defaultPartitions: Int32 = 1, defaultReplicationFactor: Int16 = 1, uncleanLeaderElectionEnable: Bool = false,
                maxElectionsPerPass: Int = 1000) {
        self.defaultPartitions = defaultPartitions
        self.defaultReplicationFactor = defaultReplicationFactor
        self.uncleanLeaderElectionEnable = uncleanLeaderElectionEnable
        self.maxElectionsPerPass = maxElectionsPerPass
    }
}

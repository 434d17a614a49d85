import KafkaProtocol

extension ElectLeadersRequest: ClientRequest { public typealias Response = ElectLeadersResponse }
extension AlterPartitionReassignmentsRequest: ClientRequest { public typealias Response = AlterPartitionReassignmentsResponse }
extension ListPartitionReassignmentsRequest: ClientRequest { public typealias Response = ListPartitionReassignmentsResponse }

/// A topic partition as Kafka's tools print it (`TopicPartition.toString`).
public struct TopicPartitionName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: TopicPartitionName, b: TopicPartitionName) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }

    public var description: String { "\(topic)-\(partition)" }
}

/// One partition's answer to ElectLeaders or AlterPartitionReassignments.
public struct PartitionOutcome: Hashable, Sendable {
    public var partition: TopicPartitionName
    public var error: ErrorCode
    public var message: String?

    /// The broker's message, or the error's default one (what Kafka's exceptions carry).
    public var text: String { message.flatMap { $0.isEmpty ? nil : $0 } ?? error.defaultMessage ?? error.name }
}

/// A partition being moved (ListPartitionReassignments).
public struct OngoingPartitionReassignment: Hashable, Sendable {
    public var partition: TopicPartitionName
    public var replicas: [Int32]
    public var addingReplicas: [Int32]
    public var removingReplicas: [Int32]
}

extension KafkaClient {
    /// Elects leaders (KIP-183, KIP-460): preferred, or unclean; `partitions` nil for every one,
    /// in which case those needing no election are not answered.
    public func electLeaders(unclean: Bool, partitions: [TopicPartitionName]?) async throws -> [PartitionOutcome] {
        let version = try version(of: ElectLeadersRequest.self)
        if unclean && version == 0 { throw GregorClientError.unsupportedApi("unclean leader election (ElectLeaders v1)") }
        let topics = partitions.map { Dictionary(grouping: $0, by: \.topic).sorted { $0.key < $1.key } }
        let request = ElectLeadersRequest(
            electionType: unclean ? 1 : 0,
            topicPartitions: topics?.map { .init(topic: $0.key, partitions: $0.value.map(\.partition)) }, timeoutMs: 60_000)
        let response = try await send(request, version: version)
        try GregorClientError.check(response.errorCode, nil, "cannot elect leaders")
        return response.replicaElectionResults.flatMap { topic in
            topic.partitionResult.map {
                PartitionOutcome(partition: TopicPartitionName(topic.topic, $0.partitionId), error: ErrorCode(rawValue: $0.errorCode), message: $0.errorMessage)
            }
        }
    }

    /// Starts moves (a replica list) or cancels them (nil) (KIP-455). With
    /// `allowReplicationFactorChange` false a move must keep the replica count (KIP-860).
    public func alterPartitionReassignments(_ moves: [(partition: TopicPartitionName, replicas: [Int32]?)],
                                            allowReplicationFactorChange: Bool = true) async throws -> [PartitionOutcome] {
        let version = try version(of: AlterPartitionReassignmentsRequest.self)
        if !allowReplicationFactorChange && version == 0 {
            throw GregorClientError.unsupportedApi("the allow_replication_factor_change option (AlterPartitionReassignments v1)")
        }
        var topics: [AlterPartitionReassignmentsRequest.ReassignableTopic] = []
        for move in moves {
            let partition = AlterPartitionReassignmentsRequest.ReassignablePartition(partitionIndex: move.partition.partition, replicas: move.replicas)
            if let i = topics.firstIndex(where: { $0.name == move.partition.topic }) {
                topics[i].partitions.append(partition)
            } else {
                topics.append(.init(name: move.partition.topic, partitions: [partition]))
            }
        }
        let response = try await send(
            AlterPartitionReassignmentsRequest(timeoutMs: 60_000, allowReplicationFactorChange: allowReplicationFactorChange, topics: topics),
            version: version)
        try GregorClientError.check(response.errorCode, response.errorMessage, "cannot reassign partitions")
        return response.responses.flatMap { topic in
            topic.partitions.map {
                PartitionOutcome(partition: TopicPartitionName(topic.name, $0.partitionIndex), error: ErrorCode(rawValue: $0.errorCode), message: $0.errorMessage)
            }
        }
    }

    /// The moves under way, of every partition or of those named.
    public func partitionReassignments(_ partitions: [TopicPartitionName]? = nil) async throws -> [OngoingPartitionReassignment] {
        let topics = partitions.map { Dictionary(grouping: $0, by: \.topic).sorted { $0.key < $1.key } }
        let response = try await send(ListPartitionReassignmentsRequest(
            timeoutMs: 60_000, topics: topics?.map { .init(name: $0.key, partitionIndexes: $0.value.map(\.partition)) }))
        try GregorClientError.check(response.errorCode, response.errorMessage, "cannot list partition reassignments")
        return response.topics.flatMap { topic in
            topic.partitions.map {
                OngoingPartitionReassignment(partition: TopicPartitionName(topic.name, $0.partitionIndex), replicas: $0.replicas,
                                             addingReplicas: $0.addingReplicas, removingReplicas: $0.removingReplicas)
            }
        }.sorted { $0.partition < $1.partition }
    }
}

// CreatePartitions (key 37): raises a topic's partition count; partitions are never removed
// (KIP-195). v1: no change (throttling after the response, KIP-219). v2: flexible. v3: no change
// (THROTTLING_QUOTA_EXCEEDED may be returned, KIP-599).
// Checks as Kafka's controller does (ReplicationControlManager.createPartitions): the count must
// grow, and explicit assignments need one per new partition, each naming exactly this broker
// (every partition here has one replica). validate_only checks without creating.
// Needs ALTER on the topic (TOPIC_AUTHORIZATION_FAILED).
import GregorCluster
import GregorStorage
import KafkaProtocol

enum CreatePartitionsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...3

    static func handle(_ request: CreatePartitionsRequest, _ context: RequestContext) async throws -> CreatePartitionsResponse? {
        let broker = context.broker
        let repeated = ConfigResources.duplicates(request.topics.map(\.name))
        var response = CreatePartitionsResponse()
        var answered = Set<String>()
        for topic in request.topics where answered.insert(topic.name).inserted {
            var r = CreatePartitionsResponse.CreatePartitionsTopicResult(name: topic.name)
            do throws(ApiError) {
                if repeated.contains(topic.name) { throw ApiError(.invalidRequest, "Duplicate topic name.") }
                if !context.authorized(.alter, .topic, topic.name) { throw ApiError(.topicAuthorizationFailed, nil) }
                try await create(topic, validateOnly: request.validateOnly, broker)
            } catch {
                r.errorCode = error.code.rawValue
                r.errorMessage = error.message
            }
            response.results.append(r)
        }
        return response
    }

    static func create(_ topic: CreatePartitionsRequest.CreatePartitionsTopic, validateOnly: Bool, _ broker: Broker) async throws(ApiError) {
        // Kafka sends no message with this one.
        guard let existing = broker.metadata.topic(topic.name) else { throw ApiError(.unknownTopicOrPartition, nil) }
        let current = existing.partitionCount
        if topic.count == current { throw ApiError(.invalidPartitions, "Topic already has \(current) partition(s).") }
        if topic.count < current {
            throw ApiError(.invalidPartitions, "The topic \(topic.name) currently has \(current) partition(s); \(topic.count) would not be an increase.")
        }
        let additional = Int(topic.count - current)
        if let cluster = broker.cluster {
            // The controller's rules place the new partitions' replicas (or check the given ones)
            // against the registered brokers; the topic and its new partitions change in one transaction.
            var machine = ControllerStateMachine(image: cluster.image, config: cluster.controllerConfig, seed: UInt64.random(in: 0...UInt64.max))
            switch machine.createPartitions(topic: topic.name, count: topic.count, assignments: topic.assignments?.map(\.brokerIds)) {
            case .failure(let failure): throw ApiError(failure.code, failure.message)
            case .success(let writes):
                guard !validateOnly else { return }
                if case .failure(let failure) = await cluster.execute(writes) { throw ApiError(failure.code, failure.message) }
            }
            return
        }
        if let assignments = topic.assignments {
            guard assignments.count == additional else {
                throw ApiError(.invalidReplicaAssignment,
                               "Attempted to add \(additional) additional partition(s), but only \(assignments.count) assignment(s) were specified.")
            }
            for a in assignments { try check(a.brokerIds, broker.config.nodeId) }
        }
        guard !validateOnly else { return }
        do { _ = try broker.addPartitions(topic.name, count: topic.count) } catch let error as ClusterMetadataError {
            throw ApiError(error.errorCode, error.message)
        } catch {
            throw ApiError(.kafkaStorageError, "\(error)")
        }
    }

    /// ReplicationControlManager.validateManualPartitionAssignment with one registered broker and
    /// a replication factor of one.
    static func check(_ replicas: [Int32], _ node: Int32) throws(ApiError) {
        guard !replicas.isEmpty else { throw ApiError(.invalidReplicaAssignment, "The manual partition assignment includes an empty replica list.") }
        var previous: Int32?
        for id in replicas.sorted() {
            guard id == node else {
                throw ApiError(.invalidReplicaAssignment, "The manual partition assignment includes broker \(id), but no such broker is registered.")
            }
            if id == previous { throw ApiError(.invalidReplicaAssignment, "The manual partition assignment includes the broker \(id) more than once.") }
            previous = id
        }
        guard replicas.count == 1 else {
            throw ApiError(.invalidReplicaAssignment,
                           "The manual partition assignment includes a partition with \(replicas.count) replica(s), but this is not consistent with previous partitions, which have 1 replica(s).")
        }
    }
}

import GregorCoordination
import GregorStorage
import KafkaProtocol

/// The partitions of an OffsetCommit or a TxnOffsetCommit as KafkaApis sorts them before the
/// group coordinator sees them: TOPIC_AUTHORIZATION_FAILED without READ on the topic,
/// UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist, and the rest entries for the
/// coordinator, whose outcome then answers them.
struct OffsetCommitPlan {
    /// One code per partition, per topic, in request order.
    private(set) var codes: [[ErrorCode]] = []
    private(set) var entries: [OffsetCommitEntry] = []
    private var positions: [(topic: Int, partition: Int)] = []

    init<Partition>(
        _ topics: [(name: String, partitions: [Partition])], readable: Set<String>, metadata: ClusterMetadataStore,
        index: (Partition) -> Int32, entry: (String, Partition) -> OffsetCommitEntry
    ) {
        for (ti, topic) in topics.enumerated() {
            let known = metadata.topic(topic.name)
            var topicCodes: [ErrorCode] = []
            for (pi, p) in topic.partitions.enumerated() {
                if !readable.contains(topic.name) {
                    topicCodes.append(.topicAuthorizationFailed)
                } else if let known, index(p) >= 0, index(p) < known.partitionCount {
                    topicCodes.append(.none)
                    entries.append(entry(topic.name, p))
                    positions.append((ti, pi))
                } else {
                    topicCodes.append(.unknownTopicOrPartition)
                }
            }
            codes.append(topicCodes)
        }
    }

    /// The coordinator's answer for the entries.
    mutating func apply(_ outcome: OffsetCommitOutcome) {
        switch outcome {
        case .committed(let results):
            for (position, code) in zip(positions, results) { codes[position.topic][position.partition] = code }
        case .rejected(let code):
            for position in positions { codes[position.topic][position.partition] = code }
        }
    }
}

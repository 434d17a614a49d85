// ListOffsets (key 2).
// v0 (removed by Kafka 4, KIP-896; kept for pre-0.10.1 clients): up to MaxNumOffsets segment
// start offsets per partition, newest first (PartitionLog.legacyOffsets), in OldStyleOffsets.
// v1: one offset per partition, with its timestamp (KIP-79). v2: isolation level. v4: leader
// epoch (KIP-320). v6: flexible. v7: MAX_TIMESTAMP (-3, KIP-734). v8: EARLIEST_LOCAL (-4,
// KIP-405). v9: LATEST_TIERED (-5, KIP-1005). v10: timeout (KIP-1075). v11: EARLIEST_PENDING_UPLOAD
// (-6, KIP-1023). Without tiered storage, -4 is the earliest and -5 the latest offset, and nothing
// is pending upload (-6 answers offset -1). A special timestamp older than the request's version,
// or unknown, is UNSUPPORTED_VERSION for its partition.
// Each topic needs DESCRIBE (TOPIC_AUTHORIZATION_FAILED).
// Isolation (Partition.fetchOffsetForTimestamp): READ_COMMITTED's latest offset is the last stable
// offset, READ_UNCOMMITTED's the high watermark; an offset found by timestamp at or past it is
// not answered.
import GregorStorage
import KafkaProtocol

enum ListOffsetsHandler: APIHandler {
    /// The first version that knows each special timestamp.
    static let specialTimestampVersions: [Int64: Int16] = [-1: 0, -2: 0, -3: 7, -4: 8, -5: 9, -6: 11]

    static let versions: ClosedRange<Int16> = 0...11
    static let runsOnEventLoop = true

    static func handle(_ request: ListOffsetsRequest, _ context: RequestContext) async throws -> ListOffsetsResponse? {
        let broker = context.broker
        var response = ListOffsetsResponse()
        let describable = context.authorizedNames(.describe, .topic, request.topics.map(\.name))
        for topic in request.topics {
            var result = ListOffsetsResponse.ListOffsetsTopicResponse(name: topic.name)
            for partition in topic.partitions {
                var p = ListOffsetsResponse.ListOffsetsPartitionResponse(partitionIndex: partition.partitionIndex, timestamp: -1, offset: -1, leaderEpoch: -1)
                guard describable.contains(topic.name) else {
                    p.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                    result.partitions.append(p)
                    continue
                }
                var leaderEpoch: Int32 = 0
                if let cluster = broker.cluster, broker.hasPartition(topic.name, partition.partitionIndex),
                   request.replicaId != -2 || context.apiVersion == 0 {
                    // Partition.fetchOffsetForTimestamp: only the leader answers, at the epoch the
                    // client knows (v4+, KIP-320); a debugging client (replica id -2) may ask any replica.
                    let asked = context.apiVersion >= 4 ? partition.currentLeaderEpoch : -1
                    switch cluster.replicas.leaderCheck(TopicPartition(topic.name, partition.partitionIndex), currentLeaderEpoch: asked) {
                    case .leader(let leader): leaderEpoch = leader.leaderEpoch
                    case .notLeader: p.errorCode = ErrorCode.notLeaderOrFollower.rawValue
                    case .fencedLeaderEpoch: p.errorCode = ErrorCode.fencedLeaderEpoch.rawValue
                    case .unknownLeaderEpoch: p.errorCode = ErrorCode.unknownLeaderEpoch.rawValue
                    }
                    if p.errorCode != 0 {
                        result.partitions.append(p)
                        continue
                    }
                }
                guard let log = broker.log(topic.name, partition.partitionIndex) else {
                    p.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    result.partitions.append(p)
                    continue
                }
                if context.apiVersion == 0 {
                    // Only -1, -2 and real timestamps existed at v0; a negative count failed
                    // Kafka's array allocation (UNKNOWN_SERVER_ERROR).
                    if partition.timestamp < -2 || partition.maxNumOffsets < 0 {
                        p.errorCode = (partition.timestamp < -2 ? ErrorCode.unsupportedVersion : .unknownServerError).rawValue
                        result.partitions.append(p)
                        continue
                    }
                    p.oldStyleOffsets = log.legacyOffsets(
                        before: partition.timestamp, maxNumOffsets: partition.maxNumOffsets, now: broker.clock(),
                        fromConsumer: request.replicaId == -1)
                    result.partitions.append(p)
                    continue
                }
                if partition.timestamp < 0 && context.apiVersion < (specialTimestampVersions[partition.timestamp] ?? .max) {
                    p.errorCode = ErrorCode.unsupportedVersion.rawValue
                    result.partitions.append(p)
                    continue
                }
                if partition.timestamp == -6 {
                    result.partitions.append(p)
                    continue
                }
                if context.apiVersion >= 4 { p.leaderEpoch = leaderEpoch }
                let fetchable = context.apiVersion >= 2 && request.isolationLevel == 1 ? log.lastStableOffset : log.highWatermark
                do {
                    switch partition.timestamp {
                    case -2, -4: p.offset = log.logStartOffset
                    case -1, -5: p.offset = fetchable
                    case -3:
                        if let max = log.maxTimestampAndOffset, max.offset < fetchable { p.timestamp = max.timestamp; p.offset = max.offset }
                    default:
                        if let found = try log.offset(forTimestamp: partition.timestamp), found.offset < fetchable {
                            p.offset = found.offset
                            p.timestamp = found.timestamp
                        }
                    }
                } catch {
                    p.errorCode = error.errorCode.rawValue
                }
                result.partitions.append(p)
            }
            response.topics.append(result)
        }
        return response
    }
}

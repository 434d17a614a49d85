// OffsetCommit (key 8).
// v1: generation id, member id, per-partition commit timestamp. v2: retention time instead
// (the offset's expire timestamp); commit timestamps come from the broker from here on.
// v3: throttle time. v5: retention time removed (offsets.retention.minutes for all, KIP-211).
// v6: committed leader epoch (KIP-320). v7: group instance id (KIP-345). v8: flexible.
// v9: the generation field carries the member epoch for KIP-848 groups; an unknown group is
// GROUP_ID_NOT_FOUND rather than ILLEGAL_GENERATION. v10: topics by id (KIP-848), in the request
// and the response; an id the broker does not know is UNKNOWN_TOPIC_ID for each of its
// partitions. (Kafka also stores the id with the offset, so that a fetch by id after the topic
// was recreated misses it; Gregor drops a deleted topic's offsets, as Kafka does, so the name
// alone cannot name an older topic.)
// Needs READ on the group (every partition GROUP_AUTHORIZATION_FAILED) and READ on each topic
// (TOPIC_AUTHORIZATION_FAILED); partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION.
// The rest go to the coordinator, as in KafkaApis.handleOffsetCommitRequest: the group check
// (generation, member) and the write are one operation on the group's shard; a group error
// answers those partitions, else over-long metadata gets OFFSET_METADATA_TOO_LARGE and the
// others are committed in one batch.
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum OffsetCommitHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...10

    static func handle(_ request: OffsetCommitRequest, _ context: RequestContext) async throws -> OffsetCommitResponse? {
        let broker = context.broker
        let v = context.apiVersion
        let byId = v >= 10
        func answerAll(_ error: ErrorCode) -> OffsetCommitResponse {
            OffsetCommitResponse(topics: request.topics.map { t in
                .init(name: t.name, topicId: t.topicId, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: error.rawValue) })
            })
        }
        guard context.authorized(.read, .group, request.groupId) else { return answerAll(.groupAuthorizationFailed) }
        guard !request.groupId.isEmpty else { return answerAll(.invalidGroupId) }
        let now = broker.clock()
        // v2-4: an explicit retention makes the offset expire at commit time + retention.
        let expireAt: Int64? = (2...4).contains(v) && request.retentionTimeMs != -1 ? now + request.retentionTimeMs : nil
        // An unknown id resolves to no name: no READ to find, no partition to commit.
        let names = request.topics.map { byId ? broker.metadata.topic(id: $0.topicId)?.name ?? "" : $0.name }
        let readable = context.authorizedNames(.read, .topic, names.filter { !$0.isEmpty })
        var plan = OffsetCommitPlan(
            zip(names, request.topics).map { ($0, $1.partitions) }, readable: readable, metadata: broker.metadata, index: \.partitionIndex
        ) { topic, p in
            OffsetCommitEntry(
                topic: topic, partition: p.partitionIndex, offset: p.committedOffset,
                leaderEpoch: p.committedLeaderEpoch == -1 ? nil : p.committedLeaderEpoch, metadata: p.committedMetadata ?? "",
                commitTimestamp: v == 1 && p.commitTimestamp != -1 ? p.commitTimestamp : now, expireTimestamp: expireAt)
        }
        if !plan.entries.isEmpty {
            let input = OffsetCommitInput(
                groupId: request.groupId, memberId: request.memberId, groupInstanceId: request.groupInstanceId,
                generationId: request.generationIdOrMemberEpoch, apiVersion: v)
            plan.apply(await broker.groupCoordinator.commitOffsets(input, plan.entries))
        }
        let codes = plan.codes
        return OffsetCommitResponse(topics: request.topics.enumerated().map { ti, t in
            .init(name: t.name, topicId: t.topicId, partitions: t.partitions.enumerated().map { pi, p in
                .init(partitionIndex: p.partitionIndex,
                      errorCode: (byId && names[ti].isEmpty ? ErrorCode.unknownTopicId : codes[ti][pi]).rawValue)
            })
        })
    }
}

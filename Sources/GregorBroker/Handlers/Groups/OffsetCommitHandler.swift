// OffsetCommit (key 8).
// v1: generation id, member id, per-partition commit timestamp. v2: retention time instead
// (the offset's expire timestamp); commit timestamps come from the broker from here on.
// v3: throttle time. v5: retention time removed (offsets.retention.minutes for all, KIP-211).
// v6: committed leader epoch (KIP-320). v7: group instance id (KIP-345). v8: flexible.
// v9: the generation field carries the member epoch for KIP-848 groups; an unknown group is
// GROUP_ID_NOT_FOUND rather than ILLEGAL_GENERATION.
// A group-level error (invalid group id, generation, member) answers every partition with it;
// then partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION and over-long metadata
// OFFSET_METADATA_TOO_LARGE, while the rest are committed in one batch.
// Needs READ on the group (every partition GROUP_AUTHORIZATION_FAILED) and READ on each topic
// (TOPIC_AUTHORIZATION_FAILED), checked before the group's state as KafkaApis does.
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum OffsetCommitHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...9

    static func handle(_ request: OffsetCommitRequest, _ context: RequestContext) async throws -> OffsetCommitResponse? {
        let broker = context.broker
        let v = context.apiVersion
        func answerAll(_ error: ErrorCode) -> OffsetCommitResponse {
            OffsetCommitResponse(topics: request.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: error.rawValue) })
            })
        }
        guard context.authorized(.read, .group, request.groupId) else { return answerAll(.groupAuthorizationFailed) }
        guard !request.groupId.isEmpty else { return answerAll(.invalidGroupId) }
        if let error = await broker.groupCoordinator.validateOffsetCommit(
            groupId: request.groupId, memberId: request.memberId, groupInstanceId: request.groupInstanceId,
            generationId: request.generationIdOrMemberEpoch, apiVersion: v)
        {
            return answerAll(error)
        }

        let now = broker.clock()
        // v2-4: an explicit retention makes the offset expire at commit time + retention.
        let expireAt: Int64? = (2...4).contains(v) && request.retentionTimeMs != -1 ? now + request.retentionTimeMs : nil
        var codes: [[ErrorCode]] = []
        var entries: [OffsetCommitEntry] = []
        var positions: [(topic: Int, partition: Int)] = []
        let readable = context.authorizedNames(.read, .topic, request.topics.map(\.name))
        for (ti, topic) in request.topics.enumerated() {
            let known = broker.metadata.topic(topic.name)
            var topicCodes: [ErrorCode] = []
            for (pi, p) in topic.partitions.enumerated() {
                guard readable.contains(topic.name) else {
                    topicCodes.append(.topicAuthorizationFailed)
                    continue
                }
                guard let known, p.partitionIndex >= 0, p.partitionIndex < known.partitionCount else {
                    topicCodes.append(.unknownTopicOrPartition)
                    continue
                }
                topicCodes.append(.none)
                entries.append(OffsetCommitEntry(
                    topic: topic.name, partition: p.partitionIndex, offset: p.committedOffset,
                    leaderEpoch: p.committedLeaderEpoch == -1 ? nil : p.committedLeaderEpoch,
                    metadata: p.committedMetadata ?? "",
                    commitTimestamp: v == 1 && p.commitTimestamp != -1 ? p.commitTimestamp : now,
                    expireTimestamp: expireAt))
                positions.append((ti, pi))
            }
            codes.append(topicCodes)
        }
        if !entries.isEmpty {
            do {
                try broker.ensureOffsetsTopic()
                let results = try broker.offsets.commit(group: request.groupId, offsets: entries, now: now)
                for (position, code) in zip(positions, results) { codes[position.topic][position.partition] = code }
            } catch {
                let code = (error as? OffsetStoreError)?.errorCode ?? .unknownServerError
                context.logger.warning("offset commit for group \(request.groupId) failed: \(error)")
                for position in positions { codes[position.topic][position.partition] = code }
            }
        }
        return OffsetCommitResponse(topics: request.topics.enumerated().map { ti, t in
            .init(name: t.name, partitions: t.partitions.enumerated().map { pi, p in
                .init(partitionIndex: p.partitionIndex, errorCode: codes[ti][pi].rawValue)
            })
        })
    }
}

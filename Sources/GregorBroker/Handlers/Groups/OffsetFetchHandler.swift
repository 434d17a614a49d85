// OffsetFetch (key 9).
// v1: offsets from the coordinator (v0 read ZooKeeper in old Kafka; here both read the same
// store). v2: null topics mean every committed offset; top-level error code. v3: throttle time.
// v5: committed leader epoch. v6: flexible. v7: require_stable (KIP-447): a partition with an
// offset in an open transaction (TxnOffsetCommit not yet committed or aborted) answers
// UNSTABLE_OFFSET_COMMIT and offset -1, and the consumer retries. v8: several groups per request, each with its
// own error (KIP-709). v9: member id and epoch, checked for KIP-848 groups. v10: topics by id
// (KIP-848): an id the broker does not know answers UNKNOWN_TOPIC_ID and offset -1 after the
// group's offsets; "all offsets" leaves out topics that no longer exist.
// A partition without a committed offset answers offset -1, metadata "" and no error; so does
// every partition of a group that does not exist.
// Needs DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED); a topic the caller may not describe
// is TOPIC_AUTHORIZATION_FAILED when asked for and left out of "all offsets".
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum OffsetFetchHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...10

    typealias Partition = OffsetFetchResponse.OffsetFetchResponsePartitions

    static func handle(_ request: OffsetFetchRequest, _ context: RequestContext) async throws -> OffsetFetchResponse? {
        let v = context.apiVersion
        if v >= 8 {
            var groups: [OffsetFetchResponse.OffsetFetchResponseGroup] = []
            let metadata = context.broker.metadata
            for g in request.groups {
                var unknownIds: [OffsetFetchRequest.OffsetFetchRequestTopics] = []
                let wanted = g.topics.map { topics in
                    topics.compactMap { t -> (name: String, partitions: [Int32])? in
                        guard v >= 10 else { return (t.name, t.partitionIndexes) }
                        guard let name = metadata.topic(id: t.topicId)?.name else { unknownIds.append(t); return nil }
                        return (name, t.partitionIndexes)
                    }
                }
                var (error, topics) = await fetch(group: g.groupId, wanted, member: (g.memberId, g.memberEpoch),
                                                  requireStable: request.requireStable, context)
                if v >= 10 {
                    topics = topics.compactMap { t in
                        guard let id = metadata.topic(t.name)?.topicId else { return nil }
                        return .init(name: t.name, topicId: id, partitions: t.partitions)
                    }
                    if error == .none {
                        topics += unknownIds.map { t in
                            .init(topicId: t.topicId, partitions: t.partitionIndexes.map {
                                .init(partitionIndex: $0, committedOffset: -1, metadata: "", errorCode: ErrorCode.unknownTopicId.rawValue)
                            })
                        }
                    }
                }
                groups.append(.init(groupId: g.groupId, topics: topics, errorCode: error.rawValue))
            }
            return OffsetFetchResponse(groups: groups)
        }
        // v0-1 always name their partitions; null only exists from v2.
        let wanted = request.topics.map { $0.map { (name: $0.name, partitions: $0.partitionIndexes) } }
        let (error, topics) = await fetch(group: request.groupId, wanted, member: (nil, -1), requireStable: v >= 7 && request.requireStable, context)
        var response = OffsetFetchResponse(
            topics: topics.map { t in
                .init(name: t.name, partitions: t.partitions.map {
                    .init(partitionIndex: $0.partitionIndex, committedOffset: $0.committedOffset,
                          committedLeaderEpoch: v >= 5 ? $0.committedLeaderEpoch : -1, metadata: $0.metadata, errorCode: $0.errorCode)
                })
            })
        if v >= 2 {
            response.errorCode = error.rawValue
        } else if error != .none, let wanted {
            // v0-1 have no top-level error: every partition asked for carries it.
            response.topics = wanted.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0, committedOffset: -1, metadata: "", errorCode: error.rawValue) })
            }
        }
        return response
    }

    /// One group's answer: a group-level error, or its offsets for `wanted` (nil: all of them).
    static func fetch(group: String, _ wanted: [(name: String, partitions: [Int32])]?, member: (id: String?, epoch: Int32),
                      requireStable: Bool, _ context: RequestContext) async
        -> (ErrorCode, [OffsetFetchResponse.OffsetFetchResponseTopics])
    {
        guard context.authorized(.describe, .group, group) else { return (.groupAuthorizationFailed, []) }
        guard !group.isEmpty else { return (.invalidGroupId, []) }
        let broker = context.broker
        // v9: a KIP-848 member names itself and its epoch, which must be current.
        if let error = await broker.groupCoordinator.validateOffsetFetch(groupId: group, memberId: member.id, memberEpoch: member.epoch) {
            return (error, [])
        }
        let partitions = wanted.map { topics in topics.flatMap { t in t.partitions.map { TopicPartition(t.name, $0) } } }
        let fetched = broker.offsets.fetch(group: group, partitions: partitions)
        let unstable = requireStable ? broker.offsets.pendingTransactionalPartitions(group: group) : []
        var topics: [OffsetFetchResponse.OffsetFetchResponseTopics] = []
        let describable = context.authorizedNames(.describe, .topic, Set(fetched.map(\.topicPartition.topic)))
        for entry in fetched {
            let tp = entry.topicPartition
            let authorized = describable.contains(tp.topic)
            if !authorized && wanted == nil { continue }
            let p = !authorized
                ? Partition(partitionIndex: tp.partition, committedOffset: -1, metadata: "",
                            errorCode: ErrorCode.topicAuthorizationFailed.rawValue)
                : unstable.contains(tp)
                ? Partition(partitionIndex: tp.partition, committedOffset: -1, metadata: "", errorCode: ErrorCode.unstableOffsetCommit.rawValue)
                : Partition(partitionIndex: tp.partition, committedOffset: entry.committed?.offset ?? -1,
                            committedLeaderEpoch: entry.committed?.leaderEpoch ?? -1, metadata: entry.committed?.metadata ?? "")
            if let last = topics.indices.last, topics[last].name == tp.topic {
                topics[last].partitions.append(p)
            } else {
                topics.append(.init(name: tp.topic, partitions: [p]))
            }
        }
        return (.none, topics)
    }
}

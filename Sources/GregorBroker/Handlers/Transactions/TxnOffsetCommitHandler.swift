// TxnOffsetCommit (key 28).
// v1: no change. v2: committed leader epoch (KIP-320). v3: generation id, member id and group
// instance id, checked against the group as OffsetCommit checks them (KIP-447), and
// PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH (KIP-588). v4: may answer
// TRANSACTION_ABORTABLE (KIP-890). v5: transaction version 2 (KIP-890 part 2): the producer sends
// no AddOffsetsToTxn; the group's coordinator adds its offsets partition to the transaction.
// Needs WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on the group
// (GROUP_AUTHORIZATION_FAILED) and READ on each topic (TOPIC_AUTHORIZATION_FAILED); unknown
// partitions are UNKNOWN_TOPIC_OR_PARTITION (KafkaApis.handleTxnOffsetCommitRequest).
// KIP-890 part 1 (TransactionalWriteCheck): up to v4 the group's `__consumer_offsets` partition
// must be in the transaction (AddOffsetsToTxn first), else every partition is INVALID_TXN_STATE. The offsets are written in
// the producer's transaction and count once its commit marker is written; until then an
// OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for them.
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum TxnOffsetCommitHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...5

    static func handle(_ request: TxnOffsetCommitRequest, _ context: RequestContext) async throws -> TxnOffsetCommitResponse? {
        let broker = context.broker
        let v = context.apiVersion
        func answerAll(_ error: ErrorCode) -> TxnOffsetCommitResponse {
            TxnOffsetCommitResponse(topics: request.topics.map { t in
                .init(name: t.name, partitions: t.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: error.rawValue) })
            })
        }
        let id = request.transactionalId
        guard context.authorized(.write, .transactionalId, id) else { return answerAll(.transactionalIdAuthorizationFailed) }
        guard context.authorized(.read, .group, request.groupId) else { return answerAll(.groupAuthorizationFailed) }
        let now = broker.clock()
        let readable = context.authorizedNames(.read, .topic, request.topics.map(\.name))
        var plan = OffsetCommitPlan(
            request.topics.map { ($0.name, $0.partitions) }, readable: readable, metadata: broker.metadata, index: \.partitionIndex
        ) { topic, p in
            OffsetCommitEntry(
                topic: topic, partition: p.partitionIndex, offset: p.committedOffset,
                leaderEpoch: p.committedLeaderEpoch == -1 ? nil : p.committedLeaderEpoch, metadata: p.committedMetadata ?? "",
                commitTimestamp: now)
        }
        if !plan.entries.isEmpty { plan.apply(await commit(request, plan.entries, context)) }
        let codes = plan.codes
        return TxnOffsetCommitResponse(topics: request.topics.enumerated().map { ti, t in
            .init(name: t.name, partitions: t.partitions.enumerated().map { pi, p in
                var code = TransactionShard.compatible(codes[ti][pi], requestVersion: v, firstVersionWithProducerFenced: 3)
                if code == .transactionAbortable && v < 4 { code = .invalidTxnState }
                return .init(partitionIndex: p.partitionIndex, errorCode: code.rawValue)
            })
        })
    }

    /// The transaction check (KIP-890), then the group's check and write.
    static func commit(_ request: TxnOffsetCommitRequest, _ entries: [OffsetCommitEntry], _ context: RequestContext) async -> OffsetCommitOutcome {
        let broker = context.broker
        let offsetsPartition = TopicPartition(OffsetStoreConfig.topic, broker.groupCoordinator.partition(for: request.groupId))
        let verification: VerificationGuard?
        // The offsets partition's log exists once the group has written anything.
        switch await TransactionalWriteCheck.check(
            broker, transactionalId: request.transactionalId, producerId: request.producerId, epoch: request.producerEpoch,
            partition: offsetsPartition, log: broker.log(offsetsPartition.topic, offsetsPartition.partition),
            addPartition: context.apiVersion >= 5)
        {
        case .proceed(let checked): verification = checked
        case .refused(let code): return .rejected(code)
        }
        let input = OffsetCommitInput(
            groupId: request.groupId, memberId: request.memberId, groupInstanceId: request.groupInstanceId,
            generationId: request.generationId, apiVersion: context.apiVersion, isTransactional: true)
        return await broker.groupCoordinator.commitTransactionalOffsets(
            input, entries, producer: CoordinatorProducer(id: request.producerId, epoch: request.producerEpoch, verification: verification))
    }
}

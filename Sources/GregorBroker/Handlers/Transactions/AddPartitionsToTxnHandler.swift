// AddPartitionsToTxn (key 24).
// v1: no change. v2: PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH (KIP-588). v3: flexible.
// v4: batched transactions with VerifyOnly, for partition leaders only (KIP-890 part 1): needs
// CLUSTER_ACTION, else the whole request is CLUSTER_AUTHORIZATION_FAILED. v5: may answer
// TRANSACTION_ABORTABLE (KIP-890).
// Clients (v0-3) need WRITE on the transactional id (every partition
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and WRITE on each topic: a refused topic is
// TOPIC_AUTHORIZATION_FAILED, an unknown partition UNKNOWN_TOPIC_OR_PARTITION, and then every
// other partition is OPERATION_NOT_ATTEMPTED (KafkaApis.handleAddPartitionsToTxnRequest). The
// rest go to the coordinator (TransactionShard.addPartitions / verifyPartitions); its error
// answers every partition. A leader's v4+ transaction that is not verify-only adds the partition
// for a transaction version 2 producer (KIP-890 part 2), as the leader does for a local one.
// Partitions are known from the metadata, not the local logs: in a cluster the coordinator
// need not hold a replica of them.
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum AddPartitionsToTxnHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...5

    typealias TopicResult = AddPartitionsToTxnResponse.AddPartitionsToTxnTopicResult

    static func handle(_ request: AddPartitionsToTxnRequest, _ context: RequestContext) async throws -> AddPartitionsToTxnResponse? {
        if context.apiVersion <= 3 {
            let results = await addOne(
                transactionalId: request.v3AndBelowTransactionalId, producerId: request.v3AndBelowProducerId,
                epoch: request.v3AndBelowProducerEpoch, topics: request.v3AndBelowTopics, verifyOnly: false, context)
            return AddPartitionsToTxnResponse(resultsByTopicV3AndBelow: results)
        }
        guard context.authorizedOnCluster(.clusterAction) else {
            return AddPartitionsToTxnResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue)
        }
        var response = AddPartitionsToTxnResponse()
        for t in request.transactions {
            let results = await addOne(
                transactionalId: t.transactionalId, producerId: t.producerId, epoch: t.producerEpoch, topics: t.topics,
                verifyOnly: t.verifyOnly, leaderAdds: true, context)
            response.resultsByTransaction.append(.init(transactionalId: t.transactionalId, topicResults: results))
        }
        return response
    }

    static func addOne(
        transactionalId: String, producerId: Int64, epoch: Int16, topics: [AddPartitionsToTxnRequest.AddPartitionsToTxnTopic],
        verifyOnly: Bool, leaderAdds: Bool = false, _ context: RequestContext
    ) async -> [TopicResult] {
        let broker = context.broker
        func answer(_ codes: (TopicPartition) -> ErrorCode) -> [TopicResult] {
            topics.map { t in
                TopicResult(name: t.name, resultsByPartition: t.partitions.map {
                    .init(partitionIndex: $0, partitionErrorCode: codes(TopicPartition(t.name, $0)).rawValue)
                })
            }
        }
        guard context.authorized(.write, .transactionalId, transactionalId) else { return answer { _ in .transactionalIdAuthorizationFailed } }
        let writable = context.authorizedNames(.write, .topic, topics.map(\.name))
        var refused: [TopicPartition: ErrorCode] = [:]
        var partitions: [TopicPartition] = []
        for t in topics {
            for p in t.partitions {
                let tp = TopicPartition(t.name, p)
                if !writable.contains(t.name) {
                    refused[tp] = .topicAuthorizationFailed
                } else if p < 0 || p >= broker.metadata.topic(t.name)?.partitionCount ?? 0 {
                    refused[tp] = .unknownTopicOrPartition
                } else {
                    partitions.append(tp)
                }
            }
        }
        if !refused.isEmpty { return answer { refused[$0] ?? .operationNotAttempted } }
        let version = context.apiVersion
        let wanted = partitions
        let codes: [TopicPartition: ErrorCode]
        if verifyOnly {
            switch broker.transactions.read(transactionalId, { $0.verifyPartitions(
                transactionalId: transactionalId, producerId: producerId, epoch: epoch, partitions: partitions) }) {
            case .success(let verified): codes = verified
            case .failure(let f): codes = Dictionary(partitions.map { ($0, f.code) }) { a, _ in a }
            }
        } else {
            let error: ErrorCode
            switch await broker.transactions.write(transactionalId, { shard, now in
                shard.addPartitions(transactionalId: transactionalId, producerId: producerId, epoch: epoch, partitions: wanted,
                                    clientTransactionVersion: leaderAdds ? 2 : 0, now: now)
            }) {
            case .success(let e): error = e
            case .failure(let f): error = f.code
            }
            codes = Dictionary(partitions.map { ($0, error) }) { a, _ in a }
        }
        return answer { tp in
            var code = TransactionShard.compatible(codes[tp] ?? .none, requestVersion: version, firstVersionWithProducerFenced: 2)
            // TRANSACTION_ABORTABLE is new in v5; older callers get the error they know.
            if code == .transactionAbortable && version < 5 { code = .invalidTxnState }
            return code
        }
    }
}

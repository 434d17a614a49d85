// AddOffsetsToTxn (key 25).
// v1: no change. v2: PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH (KIP-588). v3: flexible.
// v4: may answer TRANSACTION_ABORTABLE (KIP-890).
// Adds the group's `__consumer_offsets` partition to the transaction, so its commit marker makes
// the TxnOffsetCommit's offsets visible (KIP-98). Needs WRITE on the transactional id
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and READ on the group (GROUP_AUTHORIZATION_FAILED).
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum AddOffsetsToTxnHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...4

    static func handle(_ request: AddOffsetsToTxnRequest, _ context: RequestContext) async throws -> AddOffsetsToTxnResponse? {
        let broker = context.broker
        let id = request.transactionalId
        guard context.authorized(.write, .transactionalId, id) else {
            return AddOffsetsToTxnResponse(errorCode: ErrorCode.transactionalIdAuthorizationFailed.rawValue)
        }
        guard context.authorized(.read, .group, request.groupId) else {
            return AddOffsetsToTxnResponse(errorCode: ErrorCode.groupAuthorizationFailed.rawValue)
        }
        let tp = TopicPartition(OffsetStoreConfig.topic, broker.groupCoordinator.partition(for: request.groupId))
        let (producerId, epoch) = (request.producerId, request.producerEpoch)
        var error: ErrorCode
        switch await broker.transactions.write(id, { shard, now in
            shard.addPartitions(transactionalId: id, producerId: producerId, epoch: epoch, partitions: [tp], now: now)
        }) {
        case .success(let e): error = e
        case .failure(let f): error = f.code
        }
        error = TransactionShard.compatible(error, requestVersion: context.apiVersion, firstVersionWithProducerFenced: 2)
        if error == .transactionAbortable && context.apiVersion < 4 { error = .invalidTxnState }
        return AddOffsetsToTxnResponse(errorCode: error.rawValue)
    }
}

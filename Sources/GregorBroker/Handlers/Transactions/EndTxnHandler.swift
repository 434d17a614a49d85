// EndTxn (key 26).
// v1: no change. v2: PRODUCER_FENCED instead of INVALID_PRODUCER_EPOCH (KIP-588). v3: flexible.
// v4: may answer TRANSACTION_ABORTABLE. v5: transaction version 2 (KIP-890 part 2): the epoch is
// bumped at every commit or abort and returned with the producer id.
// Needs WRITE on the transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED). The coordinator
// writes PrepareCommit or PrepareAbort and answers; the markers and the Complete* record follow
// (TransactionCoordinator.writeMarkers), as in Kafka, where EndTxn returns before the markers.
import GregorCoordination
import KafkaProtocol

enum EndTxnHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...5

    static func handle(_ request: EndTxnRequest, _ context: RequestContext) async throws -> EndTxnResponse? {
        let id = request.transactionalId
        guard context.authorized(.write, .transactionalId, id) else {
            return EndTxnResponse(errorCode: ErrorCode.transactionalIdAuthorizationFailed.rawValue, producerId: -1, producerEpoch: -1)
        }
        let (producerId, epoch, commit) = (request.producerId, request.producerEpoch, request.committed)
        let tv: Int16 = context.apiVersion >= 5 ? 2 : 0
        let result: EndTransactionResult
        switch await context.broker.transactions.write(id, { shard, now in
            shard.endTransaction(transactionalId: id, producerId: producerId, epoch: epoch, commit: commit, clientTransactionVersion: tv, now: now)
        }) {
        case .success(let r): result = r
        case .failure(let f): result = .failure(f.code)
        }
        var error = TransactionShard.compatible(result.error, requestVersion: context.apiVersion, firstVersionWithProducerFenced: 2)
        if error == .transactionAbortable && context.apiVersion < 4 { error = .invalidTxnState }
        return EndTxnResponse(errorCode: error.rawValue, producerId: result.producerId, producerEpoch: result.producerEpoch)
    }
}

// InitProducerId (key 22).
// v1: no change. v2: flexible. v3: producer id and epoch in the request (KIP-360): a
// transactional producer's epoch is bumped after an error; an idempotent producer gets a new id,
// as from Kafka. v4: no change. v5: transaction version 2 (KIP-890).
// Idempotent producers (no transactional id) get a fresh id and epoch 0; Java and kafka-python
// producers ask for one by default. Ids come from blocks recorded on disk first
// (ProducerIdBlocks, KIP-730), so none is handed out twice across restarts. A transactional id
// goes to its transaction coordinator shard (TransactionShard.initProducerId): a first id, an epoch
// bump, or the fencing abort of an open transaction (CONCURRENT_TRANSACTIONS, retried). From v3 a
// producer may name its id and epoch to recover after an error (KIP-360); a half-given pair is
// INVALID_REQUEST. Before v4, PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH (KIP-588).
// Authorization: a transactional id needs WRITE on it (TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
// an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679),
// else CLUSTER_AUTHORIZATION_FAILED.
import GregorCoordination
import KafkaProtocol

enum InitProducerIdHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...5

    static func handle(_ request: InitProducerIdRequest, _ context: RequestContext) async throws -> InitProducerIdResponse? {
        if let id = request.transactionalId, !context.authorized(.write, .transactionalId, id) {
            return InitProducerIdResponse(errorCode: ErrorCode.transactionalIdAuthorizationFailed.rawValue, producerId: -1, producerEpoch: -1)
        }
        if request.transactionalId == nil, !context.authorizedOnCluster(.idempotentWrite), !context.authorizedByResourceType(.write, .topic) {
            return InitProducerIdResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, producerId: -1, producerEpoch: -1)
        }
        if let id = request.transactionalId {
            let given = request.producerId != -1 || request.producerEpoch != -1
            // KafkaApis.handleInitProducerIdRequest: both or neither.
            if given && (request.producerId == -1 || request.producerEpoch == -1) {
                return InitProducerIdResponse(errorCode: ErrorCode.invalidRequest.rawValue, producerId: -1, producerEpoch: -1)
            }
            let pair = given ? (request.producerId, request.producerEpoch) : nil
            let timeout = request.transactionTimeoutMs
            let result: InitProducerIdResult
            switch await context.broker.transactions.write(id, { shard, now in
                shard.initProducerId(transactionalId: id, transactionTimeoutMs: timeout, producerIdAndEpoch: pair, now: now)
            }) {
            case .success(let r): result = r
            case .failure(let f): result = .failure(f.code)
            }
            let error = TransactionShard.compatible(result.error, requestVersion: context.apiVersion, firstVersionWithProducerFenced: 4)
            return InitProducerIdResponse(errorCode: error.rawValue, producerId: result.producerId, producerEpoch: result.producerEpoch)
        }
        // Without a transactional id Kafka "blindly accepts the request": a new producer id at
        // epoch 0, whatever id and epoch the producer sent (KIP-360's epoch bump is for
        // transactional producers; an idempotent one starts afresh under a new id).
        do {
            return InitProducerIdResponse(producerId: try context.broker.producerIds.next(), producerEpoch: 0)
        } catch {
            // TransactionCoordinator.handleInitProducerId: Errors.forException of the failure.
            context.logger.error("no producer id: recording the next block failed: \(error)")
            return InitProducerIdResponse(errorCode: ErrorCode.unknownServerError.rawValue, producerId: -1, producerEpoch: -1)
        }
    }
}

// InitProducerId (key 22).
// v1: no change. v2: flexible. v3: producer id and epoch in the request (KIP-360): a
// transactional producer's epoch is bumped after an error; an idempotent producer gets a new id,
// as from Kafka. v4: no change. v5: transaction version 2 (KIP-890).
// Idempotent producers (no transactional id) get a fresh id and epoch 0; Java and kafka-python
// producers ask for one by default. Ids come from blocks recorded on disk first
// (ProducerIdBlocks, KIP-730), so none is handed out twice across restarts. Transactional ids need the transaction coordinator, which
// is not built yet: they get COORDINATOR_NOT_AVAILABLE, as from a cluster without one.
// Authorization: a transactional id needs WRITE on it (TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
// an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679),
// else CLUSTER_AUTHORIZATION_FAILED.
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
            // TransactionCoordinator.handleInitProducerId: an empty id is INVALID_REQUEST.
            let error: ErrorCode = id.isEmpty ? .invalidRequest : .coordinatorNotAvailable
            return InitProducerIdResponse(errorCode: error.rawValue, producerId: -1, producerEpoch: -1)
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

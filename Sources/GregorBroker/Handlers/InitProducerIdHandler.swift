// InitProducerId (key 22).
// v1: no change. v2: flexible. v3: producer id and epoch in the request, so an idempotent
// producer can bump its epoch after a sequence error (KIP-360). v4: no change. v5: transaction
// version 2 (KIP-890).
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
        guard request.transactionalId == nil else {
            return InitProducerIdResponse(errorCode: ErrorCode.coordinatorNotAvailable.rawValue, producerId: -1, producerEpoch: -1)
        }
        // KIP-360: a known idempotent producer asking again gets the next epoch.
        if request.producerId >= 0, request.producerEpoch >= 0, request.producerEpoch < Int16.max {
            return InitProducerIdResponse(producerId: request.producerId, producerEpoch: request.producerEpoch + 1)
        }
        do {
            return InitProducerIdResponse(producerId: try context.broker.producerIds.next(), producerEpoch: 0)
        } catch {
            // TransactionCoordinator.handleInitProducerId: Errors.forException of the failure.
            context.logger.error("no producer id: recording the next block failed: \(error)")
            return InitProducerIdResponse(errorCode: ErrorCode.unknownServerError.rawValue, producerId: -1, producerEpoch: -1)
        }
    }
}

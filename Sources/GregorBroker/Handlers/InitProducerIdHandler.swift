// InitProducerId (key 22).
// v1: no change. v2: flexible. v3: producer id and epoch in the request, so an idempotent
// producer can bump its epoch after a sequence error (KIP-360). v4: no change. v5: transaction
// version 2 (KIP-890).
// Idempotent producers (no transactional id) get a fresh id and epoch 0; Java and kafka-python
// producers ask for one by default. Transactional ids need the transaction coordinator, which
// is not built yet: they get COORDINATOR_NOT_AVAILABLE, as from a cluster without one.
// Authorization: a transactional id needs WRITE on it (TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
// an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic (KIP-679),
// else CLUSTER_AUTHORIZATION_FAILED.
import KafkaProtocol
import Synchronization

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
        return InitProducerIdResponse(producerId: context.broker.producerIds.next(), producerEpoch: 0)
    }
}

/// Hands out producer ids that are unique across restarts without a stored counter: the first
/// id is the start time in milliseconds shifted left by 10 bits, so 1,024 ids per millisecond of
/// uptime are available before a restart could overlap.
final class ProducerIdAllocator: Sendable {
    private let next_: Mutex<Int64>

    init(startMs: Int64) {
        next_ = Mutex(startMs << 10)
    }

    func next() -> Int64 {
        next_.withLock { n in
            defer { n += 1 }
            return n
        }
    }
}

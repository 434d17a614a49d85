// FindCoordinator (key 10).
// v1: key type (0 group, 1 transaction), throttle time and an error message. v2: no change.
// v3: flexible. v4: batched keys (KIP-699), errors per key and no error message. v5: may answer
// TRANSACTION_ABORTABLE (KIP-890). v6: key type 2, share groups (KIP-932).
// This broker coordinates every group and every transactional id. Share groups
// INVALID_REQUEST (Kafka's answer without a share coordinator, and below v6), and any other key
// type fails the whole request with INVALID_REQUEST, as Kafka's `CoordinatorType.forId` throws.
// A group key needs DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED), a transactional id
// DESCRIBE on it (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
import KafkaProtocol

enum FindCoordinatorHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...6

    static func handle(_ request: FindCoordinatorRequest, _ context: RequestContext) async throws -> FindCoordinatorResponse? {
        let config = context.broker.config
        // Every key has the same answer: there is one broker.
        let endpoint = context.advertised
        func answer(_ key: String) -> ErrorCode {
            switch request.keyType {
            case 0: context.authorized(.describe, .group, key) ? ErrorCode.none : .groupAuthorizationFailed
            case 1: context.authorized(.describe, .transactionalId, key) ? ErrorCode.none : .transactionalIdAuthorizationFailed
            default: .invalidRequest
            }
        }
        let validKeyType = (0...2).contains(request.keyType)

        guard context.apiVersion >= 4 else {
            let error = answer(request.key)
            let found = error == ErrorCode.none
            let (nodeId, host, port) = found ? (config.nodeId, endpoint.host, Int32(endpoint.port)) : (-1, "", -1)
            // Kafka's Errors.message(): the default message, or the enum name ("NONE") for success.
            return FindCoordinatorResponse(
                errorCode: error.rawValue, errorMessage: found ? "NONE" : error.defaultMessage,
                nodeId: nodeId, host: host, port: port)
        }
        guard validKeyType else {
            // The whole request fails (FindCoordinatorResponse.prepareErrorResponse).
            return FindCoordinatorResponse(coordinators: request.coordinatorKeys.map {
                .init(key: $0, nodeId: -1, host: "", port: -1, errorCode: ErrorCode.invalidRequest.rawValue,
                      errorMessage: ErrorCode.invalidRequest.defaultMessage)
            })
        }
        return FindCoordinatorResponse(coordinators: request.coordinatorKeys.map {
            let error = answer($0)
            return error == ErrorCode.none
                ? .init(key: $0, nodeId: config.nodeId, host: endpoint.host, port: Int32(endpoint.port), errorCode: 0)
                : .init(key: $0, nodeId: -1, host: "", port: -1, errorCode: error.rawValue)
        })
    }
}

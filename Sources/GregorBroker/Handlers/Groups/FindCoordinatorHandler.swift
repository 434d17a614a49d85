// FindCoordinator (key 10).
// v1: key type (0 group, 1 transaction), throttle time and an error message. v2: no change.
// v3: flexible. v4: batched keys (KIP-699), errors per key and no error message. v5: may answer
// TRANSACTION_ABORTABLE (KIP-890). v6: key type 2, share groups (KIP-932).
// Alone, this broker coordinates every group and every transactional id; in a cluster, the
// leader of the key's internal partition does (FindCoordinatorHandler+Cluster). Share groups
// INVALID_REQUEST (Kafka's answer without a share coordinator, and below v6), and any other key
// type fails the whole request with INVALID_REQUEST, as Kafka's `CoordinatorType.forId` throws.
// A group key needs DESCRIBE on the group (GROUP_AUTHORIZATION_FAILED), a transactional id
// DESCRIBE on it (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
import KafkaProtocol

enum FindCoordinatorHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...6

    static func handle(_ request: FindCoordinatorRequest, _ context: RequestContext) async throws -> FindCoordinatorResponse? {
        func answer(_ key: String) -> ErrorCode {
            switch request.keyType {
            case 0: context.authorized(.describe, .group, key) ? ErrorCode.none : .groupAuthorizationFailed
            case 1: context.authorized(.describe, .transactionalId, key) ? ErrorCode.none : .transactionalIdAuthorizationFailed
            default: .invalidRequest
            }
        }
        /// The coordinator, or the error, of one key.
        func find(_ key: String) async -> Lookup {
            let error = answer(key)
            guard error == .none else { return .refused(error) }
            return await coordinator(of: key, keyType: request.keyType, context)
        }
        let validKeyType = (0...2).contains(request.keyType)

        guard context.apiVersion >= 4 else {
            switch await find(request.key) {
            case .found(let nodeId, let host, let port):
                // Kafka's Errors.message(): the default message, or the enum name ("NONE") for success.
                return FindCoordinatorResponse(errorCode: 0, errorMessage: "NONE", nodeId: nodeId, host: host, port: port)
            case .refused(let error):
                return FindCoordinatorResponse(errorCode: error.rawValue, errorMessage: error.defaultMessage, nodeId: -1, host: "", port: -1)
            }
        }
        guard validKeyType else {
            // The whole request fails (FindCoordinatorResponse.prepareErrorResponse).
            return FindCoordinatorResponse(coordinators: request.coordinatorKeys.map {
                .init(key: $0, nodeId: -1, host: "", port: -1, errorCode: ErrorCode.invalidRequest.rawValue,
                      errorMessage: ErrorCode.invalidRequest.defaultMessage)
            })
        }
        var coordinators: [FindCoordinatorResponse.Coordinator] = []
        for key in request.coordinatorKeys {
            switch await find(key) {
            case .found(let nodeId, let host, let port): coordinators.append(.init(key: key, nodeId: nodeId, host: host, port: port, errorCode: 0))
            case .refused(let error): coordinators.append(.init(key: key, nodeId: -1, host: "", port: -1, errorCode: error.rawValue))
            }
        }
        return FindCoordinatorResponse(coordinators: coordinators)
    }
}

// DescribeTransactions (key 65, KIP-664).
// v0: the state of each transactional id at its coordinator: state, timeout, start time,
// producer id and epoch, and the partitions in the transaction.
// Each id needs DESCRIBE on it (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); an unknown one is
// TRANSACTIONAL_ID_NOT_FOUND. Partitions of topics the caller may not DESCRIBE are left out
// (KafkaApis.handleDescribeTransactionsRequest).
import GregorCoordination
import KafkaProtocol

enum DescribeTransactionsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    static func handle(_ request: DescribeTransactionsRequest, _ context: RequestContext) async throws -> DescribeTransactionsResponse? {
        let coordinator = context.broker.transactions
        var response = DescribeTransactionsResponse()
        for id in request.transactionalIds {
            guard context.authorized(.describe, .transactionalId, id) else {
                response.transactionStates.append(.init(
                    errorCode: ErrorCode.transactionalIdAuthorizationFailed.rawValue, transactionalId: id, transactionState: "",
                    transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1))
                continue
            }
            let description: TransactionDescription
            switch coordinator.read(id, { $0.describe(transactionalId: id) }) {
            case .success(let d): description = d
            case .failure(let f): description = TransactionDescription(transactionalId: id, error: f.code)
            }
            let visible = context.authorizedNames(.describe, .topic, description.topics.map(\.topic))
            response.transactionStates.append(.init(
                errorCode: description.error.rawValue, transactionalId: id, transactionState: description.state,
                transactionTimeoutMs: description.timeoutMs, transactionStartTimeMs: description.startTimeMs,
                producerId: description.producerId, producerEpoch: description.producerEpoch,
                topics: description.topics.filter { visible.contains($0.topic) }.map { .init(topic: $0.topic, partitions: $0.partitions) }))
        }
        return response
    }
}

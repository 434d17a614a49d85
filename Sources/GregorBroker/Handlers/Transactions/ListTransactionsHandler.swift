// ListTransactions (key 66, KIP-664).
// v0: filters by state names and producer ids; names Kafka does not know come back as
// unknown_state_filters. v1: duration filter (KIP-994): transactions running longer than it.
// Only transactional ids the caller may DESCRIBE are listed (KafkaApis.handleListTransactionsRequest).
import GregorCoordination
import KafkaProtocol

enum ListTransactionsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...1

    static func handle(_ request: ListTransactionsRequest, _ context: RequestContext) async throws -> ListTransactionsResponse? {
        let broker = context.broker
        let now = broker.clock()
        let states = Set(request.stateFilters)
        let producerIds = Set(request.producerIdFilters)
        let duration = context.apiVersion >= 1 ? request.durationFilter : -1
        var unknown: Set<String> = []
        let listed = broker.transactions.readAll { shard -> [ListedTransaction] in
            let result = shard.list(states: states, producerIds: producerIds, durationFilterMs: duration, now: now)
            unknown.formUnion(result.unknownStates)
            return result.transactions
        }
        let visible = context.authorizedNames(.describe, .transactionalId, listed.map(\.transactionalId))
        return ListTransactionsResponse(
            unknownStateFilters: unknown.sorted(),
            transactionStates: listed.filter { visible.contains($0.transactionalId) }.sorted { $0.transactionalId < $1.transactionalId }.map {
                .init(transactionalId: $0.transactionalId, producerId: $0.producerId, transactionState: $0.state)
            })
    }
}

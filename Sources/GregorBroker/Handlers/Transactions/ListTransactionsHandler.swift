// ListTransactions (key 66, KIP-664).
// v0: filters by state names and producer ids; names Kafka does not know come back as
// unknown_state_filters. v1: duration filter (KIP-994): transactions running longer than it.
// v2: a transactional id pattern (KIP-1152), a Java regex that must match the whole id (null or
// empty: no filter); one Java refuses is INVALID_REGULAR_EXPRESSION for the whole request.
// Only transactional ids the caller may DESCRIBE are listed (KafkaApis.handleListTransactionsRequest).
import GregorCoordination
import KafkaProtocol

enum ListTransactionsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: ListTransactionsRequest, _ context: RequestContext) async throws -> ListTransactionsResponse? {
        let broker = context.broker
        let now = broker.clock()
        let states = Set(request.stateFilters)
        let producerIds = Set(request.producerIdFilters)
        let duration = context.apiVersion >= 1 ? request.durationFilter : -1
        var pattern: Regex<AnyRegexOutput>?
        if context.apiVersion >= 2, let text = request.transactionalIdPattern, !text.isEmpty {
            do { pattern = try JavaCompat.compile(text) } catch {
                return ListTransactionsResponse(errorCode: ErrorCode.invalidRegularExpression.rawValue)
            }
        }
        var unknown: Set<String> = []
        let listed = broker.transactions.readAll { shard -> [ListedTransaction] in
            let result = shard.list(states: states, producerIds: producerIds, durationFilterMs: duration, now: now)
            unknown.formUnion(result.unknownStates)
            return result.transactions
        }
        let matching = listed.filter { t in pattern.map { t.transactionalId.wholeMatch(of: $0) != nil } ?? true }
        let visible = context.authorizedNames(.describe, .transactionalId, matching.map(\.transactionalId))
        return ListTransactionsResponse(
            unknownStateFilters: unknown.sorted(),
            transactionStates: matching.filter { visible.contains($0.transactionalId) }.sorted { $0.transactionalId < $1.transactionalId }.map {
                .init(transactionalId: $0.transactionalId, producerId: $0.producerId, transactionState: $0.state)
            })
    }
}

import GregorStorage
import KafkaProtocol

/// One transaction as DescribeTransactions shows it.
public struct TransactionDescription: Sendable, Hashable {
    public var transactionalId: String
    /// TRANSACTIONAL_ID_NOT_FOUND for an unknown id, INVALID_REQUEST for an empty one.
    public var error: ErrorCode
    public var state: String = ""
    public var producerId: Int64 = -1
    public var producerEpoch: Int16 = -1
    public var timeoutMs: Int32 = 0
    public var startTimeMs: Int64 = -1
    /// Partition ids by topic, sorted.
    public var topics: [(topic: String, partitions: [Int32])] = []

    public init(transactionalId: String, error: ErrorCode) {
        self.transactionalId = transactionalId
        self.error = error
    }

    init(transactionalId: String, error: ErrorCode, state: String, producerId: Int64, producerEpoch: Int16, timeoutMs: Int32,
         startTimeMs: Int64, topics: [(topic: String, partitions: [Int32])]) {
        self.transactionalId = transactionalId
        self.error = error
        self.state = state
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.timeoutMs = timeoutMs
        self.startTimeMs = startTimeMs
        self.topics = topics
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.transactionalId == b.transactionalId && a.error == b.error && a.state == b.state && a.producerId == b.producerId
            && a.producerEpoch == b.producerEpoch && a.timeoutMs == b.timeoutMs && a.startTimeMs == b.startTimeMs
            && a.topics.map(\.topic) == b.topics.map(\.topic) && a.topics.map(\.partitions) == b.topics.map(\.partitions)
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(transactionalId) }
}

/// One transaction as ListTransactions shows it.
public struct ListedTransaction: Sendable, Hashable {
    public var transactionalId: String
    public var producerId: Int64
    public var state: String
}

extension TransactionShard {
    /// DescribeTransactions for one id (Kafka's `handleDescribeTransactions`).
    public func describe(transactionalId: String) -> TransactionDescription {
        guard !transactionalId.isEmpty else { return TransactionDescription(transactionalId: transactionalId, error: .invalidRequest) }
        guard let metadata = transactions[transactionalId], metadata.state != .dead else {
            return TransactionDescription(transactionalId: transactionalId, error: .transactionalIdNotFound)
        }
        let topics = Dictionary(grouping: metadata.partitions, by: \.topic).sorted { $0.key < $1.key }
            .map { (topic: $0.key, partitions: $0.value.map(\.partition).sorted()) }
        return TransactionDescription(
            transactionalId: transactionalId, error: .none, state: metadata.state.name, producerId: metadata.producerId,
            producerEpoch: metadata.producerEpoch, timeoutMs: metadata.timeoutMs, startTimeMs: metadata.startTimestamp, topics: topics)
    }

    /// ListTransactions over this partition (Kafka's `listTransactionStates`). Empty filters
    /// match everything; state names Kafka does not know come back in `unknownStates`.
    /// `durationFilterMs` (v1, KIP-994) keeps transactions running longer than it; -1 keeps all.
    public func list(
        states: Set<String> = [], producerIds: Set<Int64> = [], durationFilterMs: Int64 = -1, now: Int64
    ) -> (transactions: [ListedTransaction], unknownStates: [String]) {
        let known = Set(states.compactMap(TransactionState.init(name:)))
        let unknown = states.filter { TransactionState(name: $0) == nil }.sorted()
        let listed = transactions.values.filter { metadata in
            // Dead is a transient state of an id being expired (never kept by Gregor).
            if metadata.state == .dead { return false }
            if !producerIds.isEmpty && !producerIds.contains(metadata.producerId) { return false }
            if !states.isEmpty && !known.contains(metadata.state) { return false }
            // Kafka compares against the start even for an idle id (start -1): it always passes.
            if durationFilterMs >= 0 && now - metadata.startTimestamp <= durationFilterMs { return false }
            return true
        }
        .sorted { $0.transactionalId < $1.transactionalId }
        .map { ListedTransaction(transactionalId: $0.transactionalId, producerId: $0.producerId, state: $0.state.name) }
        return (listed, unknown)
    }

    /// Kafka's `abortTimedOutTransactions` for one id: an Ongoing transaction past its timeout
    /// is fenced (epoch bumped) and aborted, and its markers written.
    mutating func abortTimedOutTransaction(_ id: String, now: Int64) -> CoordinatorResult<TransactionShard, Void> {
        guard let metadata = transactions[id], metadata.state == .ongoing else { return CoordinatorResult() }
        guard metadata.startTimestamp + Int64(metadata.timeoutMs) < now else { return CoordinatorResult(timers: [Self.timeoutTimer(metadata)]) }
        guard metadata.producerEpoch < Int16.max else { return CoordinatorResult() }
        let result = abortWithFence(metadata, now: now)
        return CoordinatorResult(records: result.records, events: result.events, timers: result.timers)
    }

    /// Kafka's `removeExpiredTransactionalIds`: a tombstone for every id idle in Empty,
    /// CompleteCommit or CompleteAbort for `transactional.id.expiration.ms`; then again after the
    /// cleanup interval.
    mutating func removeExpiredTransactionalIds(now: Int64) -> CoordinatorResult<TransactionShard, Void> {
        let expired = transactions.values.filter {
            $0.state.isExpirationAllowed && $0.lastUpdateTimestamp <= now - config.transactionalIdExpirationMs
        }
        return CoordinatorResult(
            records: expired.map(\.transactionalId).sorted().map { .tombstone(transactionalId: $0) },
            timers: [.schedule(key: Self.expirationKey, deadline: now + config.removeExpiredTransactionalIdsIntervalMs)])
    }
}

import KafkaProtocol

extension ListTransactionsRequest: ClientRequest { public typealias Response = ListTransactionsResponse }
extension DescribeTransactionsRequest: ClientRequest { public typealias Response = DescribeTransactionsResponse }
extension DescribeProducersRequest: ClientRequest { public typealias Response = DescribeProducersResponse }
extension WriteTxnMarkersRequest: ClientRequest { public typealias Response = WriteTxnMarkersResponse }
extension AddPartitionsToTxnRequest: ClientRequest {
    public typealias Response = AddPartitionsToTxnResponse
    /// The batched form a partition leader sends (KIP-890); v0-3 are a producer's.
    public static var clientVersions: ClosedRange<Int16> { 4...validVersions.upperBound }
}

/// A transaction as the coordinator describes it (DescribeTransactions, KIP-664).
public struct TransactionInfo: Sendable, Hashable {
    public var transactionalId: String
    public var state: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var timeoutMs: Int32
    public var startTimeMs: Int64
    public var partitions: [String]
}

/// A producer as a partition's leader knows it (DescribeProducers, KIP-664).
public struct ProducerInfo: Sendable, Hashable {
    public var producerId: Int64
    public var producerEpoch: Int32
    public var lastSequence: Int32
    public var lastTimestamp: Int64
    public var coordinatorEpoch: Int32
    /// -1 without an open transaction.
    public var currentTxnStartOffset: Int64
}

extension KafkaClient {
    /// ListTransactions: (transactional id, producer id, state), filtered as Kafka filters.
    public func listTransactions(states: [String] = [], producerIds: [Int64] = [], durationMs: Int64 = -1) async throws
        -> [(transactionalId: String, producerId: Int64, state: String)]
    {
        let response = try await send(ListTransactionsRequest(stateFilters: states, producerIdFilters: producerIds, durationFilter: durationMs))
        try GregorClientError.check(response.errorCode, nil, "cannot list transactions")
        if !response.unknownStateFilters.isEmpty {
            throw GregorClientError.broker(.invalidRequest, "unknown states: \(response.unknownStateFilters.joined(separator: ", "))",
                                           context: "cannot list transactions")
        }
        return response.transactionStates.map { ($0.transactionalId, $0.producerId, $0.transactionState) }
    }

    /// DescribeTransactions for one transactional id.
    public func describeTransaction(_ id: String) async throws -> TransactionInfo {
        let response = try await send(DescribeTransactionsRequest(transactionalIds: [id]))
        guard let t = response.transactionStates.first else { throw GregorClientError.broker(.unknownServerError, nil, context: "no answer for \(id)") }
        try GregorClientError.check(t.errorCode, nil, "cannot describe \(id)")
        return TransactionInfo(
            transactionalId: id, state: t.transactionState, producerId: t.producerId, producerEpoch: t.producerEpoch,
            timeoutMs: t.transactionTimeoutMs, startTimeMs: t.transactionStartTimeMs,
            partitions: t.topics.flatMap { topic in topic.partitions.map { "\(topic.topic)-\($0)" } })
    }

    /// DescribeProducers for one partition.
    public func describeProducers(topic: String, partition: Int32) async throws -> [ProducerInfo] {
        let response = try await send(DescribeProducersRequest(topics: [.init(name: topic, partitionIndexes: [partition])]))
        guard let p = response.topics.first?.partitions.first else {
            throw GregorClientError.broker(.unknownServerError, nil, context: "no answer for \(topic)-\(partition)")
        }
        try GregorClientError.check(p.errorCode, p.errorMessage, "cannot describe the producers of \(topic)-\(partition)")
        return p.activeProducers.map {
            ProducerInfo(producerId: $0.producerId, producerEpoch: $0.producerEpoch, lastSequence: $0.lastSequence,
                         lastTimestamp: $0.lastTimestamp, coordinatorEpoch: $0.coordinatorEpoch, currentTxnStartOffset: $0.currentTxnStartOffset)
        }
    }

    /// Aborts a producer's transaction on one partition with an abort marker, as Kafka's
    /// `Admin.abortTransaction` does (WriteTxnMarkers to the leader, KIP-664).
    public func abortTransaction(topic: String, partition: Int32, producerId: Int64, producerEpoch: Int16, coordinatorEpoch: Int32) async throws {
        let response = try await send(WriteTxnMarkersRequest(markers: [.init(
            producerId: producerId, producerEpoch: producerEpoch, transactionResult: false,
            topics: [.init(name: topic, partitionIndexes: [partition])], coordinatorEpoch: coordinatorEpoch)]))
        for marker in response.markers {
            for t in marker.topics {
                for p in t.partitions { try GregorClientError.check(p.errorCode, nil, "cannot abort on \(t.name)-\(p.partitionIndex)") }
            }
        }
    }
}

import KafkaProtocol

/// The aborted transactions of a log, by producer, for the cleaner: a transactional batch inside
/// one is aborted data, which compaction discards and never maps (Kafka's `Cleaner` reads the
/// `.txnindex` for this).
struct AbortedRanges: Sendable {
    private var ranges: [Int64: [(first: Int64, marker: Int64)]] = [:]

    init(_ aborted: [AbortedTransaction]) {
        for a in aborted { ranges[a.producerId, default: []].append((a.firstOffset, a.lastOffset)) }
    }

    func isAborted(_ batch: RecordBatch) -> Bool {
        guard batch.isTransactional, !batch.isControl, let mine = ranges[batch.producerId] else { return false }
        return mine.contains { $0.first <= batch.baseOffset && batch.lastOffset < $0.marker }
    }
}

/// Kafka's `CleanedTransactionMetadata`, over one pass of the cleaner in offset order: whether the
/// transaction each producer is in left any data in the cleaned log, so that its marker can go
/// once nothing is left for it to commit or abort.
struct CleanedTransactions {
    private var retainedData: [Int64: Bool] = [:]
    /// The markers written to the cleaned segments, by producer id and offset: only their
    /// aborted transactions stay in the cleaned `.txnindex` (a consumer told of an abort whose
    /// marker is gone would skip the producer's records for good).
    private(set) var keptMarkers: Set<MarkerKey> = []

    struct MarkerKey: Hashable {
        var producerId: Int64
        var offset: Int64
    }

    mutating func kept(marker batch: RecordBatch) {
        keptMarkers.insert(MarkerKey(producerId: batch.producerId, offset: batch.baseOffset))
    }

    /// The aborted transactions a cleaned segment keeps.
    func retained(_ aborted: [AbortedTransaction]) -> [AbortedTransaction] {
        aborted.filter { keptMarkers.contains(MarkerKey(producerId: $0.producerId, offset: $0.lastOffset)) }
    }

    /// A transactional data batch was read; `retained` if some of its records are kept.
    mutating func data(producerId: Int64, retained: Bool) {
        retainedData[producerId] = (retainedData[producerId] ?? false) || retained
    }

    /// The transaction's marker was read: whether its transaction still has data. The producer's
    /// next transaction starts afresh.
    mutating func marker(producerId: Int64) -> Bool {
        retainedData.removeValue(forKey: producerId) ?? false
    }
}

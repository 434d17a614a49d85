import KafkaProtocol
import NIOCore

/// Decides, batch by batch, what a cleaned segment keeps: Kafka's `LogCleaner.cleanInto` filter
/// with `MemoryRecords.filterTo` behind it.
struct CompactionFilter {
    /// Key → offset of its latest record in the dirty part.
    let map: OffsetMap
    /// The last offset the map covers; records after it were not mapped and are all kept.
    let latestOffset: Int64
    let now: Int64
    let deleteRetentionMs: Int64
    /// Producer id → last offset of its last data batch in the cleanable part.
    let producerLastOffsets: [Int64: Int64]
    /// The log's aborted transactions.
    let aborted: AbortedRanges

    /// The bytes to write for `batch`: the batch as stored when nothing changes, a rebuilt batch,
    /// an empty header, or nil to drop it. `endsRange` marks the last batch of a cleaned segment.
    func apply(_ batch: RecordBatch, endsRange: Bool, stats: inout CleanerStats, transactions: inout CleanedTransactions)
        throws(StorageError) -> ByteBuffer?
    {
        if batch.isControl { return try applyMarker(batch, endsRange: endsRange, stats: &stats, transactions: &transactions) }
        let records = try batch.storedRecords()
        stats.recordsRead += Int64(records.count)
        var kept: [StoredRecord] = []
        kept.reserveCapacity(records.count)
        var keptTombstone = false
        // An aborted transaction's records are discarded whole (Kafka's `discardBatchRecords`);
        // a committed one's are compacted like any other.
        let discard = aborted.isAborted(batch)
        for r in records {
            if !discard && shouldRetain(r, of: batch) {
                kept.append(r)
                if !r.hasValue { keptTombstone = true }
            } else if !r.hasValue {
                stats.tombstonesRemoved += 1
            }
        }
        stats.recordsRetained += Int64(kept.count)
        if batch.isTransactional { transactions.data(producerId: batch.producerId, retained: !kept.isEmpty) }
        if kept.isEmpty {
            // RETAIN_EMPTY: the batch holding an active producer's last sequence (so its state can
            // be rebuilt from the log), and the last batch of the range (so the segment keeps its
            // offset range). Kafka keeps the latter for the last segment of a round only.
            let lastOfProducer = batch.producerId >= 0 && producerLastOffsets[batch.producerId] == batch.lastOffset
            guard endsRange || lastOfProducer else { return nil }
            return records.isEmpty ? batch.buffer : batch.emptyHeader()
        }
        // KIP-534: the first clean that keeps a tombstone stamps the batch with its delete horizon.
        let stampHorizon = keptTombstone && !batch.hasDeleteHorizonMs
        if kept.count == records.count && !stampHorizon { return batch.buffer }
        let horizon = stampHorizon ? Self.add(now, deleteRetentionMs) : batch.deleteHorizonMs
        return try batch.rebuilt(keeping: kept, deleteHorizonMs: horizon)
    }

    /// A transaction marker stays while its transaction has records left; then, as for a
    /// tombstone (KIP-534), the first clean that finds it removable stamps its delete horizon and
    /// a clean after `delete.retention.ms` removes it (Kafka's `CleanedTransactionMetadata`), so
    /// a consumer that read the transaction's records also gets to read its end.
    private func applyMarker(_ batch: RecordBatch, endsRange: Bool, stats: inout CleanerStats, transactions: inout CleanedTransactions)
        throws(StorageError) -> ByteBuffer?
    {
        stats.recordsRead += Int64(batch.recordCount)
        let hasData = batch.producerId < 0 || transactions.marker(producerId: batch.producerId)
        if !hasData, let horizon = batch.deleteHorizonMs, now >= horizon { return endsRange ? batch.emptyHeader() : nil }
        stats.recordsRetained += Int64(batch.recordCount)
        transactions.kept(marker: batch)
        guard !hasData, batch.deleteHorizonMs == nil else { return batch.buffer }
        return try batch.rebuilt(keeping: try batch.storedRecords(), deleteHorizonMs: Self.add(now, deleteRetentionMs))
    }

    /// Kafka's `Cleaner.shouldRetainRecord`: a record is kept when it is the latest for its key
    /// and has a value, or is a tombstone whose batch's delete horizon (KIP-534) has not passed.
    private func shouldRetain(_ r: StoredRecord, of batch: RecordBatch) -> Bool {
        let offset = batch.baseOffset + Int64(r.offsetDelta)
        if offset > latestOffset { return true }
        // Kafka drops keyless records here (and rejects them on produce to a compacted topic);
        // they are kept, so nothing a producer wrote is lost silently.
        guard let key = r.key else { return true }
        if let latest = map.get(key), offset < latest { return false }
        if r.hasValue { return true }
        guard let horizon = batch.deleteHorizonMs else { return true }
        return now < horizon
    }

    static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : sum
    }
}

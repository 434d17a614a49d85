import KafkaProtocol
import NIOCore

extension PartitionLog {
    /// Appends batches fetched from the leader as they are (`UnifiedLog.appendAsFollower`): the
    /// offsets, timestamps and leader epochs stay the leader's. Each batch's CRC and structure
    /// are checked and offsets must increase. The first batch may not start below the log end
    /// (``StorageError/Kind/unexpectedAppendOffset(firstOffset:lastOffset:logEndOffset:)``) but
    /// may start past it, as Kafka allows: a compacted leader's log has gaps. A partial batch at
    /// the end (a fetch response cut at its size limit) is left out, and no size limit applies:
    /// the leader accepted the batch. The epoch cache, producer state and transaction markers
    /// move as on the leader but without the producer checks (`AppendOrigin.REPLICATION`), so
    /// this replica deduplicates retries and knows open transactions once it leads. The high
    /// watermark does not move. Returns nil when `records` holds no whole batch.
    @discardableResult
    public func appendAsFollower(_ records: ByteBuffer, now: Int64) throws(StorageError) -> AppendResult? {
        let (result, due) = try withLockTakingFlush { (s: inout State) throws(StorageError) -> AppendResult? in
            guard !s.closed else { throw StorageError(.closed, path: directory) }
            let (batches, headers, bytes) = try Self.followerBatches(records, directory: directory)
            guard let first = headers.first, let last = headers.last else { return nil }
            guard first.baseOffset >= s.logEndOffset else {
                throw StorageError(.unexpectedAppendOffset(
                    firstOffset: first.baseOffset, lastOffset: last.lastOffset, logEndOffset: s.logEndOffset), path: directory)
            }
            // Every batch brings its leader's epoch; a new one starts at the batch.
            try Self.updateEpochs(&s, directory: directory) { epochs in
                var changed = false
                for h in headers where h.partitionLeaderEpoch >= 0 {
                    if epochs.assign(epoch: h.partitionLeaderEpoch, startOffset: h.baseOffset) { changed = true }
                }
                return changed
            }
            let offsets = headers.reduce(Int64(0)) { $0 + $1.lastOffset - $1.baseOffset + 1 }
            try writeBatches(&s, records.getSlice(at: records.readerIndex, length: bytes)!, headers: headers, messages: offsets, now: now)
            for batch in batches {
                if let stored = Segment.producerBatch(batch) { try Self.replayProducerState(&s, stored) }
            }
            return AppendResult(
                firstOffset: first.baseOffset, lastOffset: last.lastOffset, logAppendTime: -1, logStartOffset: s.logStartOffset,
                recordCount: offsets)
        }
        try flush(due)
        return result
    }

    /// The whole batches of a follower's fetch, checked as `UnifiedLog.analyzeAndValidateRecords`
    /// checks them, with the bytes they span.
    static func followerBatches(_ records: ByteBuffer, directory: String) throws(StorageError)
        -> (batches: [RecordBatch], headers: [BatchHeader], bytes: Int)
    {
        var reader = RecordBatchReader(records, allowPartialTrailingBatch: true)
        var batches: [RecordBatch] = []
        var headers: [BatchHeader] = []
        var bytes = 0
        while true {
            let batch: RecordBatch
            do {
                guard let b = try reader.next() else { break }
                batch = b
            } catch {
                throw StorageError(.corruptRecord("\(error) in batch \(batches.count) of a follower append"), path: directory)
            }
            guard batch.verifyCRC() else {
                throw StorageError(.corruptRecord("CRC mismatch in the batch at offset \(batch.baseOffset)"), path: directory)
            }
            // A compacted batch may hold fewer records than its offset range, or none (Kafka's
            // cleaner keeps a producer's last batch empty), so only the range is checked.
            guard batch.lastOffsetDelta >= 0, batch.recordCount >= 0, batch.baseOffset >= 0 else {
                throw StorageError(.corruptRecord("batch at offset \(batch.baseOffset) with offset delta \(batch.lastOffsetDelta)"), path: directory)
            }
            // OffsetsOutOfOrderException.
            if let previous = headers.last, batch.baseOffset <= previous.lastOffset {
                throw StorageError(.corruptRecord(
                    "out of order offsets: batch at \(batch.baseOffset) after one ending at \(previous.lastOffset)"), path: directory)
            }
            headers.append(BatchHeader(
                baseOffset: batch.baseOffset, size: Int64(batch.sizeInBytes), lastOffset: batch.lastOffset,
                maxTimestamp: batch.maxTimestamp, magic: batch.magic, partitionLeaderEpoch: batch.partitionLeaderEpoch))
            batches.append(batch)
            bytes += batch.sizeInBytes
        }
        return (batches, headers, bytes)
    }
}

import KafkaProtocol
import NIOCore

/// What an append did, for the produce response.
public struct AppendResult: Hashable, Sendable {
    public var firstOffset: Int64
    public var lastOffset: Int64
    /// The broker's time stamped on the batches under LogAppendTime; -1 under CreateTime.
    public var logAppendTime: Int64
    public var logStartOffset: Int64
    public var recordCount: Int64
    /// `flush.messages` left an fsync due that the caller must wait for before it answers: see
    /// `appendFromClient(deferFlush:)` and `makeDurable(upTo:)`.
    public var flushRequested = false
}

extension PartitionLog {
    /// Appends the v2 batches of a produce request: checks each batch's size, length and CRC,
    /// assigns offsets and the leader epoch in place (the records are neither decompressed nor
    /// copied more than once), rolls the segment when it is full or old, and fsyncs per
    /// `flush.messages`. Control batches are accepted only with `allowControl` (transaction markers
    /// come from the coordinator, never from a client).
    public func append(_ records: ByteBuffer, now: Int64, leaderEpoch: Int32 = 0, allowControl: Bool = false)
        throws(StorageError) -> AppendResult
    {
        let (result, due) = try withLockTakingFlush { (s: inout State) throws(StorageError) -> AppendResult in
            guard !s.closed else { throw StorageError(.closed, path: directory) }
            let result = try appendLocked(&s, records, now: now, leaderEpoch: leaderEpoch, allowControl: allowControl)
            // Coordinator records (transactional offset commits) and markers move producer
            // state as a replica's appends do: without the client checks.
            var reader = RecordBatchReader(records, maxBatchSize: Int.max)
            var offset = result.firstOffset
            while let batch = try? reader.next() {
                defer { offset += Int64(batch.lastOffsetDelta) + 1 }
                guard let stored = Self.producerBatch(batch, at: offset) else { continue }
                try Self.replayProducerState(&s, stored)
            }
            return result
        }
        try flush(due)
        return result
    }

    /// Appends a client's produce records after the leader's validation (Kafka's `LogValidator`):
    /// one batch starting at offset 0, consistent counts, no control batch, keys on compacted
    /// topics, timestamps within `message.timestamp.before/after.max.ms` under CreateTime. A
    /// batch whose codec differs from the topic's `compression.type` is stored recompressed.
    /// Any refusal leaves the log untouched.
    /// A transactional batch brings the `verification` its check with the coordinator gave
    /// (KIP-890); nil when partitions do not verify.
    /// With `deferFlush` the append never fsyncs `flush.messages`' flush: it is reported in
    /// `flushRequested`, and the caller answers only after `makeDurable(upTo:)`, so a thread
    /// that must not block can append and one fsync can cover many appends (group commit). A
    /// roll's fsync goes to the log's `RollFlusher` either way (KAFKA-15046).
    public func appendFromClient(
        _ records: ByteBuffer, now: Int64, leaderEpoch: Int32 = 0, verification: VerificationGuard? = nil, deferFlush: Bool = false
    ) throws(ClientAppendError) -> AppendResult {
        // The CRC and record checks need only the records and the topic's config, so they run
        // before the lock is taken, as Kafka's `analyzeAndValidateRecords` checks CRCs before
        // `UnifiedLog.append` locks: producers to one partition validate in parallel and queue
        // only for the write. A config changed meanwhile applies from the next append.
        let (config, closed) = state.withLock { ($0.config, $0.closed) }
        guard !closed else { throw .storage(StorageError(.closed, path: directory)) }
        let validated = try ClientRecordValidator(partition: topicPartition, config: config, now: now).validate(records)
        let rebuilt = validated.rebuilt
        // UnifiedLog.append re-checks a rebuilt batch against max.message.bytes: recompression
        // can make it larger (RecordTooLargeException, MESSAGE_TOO_LARGE).
        if let rebuilt, rebuilt.readableBytes > config.maxMessageBytes {
            throw .storage(StorageError(.recordTooLarge(size: rebuilt.readableBytes, limit: config.maxMessageBytes)))
        }
        var (result, due) = try withLockTakingFlush { (s: inout State) throws(ClientAppendError) -> AppendResult in
            guard !s.closed else { throw .storage(StorageError(.closed, path: directory)) }
            let toAppend = rebuilt ?? records
            // KIP-98: an idempotent producer's batch is checked against what the partition has
            // seen of it; a retry of one of its last five batches is answered with the offsets
            // it was written at and not written again (UnifiedLog.append). The validator let
            // through exactly one batch.
            let incoming = (try? RecordBatch(toAppend)).flatMap { ProducerStates.Incoming($0, baseOffset: s.logEndOffset) }
            var entry: ProducerStateEntry?
            if let incoming {
                let outcome: ProducerStates.Outcome
                do throws(ProducerStateError) {
                    outcome = try s.producers.check(incoming, partition: topicPartition)
                } catch {
                    throw .producerState(error)
                }
                switch outcome {
                case .duplicate(let batch):
                    return AppendResult(
                        firstOffset: batch.firstOffset, lastOffset: batch.lastOffset,
                        logAppendTime: s.config.logAppendTime ? batch.maxTimestamp : -1, logStartOffset: s.logStartOffset, recordCount: 0)
                case .append(let updated):
                    entry = updated
                }
                if incoming.isTransactional, let verification {
                    do throws(ProducerStateError) {
                        try s.producers.checkVerified(
                            producerId: incoming.producerId, epoch: incoming.epoch, token: verification.token, partition: topicPartition)
                    } catch {
                        throw .producerState(error)
                    }
                }
            }
            var result: AppendResult
            do throws(StorageError) {
                result = try appendLocked(&s, toAppend, now: now, leaderEpoch: leaderEpoch, allowControl: false, crcVerified: validated.crcVerified)
            } catch {
                throw .storage(error)
            }
            if let incoming, var entry {
                if s.config.logAppendTime, let last = entry.batches.indices.last {
                    entry.batches[last].maxTimestamp = now
                    entry.lastTimestamp = now
                }
                s.producers.apply(incoming, entry: entry)
            }
            return result
        }
        if deferFlush && due.requested {
            // The caller's group commit fsyncs everything, the roll's segments included.
            result.flushRequested = true
        } else {
            do throws(StorageError) { try flush(due) } catch { throw .storage(error) }
        }
        return result
    }

    func appendLocked(
        _ s: inout State, _ records: ByteBuffer, now: Int64, leaderEpoch: Int32, allowControl: Bool, crcVerified: Bool = false
    ) throws(StorageError) -> AppendResult
    {
        var headers: [BatchHeader] = []
        // The leader's changes to each batch (base offset, epoch, LogAppendTime and its CRC) go
        // into a copy of its 61-byte header; the records are written from the request's buffer.
        var patched = ByteBuffer()
        var next = s.logEndOffset
        let first = next
        var reader = RecordBatchReader(records, maxBatchSize: max(s.config.maxMessageBytes, RecordBatch.headerSize))
        while true {
            let batch: RecordBatch
            do {
                guard let b = try reader.next() else { break }
                batch = b
            } catch {
                if case .batchTooLarge(let size, let limit) = error { throw StorageError(.recordTooLarge(size: size, limit: limit)) }
                throw StorageError(.corruptRecord("\(error)"))
            }
            guard crcVerified || batch.verifyCRC() else { throw StorageError(.corruptRecord("CRC mismatch in batch \(headers.count)")) }
            // KafkaValidator: a v2 batch's offset range must match its record count.
            guard batch.recordCount > 0, Int64(batch.lastOffsetDelta) == Int64(batch.recordCount) - 1 else {
                throw StorageError(.corruptRecord("batch offset range \(batch.lastOffsetDelta) does not match \(batch.recordCount) records"))
            }
            guard allowControl || !batch.isControl else { throw StorageError(.corruptRecord("control batch from a client")) }
            let at = reader.lastEntryIndex
            var maxTimestamp = batch.maxTimestamp
            if s.config.logAppendTime { maxTimestamp = now }
            Self.patchHeader(of: records, batchAt: at, size: batch.sizeInBytes, into: &patched, baseOffset: next, leaderEpoch: leaderEpoch,
                             logAppendTime: s.config.logAppendTime ? now : nil)
            headers.append(BatchHeader(
                baseOffset: next, size: Int64(batch.sizeInBytes), lastOffset: next + Int64(batch.lastOffsetDelta),
                maxTimestamp: maxTimestamp, magic: RecordBatch.magic, partitionLeaderEpoch: leaderEpoch))
            next += Int64(batch.lastOffsetDelta) + 1
        }
        guard !headers.isEmpty else { throw StorageError(.corruptRecord("no record batches")) }
        // UnifiedLog.append assigns the epoch stamped on the batches before writing them. Kafka's
        // Partition always stamps its current epoch; an older one here is a caller's mistake (a
        // default 0 in a cluster) and must not erase the newer epochs, as `assign` would.
        if leaderEpoch > s.epochs.latestEpoch ?? -1 {
            try Self.updateEpochs(&s, directory: directory) { $0.assign(epoch: leaderEpoch, startOffset: first) }
        }
        try writeBatches(&s, records, headers: headers, patched: patched, messages: next - first, now: now)
        if s.highWatermarkMode == .logEnd { Self.setHighWatermark(&s, s.logEndOffset) }
        return AppendResult(
            firstOffset: first, lastOffset: next - 1, logAppendTime: s.config.logAppendTime ? now : -1,
            logStartOffset: s.logStartOffset, recordCount: next - first)
    }

    /// Writes batches whose offsets are final: rolls first when due, counts them toward
    /// `flush.messages` and fsyncs when that many are unflushed.
    /// `patched` holds a replacement header for each batch (the leader's), or is nil when the
    /// batches are written as they are (a follower's).
    func writeBatches(
        _ s: inout State, _ buffer: ByteBuffer, headers: [BatchHeader], patched: ByteBuffer? = nil, messages: Int64, now: Int64
    ) throws(StorageError) {
        try maybeRoll(&s, incomingBytes: Int64(buffer.readableBytes), lastOffset: headers[headers.count - 1].lastOffset, now: now)
        try s.active.append(buffer, headers: headers, patched: patched)
        s.unflushedMessages += messages
        if s.unflushedMessages >= s.config.flushMessages {
            s.flushRequested = true
            s.lastFlushAt = now
        }
    }

    /// Appends to `out` the header of the batch at `index` of `records` as the leader stores it:
    /// its base offset and leader epoch set and, under LogAppendTime, its timestamp type and max
    /// timestamp set and its CRC (over the header's tail and the unchanged records) recomputed.
    static func patchHeader(
        of records: ByteBuffer, batchAt index: Int, size: Int, into out: inout ByteBuffer, baseOffset: Int64, leaderEpoch: Int32,
        logAppendTime: Int64?
    ) {
        let h = out.writerIndex
        out.writeImmutableBuffer(records.getSlice(at: index, length: RecordBatch.headerSize)!)
        out.setInteger(baseOffset, at: h + RecordBatch.Offset.baseOffset)
        out.setInteger(leaderEpoch, at: h + RecordBatch.Offset.partitionLeaderEpoch)
        guard let time = logAppendTime else { return }
        let attributes = out.getInteger(at: h + RecordBatch.Offset.attributes, as: Int16.self)!
        let stamped = attributes | RecordBatch.Attribute.timestampType
        if stamped == attributes && out.getInteger(at: h + RecordBatch.Offset.maxTimestamp, as: Int64.self)! == time { return }
        out.setInteger(stamped, at: h + RecordBatch.Offset.attributes)
        out.setInteger(time, at: h + RecordBatch.Offset.maxTimestamp)
        let tail = CRC32C.checksum(out, at: h + RecordBatch.Offset.attributes, length: RecordBatch.headerSize - RecordBatch.Offset.attributes)
        let crc = CRC32C.checksum(records.getSlice(at: index + RecordBatch.headerSize, length: size - RecordBatch.headerSize)!, continuing: tail)
        out.setInteger(crc, at: h + RecordBatch.Offset.crc)
    }

    /// Rolls when the active segment would pass `segment.bytes`, is older than `segment.ms`, has
    /// a full index, or would need a relative offset beyond int32. Kafka fsyncs the old segment
    /// on roll, so a crash can only lose the active segment's tail.
    func maybeRoll(_ s: inout State, incomingBytes: Int64, lastOffset: Int64, now: Int64) throws(StorageError) {
        guard Self.rollDue(s, incomingBytes: incomingBytes, lastOffset: lastOffset, now: now) else { return }
        try roll(&s, now: now)
    }

    static func rollDue(_ s: State, incomingBytes: Int64, lastOffset: Int64, now: Int64) -> Bool {
        let active = s.active
        guard active.size > 0 else { return false }
        let full = active.size + incomingBytes > s.config.segmentBytes
        let old = now - active.rollingBase >= s.config.segmentMs
        let overflow = lastOffset - active.baseOffset > Int64(Int32.max)
        return full || old || overflow || active.isIndexFull
    }

    /// Whether appending `bytes` at `leaderEpoch` now would block on more than a write into the
    /// page cache: a roll (new files, the producer snapshot) or a new leader epoch (the fsynced
    /// `leader-epoch-checkpoint`, as Kafka's `LeaderEpochFileCache.assign` writes it, KAFKA-16541).
    /// A caller on a thread that must not block appends elsewhere when this holds; another
    /// append may still change the answer before its own, which then blocks briefly.
    public func appendMayBlock(bytes: Int, leaderEpoch: Int32, now: Int64) -> Bool {
        state.withLock { s in
            leaderEpoch > s.epochs.latestEpoch ?? -1
                || Self.rollDue(s, incomingBytes: Int64(bytes), lastOffset: s.logEndOffset + Int64(bytes), now: now)
        }
    }

    func roll(_ s: inout State, now: Int64) throws(StorageError) {
        let segment = try Segment.create(directory: directory, baseOffset: s.logEndOffset, config: s.config, cache: cache, now: now)
        s.segments.append(segment)
        // Kafka flushes up to the new segment's base on roll, moving the recovery point, so an
        // unclean start only revalidates the active segment; since KAFKA-15046 it writes the
        // producer snapshot unsynced and fsyncs both after the append, outside the log's lock.
        try takeSnapshot(&s, sync: false)
        s.rollFlushDue = segment.baseOffset
        s.lastFlushAt = now
    }

    /// Forces a roll (tests, retention of an expired active segment).
    public func roll(now: Int64) throws(StorageError) {
        let (_, due) = try withLockTakingFlush { (s: inout State) throws(StorageError) in
            guard !s.closed else { throw StorageError(.closed, path: directory) }
            guard s.active.size > 0 else { return }
            try roll(&s, now: now)
        }
        try flush(due)
    }
}

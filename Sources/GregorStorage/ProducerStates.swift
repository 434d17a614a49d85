import KafkaProtocol
import NIOCore

/// One partition's idempotent and transactional producers (Kafka's `ProducerStateManager`):
/// checked on every client append (KIP-98), advanced by transaction markers, carried over a
/// restart by `.snapshot` files and the log after the last one.
struct ProducerStates: Sendable {
    var entries: [Int64: ProducerStateEntry] = [:]
    /// Producer id -> first offset of its open transaction here (Kafka's `ongoingTxns`).
    var ongoing: [Int64: Int64] = [:]
    /// First offset -> marker offset of the transactions whose marker is not yet below the high
    /// watermark (Kafka's `unreplicatedTxns`): decided, but the decision could still be lost with
    /// the leader, so the last stable offset waits for the marker's replication. A single replica
    /// moves the high watermark past the marker at once.
    var unreplicated: [Int64: Int64] = [:]
    /// KIP-890: a transaction's first write here, checked with the coordinator (Kafka's
    /// `VerificationStateEntry` and `VerificationGuard`). A marker written meanwhile removes
    /// it, and the write that was checked is then refused: it must not open a transaction no
    /// marker will close.
    var verifications: [Int64: Verification] = [:]

    struct Verification: Hashable, Sendable {
        var token: UInt64
        var epoch: Int16
        var createdAt: Int64
    }

    /// One producer batch of an append, with the offsets it will get.
    struct Incoming: Hashable, Sendable {
        var producerId: Int64
        var epoch: Int16
        var isTransactional: Bool
        var batch: ProducerStateEntry.Batch

        init(producerId: Int64, epoch: Int16, isTransactional: Bool, batch: ProducerStateEntry.Batch) {
            self.producerId = producerId
            self.epoch = epoch
            self.isTransactional = isTransactional
            self.batch = batch
        }

        /// The producer fields of a v2 batch written at `baseOffset`; nil without a producer id.
        init?(_ b: RecordBatch, baseOffset: Int64) {
            guard b.producerId >= 0, !b.isControl else { return nil }
            self.init(producerId: b.producerId, epoch: b.producerEpoch, isTransactional: b.isTransactional, batch: .init(
                firstSequence: b.baseSequence, lastSequence: b.lastSequence, firstOffset: baseOffset,
                lastOffset: baseOffset + Int64(b.lastOffsetDelta), maxTimestamp: b.maxTimestamp))
        }
    }

    /// What an append does to producer state.
    enum Outcome {
        /// The batch was written before: answer with its offsets and append nothing.
        case duplicate(ProducerStateEntry.Batch)
        /// Append, then store this entry (``apply(_:entry:)``).
        case append(ProducerStateEntry)
    }

    /// The first offset of the oldest transaction still open or whose marker is not yet
    /// replicated: the last stable offset, unless the high watermark is lower.
    var firstUnstableOffset: Int64? {
        switch (ongoing.values.min(), unreplicated.keys.min()) {
        case (let a?, let b?): min(a, b)
        case (let a, let b): a ?? b
        }
    }

    /// `onHighWatermarkUpdated`: transactions whose marker is below the high watermark are stable.
    mutating func onHighWatermarkUpdated(_ highWatermark: Int64) {
        guard !unreplicated.isEmpty else { return }
        unreplicated = unreplicated.filter { $0.value >= highWatermark }
    }

    /// `onLogStartOffsetIncremented`: a transaction whose marker is gone from the log is forgotten.
    mutating func onLogStartOffsetIncremented(_ logStartOffset: Int64) {
        onHighWatermarkUpdated(logStartOffset)
    }

    /// Checks a client's batch as `UnifiedLog.analyzeAndValidateProducerState` and
    /// `ProducerAppendInfo` do, without changing anything.
    func check(_ incoming: Incoming, partition: TopicPartition) throws(ProducerStateError) -> Outcome {
        let b = incoming.batch
        let current = entries[incoming.producerId]
        if let duplicate = current?.duplicate(epoch: incoming.epoch, firstSequence: b.firstSequence, lastSequence: b.lastSequence) {
            return .duplicate(duplicate)
        }
        var entry = current ?? ProducerStateEntry(epoch: -1, lastTimestamp: b.maxTimestamp)
        if incoming.epoch < entry.epoch {
            throw ProducerStateError(kind: .invalidProducerEpoch, message:
                "Epoch of producer \(incoming.producerId) at offset \(b.firstOffset) in \(partition) is \(incoming.epoch), "
                + "which is smaller than the last seen epoch \(entry.epoch)")
        }
        if incoming.epoch != entry.epoch {
            // A new epoch starts at sequence 0, unless the partition knew no epoch at all.
            if b.firstSequence != 0 && entry.epoch != -1 {
                throw ProducerStateError(kind: .outOfOrderSequence, message:
                    "Invalid sequence number for new epoch of producer \(incoming.producerId) at offset \(b.firstOffset) in "
                    + "partition \(partition): \(incoming.epoch) (request epoch), \(b.firstSequence) (seq. number), "
                    + "\(entry.epoch) (current producer epoch)")
            }
            entry.update(epoch: incoming.epoch)
        } else if entry.epoch != -1, !Self.inSequence(entry.lastSequence ?? -1, b.firstSequence) {
            throw ProducerStateError(kind: .outOfOrderSequence, message:
                "Out of order sequence number for producer \(incoming.producerId) at offset \(b.firstOffset) in partition "
                + "\(partition): \(b.firstSequence) (incoming seq. number), \(entry.lastSequence ?? -1) (current end sequence number)")
        }
        if entry.currentTxnFirstOffset != nil && !incoming.isTransactional {
            throw ProducerStateError(kind: .invalidTxnState, message:
                "Expected transactional write from producer \(incoming.producerId) at offset \(b.firstOffset) in partition \(partition)")
        }
        entry.add(incoming)
        return .append(entry)
    }

    /// Stores a checked batch's entry once the batch is written.
    mutating func apply(_ incoming: Incoming, entry: ProducerStateEntry) {
        entries[incoming.producerId] = entry
        if let first = entry.currentTxnFirstOffset, ongoing[incoming.producerId] == nil { ongoing[incoming.producerId] = first }
    }

    /// A batch read back from the log at recovery: applied without checks, as Kafka replays a
    /// segment (`AppendOrigin.REPLICATION`).
    mutating func replay(_ incoming: Incoming) {
        var entry = entries[incoming.producerId] ?? ProducerStateEntry(epoch: incoming.epoch, lastTimestamp: incoming.batch.maxTimestamp)
        entry.update(epoch: max(entry.epoch, incoming.epoch))
        entry.add(incoming)
        apply(incoming, entry: entry)
    }

    /// `ProducerAppendInfo.appendEndTxnMarker`'s checks: a marker of an older producer epoch or
    /// from an older coordinator is refused.
    func checkMarker(
        producerId: Int64, epoch: Int16, coordinatorEpoch: Int32, partition: TopicPartition, transactionVersion: Int8 = 0
    ) throws(ProducerStateError) {
        guard let entry = entries[producerId] else { return }
        // Transaction version 2 (KIP-890 part 2, KIP-1228) bumps the epoch at every commit and
        // abort, so its marker carries an epoch above the transaction's; the same epoch again is
        // a retried marker, fine once the transaction is closed (or at the last epoch).
        if transactionVersion >= 2 && epoch == entry.epoch && entry.currentTxnFirstOffset != nil && epoch != Int16.max {
            throw ProducerStateError(kind: .invalidProducerEpoch, message:
                "Epoch of producer \(producerId) in the marker for \(partition) is \(epoch), which is not above the transaction's epoch \(entry.epoch) (transaction version 2)")
        }
        if epoch < entry.epoch {
            throw ProducerStateError(kind: .invalidProducerEpoch, message:
                "Epoch of producer \(producerId) in the marker for \(partition) is \(epoch), which is smaller than the last seen epoch \(entry.epoch)")
        }
        if coordinatorEpoch < entry.coordinatorEpoch {
            throw ProducerStateError(kind: .coordinatorFenced, message:
                "Invalid coordinator epoch for producer \(producerId) in \(partition): \(coordinatorEpoch) (zombie), \(entry.coordinatorEpoch) (current)")
        }
    }

    /// Applies a written marker: the producer's open transaction, if any, is complete. A marker
    /// without data here completes nothing and leaves no index entry.
    mutating func complete(
        producerId: Int64, epoch: Int16, coordinatorEpoch: Int32, committed: Bool, markerOffset: Int64, timestamp: Int64
    ) -> CompletedTransaction? {
        var entry = entries[producerId] ?? ProducerStateEntry(epoch: epoch, lastTimestamp: timestamp)
        let completed = entry.currentTxnFirstOffset.map {
            CompletedTransaction(producerId: producerId, firstOffset: $0, markerOffset: markerOffset, aborted: !committed)
        }
        if let completed { unreplicated[completed.firstOffset] = markerOffset }
        entry.update(epoch: max(entry.epoch, epoch))
        entry.coordinatorEpoch = coordinatorEpoch
        entry.currentTxnFirstOffset = nil
        entry.lastTimestamp = timestamp
        entries[producerId] = entry
        ongoing[producerId] = nil
        verifications[producerId] = nil
        return completed
    }

    /// Kafka's `lastStableOffset(completedTxn)`: where reads may go once `completed` is done.
    func lastStableOffset(after completed: CompletedTransaction) -> Int64 {
        ongoing.filter { $0.key != completed.producerId }.values.min() ?? completed.markerOffset + 1
    }

    /// `removeExpiredProducers`: producers idle for `producer.id.expiration.ms` with no open
    /// transaction are forgotten (KIP-854); their next batch is accepted at any sequence.
    mutating func removeExpired(now: Int64, expirationMs: Int64) {
        entries = entries.filter { $0.value.currentTxnFirstOffset != nil || now - $0.value.lastTimestamp < expirationMs }
        // A check whose write never came (Kafka drops them after the longest transaction).
        verifications = verifications.filter { now - $0.value.createdAt < Self.verificationLifetimeMs }
    }

    /// `transaction.max.timeout.ms`' default: no transaction outlives it.
    static let verificationLifetimeMs: Int64 = 900_000

    /// Whether a transactional write needs the check it was given: only the first of a
    /// transaction does (an open transaction at this epoch was checked already).
    func needsVerification(producerId: Int64, epoch: Int16) -> Bool {
        !(ongoing[producerId] != nil && entries[producerId]?.epoch == epoch)
    }

    /// Refuses a transaction's first write unless `token` is the check still on record.
    func checkVerified(producerId: Int64, epoch: Int16, token: UInt64?, partition: TopicPartition) throws(ProducerStateError) {
        guard needsVerification(producerId: producerId, epoch: epoch) else { return }
        guard let token, verifications[producerId]?.token == token, verifications[producerId]?.epoch == epoch else {
            throw ProducerStateError(kind: .invalidTxnState, message:
                "Transactional write of producer \(producerId) to \(partition) was not verified, or its transaction ended meanwhile")
        }
    }

    /// `ProducerStateManager.inSequence`: the next sequence, wrapping from Int32.max to 0.
    static func inSequence(_ last: Int32, _ next: Int32) -> Bool {
        next == (last == Int32.max ? 0 : last + 1)
    }
}

extension ProducerStateEntry {
    /// `addBatch` plus the transaction bookkeeping of `appendDataBatch`.
    mutating func add(_ incoming: ProducerStates.Incoming) {
        batches.append(incoming.batch)
        if batches.count > Self.batchesToRetain { batches.removeFirst() }
        lastTimestamp = incoming.batch.maxTimestamp
        if incoming.isTransactional && currentTxnFirstOffset == nil { currentTxnFirstOffset = incoming.batch.firstOffset }
    }
}

import KafkaProtocol
import NIOCore
import Synchronization

/// What a transactional write brings back from its check with the coordinator (KIP-890 part
/// 1, Kafka's `VerificationGuard`): the token ``PartitionLog/beginVerification(producerId:epoch:now:)``
/// gave, or nil when the producer's transaction was already open here.
public struct VerificationGuard: Hashable, Sendable {
    public var token: UInt64?

    public init(token: UInt64?) { self.token = token }
}

extension PartitionLog {
    static let verificationTokens = Atomic<UInt64>(0)

    /// Before a transaction's write is checked with its coordinator: records the check, so a
    /// marker written meanwhile voids it (`ProducerStateManager.maybeCreateVerificationStateEntry`).
    /// Nil when the producer's transaction is already open here at this epoch.
    public func beginVerification(producerId: Int64, epoch: Int16, now: Int64) -> VerificationGuard {
        state.withLock { s in
            guard s.producers.needsVerification(producerId: producerId, epoch: epoch) else { return VerificationGuard(token: nil) }
            if let v = s.producers.verifications[producerId], v.epoch == epoch { return VerificationGuard(token: v.token) }
            let token = Self.verificationTokens.add(1, ordering: .relaxed).newValue
            s.producers.verifications[producerId] = .init(token: token, epoch: epoch, createdAt: now)
            return VerificationGuard(token: token)
        }
    }

    /// A coordinator's transactional records (a TxnOffsetCommit's offsets): checked against the
    /// producer's epoch and, with `verification`, against the check made before the write, as
    /// a client's transactional batch is; then appended, stamped with `leaderEpoch`.
    public func appendTransactional(
        _ records: ByteBuffer, producerId: Int64, epoch: Int16, verification: VerificationGuard?, now: Int64, leaderEpoch: Int32 = 0
    ) throws(StorageError) -> AppendResult {
        let (result, due) = try withLockTakingFlush { (s: inout State) throws(StorageError) -> AppendResult in
            guard !s.closed else { throw StorageError(.closed, path: directory) }
            do throws(ProducerStateError) {
                if let current = s.producers.entries[producerId]?.epoch, epoch < current {
                    throw ProducerStateError(kind: .invalidProducerEpoch, message:
                        "Epoch of producer \(producerId) in \(topicPartition) is \(epoch), which is smaller than the last seen epoch \(current)")
                }
                if let verification {
                    try s.producers.checkVerified(producerId: producerId, epoch: epoch, token: verification.token, partition: topicPartition)
                }
            } catch {
                throw StorageError(.producerState(error), path: directory)
            }
            let result = try appendLocked(&s, records, now: now, leaderEpoch: leaderEpoch, allowControl: false)
            var reader = RecordBatchReader(records, maxBatchSize: Int.max)
            var offset = result.firstOffset
            while let batch = try? reader.next() {
                defer { offset += Int64(batch.lastOffsetDelta) + 1 }
                if let stored = Self.producerBatch(batch, at: offset) { try Self.replayProducerState(&s, stored) }
            }
            return result
        }
        try flush(due)
        return result
    }

    /// Writes a transaction's commit or abort marker, as the partition leader does for
    /// WriteTxnMarkers (KIP-98): a control batch of the producer's id and epoch. The producer's
    /// open transaction here ends; an aborted one is added to the segment's `.txnindex` for
    /// READ_COMMITTED fetches. A marker of an older epoch is INVALID_PRODUCER_EPOCH, one from an
    /// older coordinator TRANSACTION_COORDINATOR_FENCED; at transaction version 2, one that does not
    /// raise the open transaction's epoch is INVALID_PRODUCER_EPOCH too. Returns the marker's offset.
    public func appendMarker(
        producerId: Int64, producerEpoch: Int16, committed: Bool, coordinatorEpoch: Int32, now: Int64, leaderEpoch: Int32 = 0,
        transactionVersion: Int8 = 0
    ) throws(ClientAppendError) -> Int64 {
        let (offset, due) = try withLockTakingFlush { (s: inout State) throws(ClientAppendError) -> Int64 in
            guard !s.closed else { throw .storage(StorageError(.closed, path: directory)) }
            do throws(ProducerStateError) {
                try s.producers.checkMarker(
                    producerId: producerId, epoch: producerEpoch, coordinatorEpoch: coordinatorEpoch, partition: topicPartition,
                    transactionVersion: transactionVersion)
            } catch {
                throw .producerState(error)
            }
            let marker = EndTransactionMarker(type: committed ? .commit : .abort, coordinatorEpoch: coordinatorEpoch)
            let batch = RecordBatchBuilder.endTransactionMarkerBatch(marker, producerId: producerId, producerEpoch: producerEpoch, timestamp: now)
            do throws(StorageError) {
                let result = try appendLocked(&s, batch, now: now, leaderEpoch: leaderEpoch, allowControl: true)
                try Self.applyMarker(&s, producerId: producerId, epoch: producerEpoch, marker: marker, offset: result.firstOffset, timestamp: now)
                return result.firstOffset
            } catch {
                throw .storage(error)
            }
        }
        do throws(StorageError) { try flush(due) } catch { throw .storage(error) }
        return offset
    }

    /// Ends the producer's transaction at a marker written (or read back) at `offset`.
    static func applyMarker(_ s: inout State, producerId: Int64, epoch: Int16, marker: EndTransactionMarker, offset: Int64, timestamp: Int64)
        throws(StorageError)
    {
        let completed = s.producers.complete(
            producerId: producerId, epoch: epoch, coordinatorEpoch: marker.coordinatorEpoch, committed: marker.type == .commit,
            markerOffset: offset, timestamp: timestamp)
        // A single replica's high watermark is already past the marker; a replicated one waits.
        s.producers.onHighWatermarkUpdated(s.highWatermark)
        guard let completed, completed.aborted else { return }
        let entry = AbortedTransaction(
            producerId: producerId, firstOffset: completed.firstOffset, lastOffset: offset,
            lastStableOffset: s.producers.lastStableOffset(after: completed))
        let segment = s.segments[s.segmentIndex(for: offset)]
        // Recovery replays markers whose entry may already be in the index.
        if !segment.txnIndex.entries.contains(where: { $0.producerId == producerId && $0.lastOffset == offset }) {
            try segment.txnIndex.append(entry)
        }
    }

    /// Producer state for batches appended without the client checks (coordinator records,
    /// markers through ``append(_:now:leaderEpoch:allowControl:)``, recovery).
    static func replayProducerState(_ s: inout State, _ stored: StoredProducerBatch) throws(StorageError) {
        switch stored {
        case .data(let incoming):
            s.producers.replay(incoming)
        case .marker(let producerId, let epoch, let marker, let offset, let timestamp):
            try applyMarker(&s, producerId: producerId, epoch: epoch, marker: marker, offset: offset, timestamp: timestamp)
        }
    }

    /// What a batch just appended at `offset` does to producer state (its header still carries
    /// the producer's offset 0).
    static func producerBatch(_ batch: RecordBatch, at offset: Int64) -> StoredProducerBatch? {
        switch Segment.producerBatch(batch) {
        case .data(var incoming)?:
            let delta = incoming.batch.lastOffset - incoming.batch.firstOffset
            incoming.batch.firstOffset = offset
            incoming.batch.lastOffset = offset + delta
            return .data(incoming)
        case .marker(let producerId, let epoch, let marker, _, let timestamp)?:
            return .marker(producerId: producerId, epoch: epoch, marker: marker, offset: offset, timestamp: timestamp)
        case nil:
            return nil
        }
    }

    /// The last stable offset (KIP-98): reads in READ_COMMITTED stop before the first open
    /// transaction, and never pass the high watermark.
    public var lastStableOffset: Int64 {
        state.withLock { $0.lastStableOffset }
    }

    /// The aborted transactions a READ_COMMITTED fetch from `offset` up to `upperBound` must
    /// report (`UnifiedLog.collectAbortedTransactions`): from the segment holding `offset` on,
    /// until an entry's last stable offset covers the bound.
    public func abortedTransactions(from offset: Int64, upTo upperBound: Int64) -> [AbortedTransaction] {
        state.withLock { s in Self.abortedTransactions(s, from: offset, upTo: upperBound) }
    }

    static func abortedTransactions(_ s: State, from offset: Int64, upTo upperBound: Int64) -> [AbortedTransaction] {
        var out: [AbortedTransaction] = []
        for segment in s.segments[s.segmentIndex(for: offset)...] {
            let (entries, complete) = segment.txnIndex.aborted(from: offset, upTo: upperBound)
            out += entries
            if complete { break }
        }
        return out
    }

    /// Whether the producer has a transaction open here (KIP-890: a leader verifies only the
    /// first transactional write of a transaction to a partition).
    public func hasOngoingTransaction(producerId: Int64, epoch: Int16) -> Bool {
        state.withLock { s in s.producers.ongoing[producerId] != nil && s.producers.entries[producerId]?.epoch == epoch }
    }

    /// Forgets producers idle for `producer.id.expiration.ms` with no open transaction.
    public func removeExpiredProducers(now: Int64, expirationMs: Int64) {
        state.withLock { $0.producers.removeExpired(now: now, expirationMs: expirationMs) }
    }

    /// Producers this partition knows, for DescribeProducers.
    public var activeProducers: [ActiveProducer] {
        state.withLock { s in
            s.producers.entries.sorted { $0.key < $1.key }.map { id, e in
                ActiveProducer(
                    producerId: id, producerEpoch: e.epoch, lastSequence: e.lastSequence ?? -1, lastTimestamp: e.lastTimestamp,
                    coordinatorEpoch: e.coordinatorEpoch, currentTxnStartOffset: e.currentTxnFirstOffset ?? -1)
            }
        }
    }

    /// Writes the producer state as of the log end to a `.snapshot` file (Kafka takes one at
    /// every roll and at a clean shutdown), keeping the newest two.
    /// Without `sync` the snapshot is fsynced by the next flush (a roll's, KAFKA-15046).
    func takeSnapshot(_ s: inout State, sync: Bool = true) throws(StorageError) {
        let written = try ProducerStateSnapshot.write(s.producers, directory: directory, offset: s.logEndOffset, sync: sync)
        s.unsyncedSnapshot = sync ? nil : written
        try ProducerStateSnapshot.clean(directory: directory, logStartOffset: s.logStartOffset)
    }

    /// Rebuilds producer state at open: the newest snapshot at or below the log end, then every
    /// batch after it (`UnifiedLog.rebuildProducerState`). Returns how many batches were read.
    static func loadProducerState(_ s: inout State, directory: String) throws(StorageError) -> Int {
        let from: Int64
        if let (offset, states) = try ProducerStateSnapshot.loadLatest(directory: directory, logEndOffset: s.logEndOffset),
            offset >= s.logStartOffset
        {
            s.producers = states
            from = offset
        } else {
            s.producers = ProducerStates()
            from = s.logStartOffset
        }
        var read = 0
        for segment in s.segments where segment.nextOffset > from {
            try segment.producerBatches(from: max(from, segment.baseOffset)) { (stored: StoredProducerBatch) throws(StorageError) in
                read += 1
                try replayProducerState(&s, stored)
            }
        }
        return read
    }
}

/// One producer as a partition knows it (DescribeProducers, KIP-664).
public struct ActiveProducer: Hashable, Sendable {
    public var producerId: Int64
    public var producerEpoch: Int16
    public var lastSequence: Int32
    public var lastTimestamp: Int64
    public var coordinatorEpoch: Int32
    public var currentTxnStartOffset: Int64
}

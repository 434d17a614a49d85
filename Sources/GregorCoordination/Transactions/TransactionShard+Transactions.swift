import GregorStorage
import KafkaProtocol

/// EndTxn's answer. From EndTxn v5 (KIP-890 TV2) the producer id and epoch are returned,
/// because the commit or abort bumped them; -1 and -1 with an error.
public typealias EndTransactionResult = ProducerEpochResult

extension TransactionShard {
    /// AddPartitionsToTxn from a client (v0-v3, and AddOffsetsToTxn with the group's
    /// `__consumer_offsets` partition). Empty and Complete* start a transaction (Ongoing, timer
    /// armed); partitions already in an Ongoing transaction are answered at once, unwritten.
    public mutating func addPartitions(
        transactionalId: String, producerId: Int64, epoch: Int16, partitions: [TopicPartition], clientTransactionVersion: Int16 = 0,
        now: Int64
    ) -> CoordinatorResult<TransactionShard, ErrorCode> {
        guard !transactionalId.isEmpty else { return CoordinatorResult(response: .invalidRequest) }
        guard let metadata = transactions[transactionalId], metadata.producerId == producerId else {
            return CoordinatorResult(response: .invalidProducerIdMapping)
        }
        guard metadata.producerEpoch == epoch else { return CoordinatorResult(response: .producerFenced) }
        if metadata.state.isPrepare { return CoordinatorResult(response: .concurrentTransactions) }
        let added = Set(partitions)
        if metadata.state == .ongoing, added.isSubset(of: metadata.partitions) { return CoordinatorResult(response: .none) }
        guard TransactionState.ongoing.validPreviousStates.contains(metadata.state) else {
            return CoordinatorResult(response: .unknownServerError)
        }
        var next = metadata
        if metadata.state != .ongoing { next.startTimestamp = now }
        next.state = .ongoing
        next.partitions.formUnion(added)
        next.lastUpdateTimestamp = now
        next.clientTransactionVersion = clientTransactionVersion
        return CoordinatorResult(
            records: [.metadata(next)], response: .none, timers: metadata.state == .ongoing ? [] : [Self.timeoutTimer(next)])
    }

    /// AddPartitionsToTxn v4 `VerifyOnly` (KIP-890 part 1): a partition leader asks whether a
    /// transactional produce belongs to an ongoing transaction. Nothing is written. Since Kafka
    /// 3.8 (KAFKA-16314) a partition outside the transaction answers TRANSACTION_ABORTABLE, so
    /// the producer aborts instead of failing fatally with INVALID_TXN_STATE.
    public func verifyPartitions(
        transactionalId: String, producerId: Int64, epoch: Int16, partitions: [TopicPartition]
    ) -> [TopicPartition: ErrorCode] {
        func all(_ error: ErrorCode) -> [TopicPartition: ErrorCode] { Dictionary(partitions.map { ($0, error) }) { a, _ in a } }
        guard !transactionalId.isEmpty else { return all(.invalidRequest) }
        guard let metadata = transactions[transactionalId], metadata.producerId == producerId else {
            return all(.invalidProducerIdMapping)
        }
        guard metadata.producerEpoch == epoch else { return all(.producerFenced) }
        if metadata.state.isPrepare { return all(.concurrentTransactions) }
        return Dictionary(partitions.map { ($0, metadata.partitions.contains($0) ? ErrorCode.none : .transactionAbortable) }) { a, _ in a }
    }

    /// EndTxn (Kafka's `handleEndTransaction`). Writes PrepareCommit or PrepareAbort and, once
    /// written, answers NONE and emits ``Event/writeMarkers``; a transaction without partitions
    /// is completed in the same write. A retry after the outcome is complete answers NONE; the
    /// other outcome, or EndTxn on Empty, INVALID_TXN_STATE; a retry while markers are written,
    /// CONCURRENT_TRANSACTIONS. `clientTransactionVersion` is 2 for EndTxn v5+ (KIP-890 part
    /// 2: the epoch is bumped at every commit and abort and returned), else 0.
    public mutating func endTransaction(
        transactionalId: String, producerId: Int64, epoch: Int16, commit: Bool, clientTransactionVersion: Int16, now: Int64
    ) -> CoordinatorResult<TransactionShard, EndTransactionResult> {
        endTransaction(
            transactionalId: transactionalId, producerId: producerId, epoch: epoch, commit: commit,
            clientTransactionVersion: clientTransactionVersion, fromClient: true, fencing: false, now: now)
    }

    /// `fencing`: the coordinator's own abort after bumping the epoch to `epoch` (a timeout or
    /// a successor's InitProducerId), Kafka's pending PrepareEpochFence.
    mutating func endTransaction(
        transactionalId: String, producerId: Int64, epoch: Int16, commit: Bool, clientTransactionVersion: Int16,
        fromClient: Bool, fencing: Bool, now: Int64
    ) -> CoordinatorResult<TransactionShard, EndTransactionResult> {
        guard !transactionalId.isEmpty else { return CoordinatorResult(response: .failure(.invalidRequest)) }
        guard var metadata = transactions[transactionalId] else { return CoordinatorResult(response: .failure(.invalidProducerIdMapping)) }
        let tv2 = !fencing && metadata.supportsEpochBump
        // KIP-890: a TV2 retry carries the epoch from before the bump, or the exhausted epoch of
        // the producer id the transaction rolled over from.
        let retryOnOverflow = tv2 && metadata.previousProducerId == producerId && epoch == Int16.max - 1 && metadata.producerEpoch == 0
        let retryOnEpochBump = tv2 && Int32(metadata.producerEpoch) == Int32(epoch) + 1
        let validEpoch: Bool
        if tv2 {
            switch metadata.state {
            case .ongoing, .empty, .dead, .prepareEpochFence: validEpoch = epoch == metadata.producerEpoch
            case .prepareCommit, .prepareAbort: validEpoch = retryOnEpochBump
            case .completeCommit, .completeAbort: validEpoch = retryOnEpochBump || retryOnOverflow
            }
        } else {
            validEpoch = (!fromClient || epoch == metadata.producerEpoch) && epoch >= metadata.producerEpoch
        }
        if metadata.producerId != producerId && !retryOnOverflow {
            return CoordinatorResult(response: .failure(.invalidProducerIdMapping))
        }
        guard validEpoch else { return CoordinatorResult(response: .failure(.producerFenced)) }
        if metadata.state.isPrepare { return CoordinatorResult(response: .failure(.concurrentTransactions)) }
        let retried = EndTransactionResult(producerId: metadata.producerId, producerEpoch: metadata.producerEpoch)
        let prepares = metadata.state == .ongoing || (metadata.state == .empty && !commit && clientTransactionVersion >= 2)
        switch (metadata.state, commit) {
        case (.completeCommit, true), (.completeAbort, false):
            return CoordinatorResult(response: retried)
        case _ where prepares:
            var nextProducerId: Int64 = -1
            if clientTransactionVersion >= 2, !fencing, metadata.isEpochExhausted {
                switch generateProducerId() {
                case .success(let id): nextProducerId = id
                case .failure(let error): return CoordinatorResult(response: .failure(error.code))
                }
            }
            if fencing {
                metadata.producerEpoch = epoch
                metadata.lastProducerEpoch = -1
            }
            let prepared = metadata.prepared(
                commit: commit, clientTransactionVersion: clientTransactionVersion, nextProducerId: nextProducerId, now: now)
            let records = [Record.metadata(prepared)] + completeIfNoPartitions(prepared, now: now)
            // A rolled-over producer continues with the new id at epoch 0, which is also what a
            // retry of this request is answered once the transaction completes.
            let answer = nextProducerId == -1
                ? EndTransactionResult(producerId: prepared.producerId, producerEpoch: prepared.producerEpoch)
                : EndTransactionResult(producerId: nextProducerId, producerEpoch: 0)
            return CoordinatorResult(
                records: records, response: answer, events: markers(prepared),
                timers: [.cancel(key: Self.timeoutPrefix + transactionalId)])
        case (.completeCommit, false), (.completeAbort, true), (.empty, _), (.ongoing, _):
            return CoordinatorResult(response: .failure(.invalidTxnState))
        case (.prepareCommit, _), (.prepareAbort, _), (.dead, _), (.prepareEpochFence, _):
            return CoordinatorResult(response: .failure(.unknownServerError))
        }
    }

    /// Every marker of the transaction is written (Kafka's marker manager completing the
    /// transaction): writes CompleteCommit or CompleteAbort with no partitions. Answers
    /// INVALID_TXN_STATE if the transaction is not waiting for markers, and the producer id or
    /// epoch errors if it moved on since the markers were asked for.
    public mutating func completeTransaction(
        transactionalId: String, producerId: Int64, epoch: Int16, now: Int64
    ) -> CoordinatorResult<TransactionShard, ErrorCode> {
        guard let metadata = transactions[transactionalId], metadata.producerId == producerId else {
            return CoordinatorResult(response: .invalidProducerIdMapping)
        }
        guard metadata.producerEpoch == epoch else { return CoordinatorResult(response: .producerFenced) }
        guard metadata.state.isPrepare else { return CoordinatorResult(response: .invalidTxnState) }
        return CoordinatorResult(records: [.metadata(metadata.completed(now: now))], response: .none)
    }
}

extension TransactionMetadata {
    /// Kafka's `prepareAbortOrCommit`: at transaction version 2 the epoch is bumped (the old one
    /// kept as the last), and a NextProducerId allocated at an exhausted epoch is recorded.
    func prepared(commit: Bool, clientTransactionVersion: Int16, nextProducerId newNext: Int64, now: Int64) -> TransactionMetadata {
        var next = self
        if clientTransactionVersion >= 2, producerEpoch < Int16.max {
            next.producerEpoch = producerEpoch + 1
            next.lastProducerEpoch = producerEpoch
            next.nextProducerId = newNext
        }
        if state == .empty { next.startTimestamp = now }
        next.state = commit ? .prepareCommit : .prepareAbort
        next.clientTransactionVersion = clientTransactionVersion
        next.lastUpdateTimestamp = now
        return next
    }
}

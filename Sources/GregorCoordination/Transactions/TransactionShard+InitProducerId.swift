import GregorStorage
import KafkaProtocol

/// InitProducerId's answer: the producer id and epoch, or an error with -1 and -1.
public typealias InitProducerIdResult = ProducerEpochResult

/// A producer id and epoch, or an error with -1 and -1 (InitProducerId's and EndTxn's answers).
public struct ProducerEpochResult: Sendable, Hashable {
    public var error: ErrorCode
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(error: ErrorCode = .none, producerId: Int64 = -1, producerEpoch: Int16 = -1) {
        self.error = error
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    public static func failure(_ error: ErrorCode) -> Self { Self(error: error) }
}

extension TransactionShard {
    /// InitProducerId with a transactional id (Kafka's `handleInitProducerId`; a request
    /// without one never reaches a transaction coordinator). `producerIdAndEpoch` is what a
    /// KIP-360 producer sends to recover after an error: the coordinator then bumps that epoch,
    /// answers a retry with the same result, and fences anything older with PRODUCER_FENCED.
    /// Writes an Empty record with the bumped epoch; an Ongoing transaction is first aborted
    /// with a fenced epoch and the producer told CONCURRENT_TRANSACTIONS, so it retries.
    public mutating func initProducerId(
        transactionalId: String, transactionTimeoutMs: Int32, producerIdAndEpoch: (Int64, Int16)?, now: Int64
    ) -> CoordinatorResult<TransactionShard, InitProducerIdResult> {
        guard !transactionalId.isEmpty else { return CoordinatorResult(response: .failure(.invalidRequest)) }
        guard transactionTimeoutMs > 0, transactionTimeoutMs <= config.maxTimeoutMs else {
            return CoordinatorResult(response: .failure(.invalidTransactionTimeout))
        }
        let metadata: TransactionMetadata
        if let existing = transactions[transactionalId] {
            metadata = existing
        } else {
            // Kafka caches this epoch -1 metadata before writing; Gregor keeps it only once
            // its first record is written.
            switch generateProducerId() {
            case .success(let id):
                metadata = TransactionMetadata(
                    transactionalId: transactionalId, producerId: id, producerEpoch: -1, timeoutMs: transactionTimeoutMs,
                    state: .empty, lastUpdateTimestamp: now)
            case .failure(let error):
                return CoordinatorResult(response: .failure(error.code))
            }
        }
        // Markers of a Prepare* transaction are always in flight: Kafka's pending transition.
        if metadata.state.isPrepare { return CoordinatorResult(response: .failure(.concurrentTransactions)) }
        if let (producerId, epoch) = producerIdAndEpoch, !Self.isValidProducerId(producerId, epoch, for: metadata) {
            return CoordinatorResult(response: .failure(.producerFenced))
        }
        switch metadata.state {
        case .empty, .completeCommit, .completeAbort:
            let next: TransactionMetadata
            if metadata.isEpochExhausted, producerIdAndEpoch.map({ $0.1 == metadata.producerEpoch }) ?? true {
                switch generateProducerId() {
                case .success(let id):
                    next = metadata.rotated(to: id, timeoutMs: transactionTimeoutMs, now: now, recordLastEpoch: producerIdAndEpoch != nil)
                case .failure(let error):
                    return CoordinatorResult(response: .failure(error.code))
                }
            } else {
                switch metadata.incrementedEpoch(timeoutMs: transactionTimeoutMs, expectedEpoch: producerIdAndEpoch?.1, now: now) {
                case .success(let bumped): next = bumped
                case .failure(let error): return CoordinatorResult(response: .failure(error.code))
                }
            }
            return CoordinatorResult(
                records: [.metadata(next)],
                response: InitProducerIdResult(producerId: next.producerId, producerEpoch: next.producerEpoch))
        case .ongoing:
            // The fenced epoch is never returned: the producer retries after the abort and gets
            // a second bump, or a new producer id if the fence exhausted the epochs.
            guard metadata.producerEpoch < Int16.max else { return CoordinatorResult(response: .failure(.unknownServerError)) }
            let result = abortWithFence(metadata, now: now)
            return CoordinatorResult(
                records: result.records, response: .failure(result.response == .none ? .concurrentTransactions : result.response),
                events: result.events, timers: result.timers)
        case .prepareCommit, .prepareAbort, .dead, .prepareEpochFence:
            // Dead and PrepareEpochFence are never written; Kafka treats finding them as fatal.
            return CoordinatorResult(response: .failure(.unknownServerError))
        }
    }

    /// Kafka's `isValidProducerId`: the producer may go on if the metadata is brand new (epoch
    /// -1: a producer recovering from UNKNOWN_PRODUCER_ID), if its id is the current one (the
    /// epoch is checked next), or if its id is the previous one at an exhausted epoch (a retry
    /// of the call that rotated the producer id).
    static func isValidProducerId(_ producerId: Int64, _ epoch: Int16, for metadata: TransactionMetadata) -> Bool {
        metadata.producerEpoch == -1 || producerId == metadata.producerId
            || (producerId == metadata.previousProducerId && TransactionMetadata.isEpochExhausted(epoch))
    }

    func generateProducerId() -> Result<Int64, TransactionFailure> {
        do {
            return .success(try newProducerId())
        } catch let error as CoordinatorError {
            return .failure(TransactionFailure(error.errorCode))
        } catch {
            return .failure(TransactionFailure(.unknownServerError))
        }
    }

    /// Kafka's `prepareFenceProducerEpoch` then the coordinator's own abort: the epoch is bumped
    /// so the producer can write nothing more, and the transaction aborted at that epoch. A
    /// failed write leaves the epoch as it was, so the next attempt bumps to the same epoch
    /// (what Kafka's `hasFailedEpochFence` ensures).
    mutating func abortWithFence(_ metadata: TransactionMetadata, now: Int64) -> CoordinatorResult<TransactionShard, ErrorCode> {
        let result = endTransaction(
            transactionalId: metadata.transactionalId, producerId: metadata.producerId, epoch: metadata.producerEpoch + 1,
            commit: false, clientTransactionVersion: config.transactionVersionLevel, fromClient: false, fencing: true, now: now)
        return CoordinatorResult(records: result.records, response: result.response.error, events: result.events, timers: result.timers)
    }

    /// Maps PRODUCER_FENCED to INVALID_PRODUCER_EPOCH for request versions older than
    /// `firstVersionWithProducerFenced` (KIP-588: InitProducerId v4, AddPartitionsToTxn v2,
    /// AddOffsetsToTxn v2, EndTxn v2, TxnOffsetCommit v3), as Kafka's API layer does.
    public static func compatible(_ error: ErrorCode, requestVersion: Int16, firstVersionWithProducerFenced: Int16) -> ErrorCode {
        error == .producerFenced && requestVersion < firstVersionWithProducerFenced ? .invalidProducerEpoch : error
    }
}

extension TransactionMetadata {
    /// Kafka's `prepareIncrementProducerEpoch`: a new producer (no expected epoch) bumps the
    /// epoch and forgets the last one; a KIP-360 producer at the current epoch bumps it and
    /// remembers the old one; a producer at the last epoch is retrying and gets the current
    /// epoch again; any other epoch is fenced.
    func incrementedEpoch(timeoutMs: Int32, expectedEpoch: Int16?, now: Int64) -> Result<TransactionMetadata, TransactionFailure> {
        guard !isEpochExhausted else { return .failure(TransactionFailure(.unknownServerError)) }
        let epochs: (Int16, Int16)
        switch expectedEpoch {
        case nil:
            epochs = (producerEpoch + 1, -1)
        case let expected? where producerEpoch == -1 || expected == producerEpoch:
            epochs = (producerEpoch + 1, producerEpoch)
        case let expected? where expected == lastProducerEpoch:
            epochs = (producerEpoch, lastProducerEpoch)
        default:
            return .failure(TransactionFailure(.producerFenced))
        }
        return .success(reset(producerId: producerId, epoch: epochs.0, lastEpoch: epochs.1, timeoutMs: timeoutMs, now: now))
    }

    /// Kafka's `prepareProducerIdRotation`: the epochs of this producer id are spent.
    func rotated(to newId: Int64, timeoutMs: Int32, now: Int64, recordLastEpoch: Bool) -> TransactionMetadata {
        reset(producerId: newId, epoch: 0, lastEpoch: recordLastEpoch ? producerEpoch : -1, timeoutMs: timeoutMs, now: now)
    }

    /// An Empty transaction for the producer after InitProducerId. Kafka's transition from
    /// InitProducerId runs at transaction version 0 whatever the client's.
    private func reset(producerId newId: Int64, epoch: Int16, lastEpoch: Int16, timeoutMs: Int32, now: Int64) -> TransactionMetadata {
        TransactionMetadata(
            transactionalId: transactionalId, producerId: newId, previousProducerId: producerId, nextProducerId: -1,
            producerEpoch: epoch, lastProducerEpoch: lastEpoch, timeoutMs: timeoutMs, state: .empty, partitions: [],
            startTimestamp: -1, lastUpdateTimestamp: now, clientTransactionVersion: 0)
    }
}

/// An error code a step of an operation ends with.
struct TransactionFailure: Error, Hashable {
    var code: ErrorCode
    init(_ code: ErrorCode) { self.code = code }
}

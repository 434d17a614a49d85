import KafkaProtocol
import NIOCore

/// Why an idempotent or transactional producer's batch, or a transaction marker, was refused
/// (Kafka's `ProducerAppendInfo` checks).
public struct ProducerStateError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// OUT_OF_ORDER_SEQUENCE_NUMBER: a gap or a repeat that is not one of the last batches.
        case outOfOrderSequence
        /// INVALID_PRODUCER_EPOCH: an epoch older than the one the partition has seen (since
        /// Kafka 2.7 this, not PRODUCER_FENCED, answers a produce).
        case invalidProducerEpoch
        /// INVALID_TXN_STATE: a non-transactional batch from a producer with an open transaction.
        case invalidTxnState
        /// TRANSACTION_COORDINATOR_FENCED: a marker from an older coordinator epoch.
        case coordinatorFenced
    }

    public var kind: Kind
    public var message: String

    public var errorCode: ErrorCode {
        switch kind {
        case .outOfOrderSequence: .outOfOrderSequenceNumber
        case .invalidProducerEpoch: .invalidProducerEpoch
        case .invalidTxnState: .invalidTxnState
        case .coordinatorFenced: .transactionCoordinatorFenced
        }
    }

    public var description: String { message }
}

/// What a partition remembers of one producer (Kafka's `ProducerStateEntry`): its epoch, its
/// last five batches (to answer a retried batch with the offsets it was first written at), and
/// the first offset of its open transaction.
struct ProducerStateEntry: Hashable, Sendable {
    /// Kafka's `ProducerStateEntry.NUM_BATCHES_TO_RETAIN`: a producer has at most five requests
    /// in flight with idempotence (`max.in.flight.requests.per.connection` <= 5).
    static let batchesToRetain = 5

    struct Batch: Hashable, Sendable {
        var firstSequence: Int32
        var lastSequence: Int32
        var firstOffset: Int64
        var lastOffset: Int64
        var maxTimestamp: Int64
    }

    var epoch: Int16
    /// Oldest first.
    var batches: [Batch] = []
    var lastTimestamp: Int64
    /// The epoch of the coordinator that wrote this producer's last marker.
    var coordinatorEpoch: Int32 = -1
    /// Where the producer's open transaction began in this partition.
    var currentTxnFirstOffset: Int64?

    var lastSequence: Int32? { batches.last?.lastSequence }

    /// `findDuplicateBatch`: the batch of the same epoch with the same sequence range.
    func duplicate(epoch: Int16, firstSequence: Int32, lastSequence: Int32) -> Batch? {
        guard epoch == self.epoch else { return nil }
        return batches.first { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }
    }

    /// `maybeUpdateProducerEpoch`: a new epoch forgets the old epoch's batches.
    mutating func update(epoch: Int16) {
        guard epoch != self.epoch else { return }
        self.epoch = epoch
        batches = []
    }
}

/// A transaction finished by a marker in this partition (Kafka's `CompletedTxn`).
struct CompletedTransaction: Hashable, Sendable {
    var producerId: Int64
    var firstOffset: Int64
    var markerOffset: Int64
    var aborted: Bool
}

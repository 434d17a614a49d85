import KafkaProtocol
import NIOCore

/// Why an idempotent producer's batch was refused (Kafka's `ProducerAppendInfo` checks).
public struct ProducerStateError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// OUT_OF_ORDER_SEQUENCE_NUMBER: a gap or a repeat that is not one of the last batches.
        case outOfOrderSequence
        /// INVALID_PRODUCER_EPOCH: an epoch older than the one the partition has seen (since
        /// Kafka 2.7 this, not PRODUCER_FENCED, answers a produce).
        case invalidProducerEpoch
    }

    public var kind: Kind
    public var message: String

    public var errorCode: ErrorCode {
        switch kind {
        case .outOfOrderSequence: .outOfOrderSequenceNumber
        case .invalidProducerEpoch: .invalidProducerEpoch
        }
    }

    public var description: String { message }
}

/// What a partition remembers of one producer (Kafka's `ProducerStateEntry`): its epoch and
/// its last five batches, to answer a retried batch with the offsets it was first written at.
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

    var lastSequence: Int32? { batches.last?.lastSequence }

    /// `findDuplicateBatch`: the batch of the same epoch with the same sequence range.
    func duplicate(epoch: Int16, firstSequence: Int32, lastSequence: Int32) -> Batch? {
        guard epoch == self.epoch else { return nil }
        return batches.first { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }
    }
}

/// One partition's idempotent producers (Kafka's `ProducerStateManager`), checked on every
/// client append (KIP-98). Kept in memory: after a restart a partition knows no producer and
/// accepts any sequence, as Kafka does for a producer whose state is gone (KIP-360); the
/// `.snapshot` files that carry it over a restart are not written yet.
struct ProducerStates: Sendable {
    var entries: [Int64: ProducerStateEntry] = [:]

    /// One producer batch of an append, with the offsets it will get.
    struct Incoming {
        var producerId: Int64
        var epoch: Int16
        var firstSequence: Int32
        var lastSequence: Int32
        var firstOffset: Int64
        var lastOffset: Int64
        var maxTimestamp: Int64
    }

    /// What an append does to producer state.
    enum Outcome {
        /// The first batch was written before: answer with its offsets and append nothing.
        case duplicate(ProducerStateEntry.Batch)
        /// Append, then store these entries.
        case append([Int64: ProducerStateEntry])
    }

    /// Checks the append's producer batches in order, as `UnifiedLog.analyzeAndValidateProducerState`
    /// and `ProducerAppendInfo` do, without changing anything.
    func check(_ batches: [Incoming], partition: TopicPartition) throws(ProducerStateError) -> Outcome {
        var updated: [Int64: ProducerStateEntry] = [:]
        for batch in batches {
            let current = updated[batch.producerId] ?? entries[batch.producerId]
            if updated[batch.producerId] == nil,
                let duplicate = current?.duplicate(epoch: batch.epoch, firstSequence: batch.firstSequence, lastSequence: batch.lastSequence)
            {
                return .duplicate(duplicate)
            }
            var entry = current ?? ProducerStateEntry(epoch: -1, lastTimestamp: batch.maxTimestamp)
            if batch.epoch < entry.epoch {
                throw ProducerStateError(kind: .invalidProducerEpoch, message:
                    "Epoch of producer \(batch.producerId) at offset \(batch.firstOffset) in \(partition) is \(batch.epoch), "
                    + "which is smaller than the last seen epoch \(entry.epoch)")
            }
            if batch.epoch != entry.epoch {
                // A new epoch starts at sequence 0, unless the partition knew no epoch at all.
                if batch.firstSequence != 0 && entry.epoch != -1 {
                    throw ProducerStateError(kind: .outOfOrderSequence, message:
                        "Invalid sequence number for new epoch of producer \(batch.producerId) at offset \(batch.firstOffset) in "
                        + "partition \(partition): \(batch.epoch) (request epoch), \(batch.firstSequence) (seq. number), "
                        + "\(entry.epoch) (current producer epoch)")
                }
                entry.epoch = batch.epoch
                entry.batches = []
            } else if entry.epoch != -1, let last = entry.lastSequence, !Self.inSequence(last, batch.firstSequence) {
                throw ProducerStateError(kind: .outOfOrderSequence, message:
                    "Out of order sequence number for producer \(batch.producerId) at offset \(batch.firstOffset) in partition "
                    + "\(partition): \(batch.firstSequence) (incoming seq. number), \(last) (current end sequence number)")
            }
            entry.batches.append(.init(
                firstSequence: batch.firstSequence, lastSequence: batch.lastSequence, firstOffset: batch.firstOffset,
                lastOffset: batch.lastOffset, maxTimestamp: batch.maxTimestamp))
            if entry.batches.count > ProducerStateEntry.batchesToRetain { entry.batches.removeFirst() }
            entry.lastTimestamp = batch.maxTimestamp
            updated[batch.producerId] = entry
        }
        return .append(updated)
    }

    /// `ProducerStateManager.inSequence`: the next sequence, wrapping from Int32.max to 0.
    static func inSequence(_ last: Int32, _ next: Int32) -> Bool {
        next == (last == Int32.max ? 0 : last + 1)
    }

    /// The producer batches of `records` (v2 batches with a producer id), with the offsets they
    /// get when appended at `logEndOffset`.
    static func incoming(_ records: ByteBuffer, logEndOffset: Int64, maxBatchSize: Int) -> [Incoming] {
        var out: [Incoming] = []
        var next = logEndOffset
        var reader = RecordBatchReader(records, maxBatchSize: maxBatchSize)
        while let batch = try? reader.next() {
            defer { next += Int64(batch.lastOffsetDelta) + 1 }
            guard batch.producerId >= 0, !batch.isControl else { continue }
            out.append(Incoming(
                producerId: batch.producerId, epoch: batch.producerEpoch, firstSequence: batch.baseSequence,
                lastSequence: batch.lastSequence, firstOffset: next, lastOffset: next + Int64(batch.lastOffsetDelta),
                maxTimestamp: batch.maxTimestamp))
        }
        return out
    }
}

import KafkaProtocol
import NIOCore

/// What recovery needs of a stored batch to rebuild producer state.
enum StoredProducerBatch {
    case data(ProducerStates.Incoming)
    case marker(producerId: Int64, epoch: Int16, marker: EndTransactionMarker, offset: Int64, timestamp: Int64)
}

extension Segment {
    /// Bytes read per step when replaying producer state.
    static let producerReplayChunk = 1 << 20

    /// The producer batches and transaction markers from `offset` on, in log order, read in
    /// large chunks (a segment of small batches is not read one header at a time).
    func producerBatches(from offset: Int64, _ body: (StoredProducerBatch) throws(StorageError) -> Void) throws(StorageError) {
        guard let (start, _) = try locate(offset) else { return }
        let file = try log.open()
        var position = start
        var want = Self.producerReplayChunk
        while position < size {
            let bytes = try file.read(at: position, length: Int(min(Int64(want), size - position)))
            var reader = RecordBatchReader(bytes, allowPartialTrailingBatch: true)
            var consumed = 0
            while let batch = try? reader.next() {
                consumed += batch.sizeInBytes
                guard batch.lastOffset >= offset, let stored = Self.producerBatch(batch) else { continue }
                try body(stored)
            }
            if consumed == 0 {
                // A batch larger than the chunk: read it whole next time, else stop at a torn tail.
                guard let length = bytes.getInteger(at: bytes.readerIndex + RecordBatch.Offset.batchLength, as: Int32.self),
                    length > 0, Int(length) + RecordBatch.logOverhead > want,
                    position + Int64(length) + Int64(RecordBatch.logOverhead) <= size
                else { return }
                want = Int(length) + RecordBatch.logOverhead
                continue
            }
            position += Int64(consumed)
            want = Self.producerReplayChunk
        }
    }

    static func producerBatch(_ batch: RecordBatch) -> StoredProducerBatch? {
        guard batch.producerId >= 0 else { return nil }
        if batch.isControl {
            guard var records = try? batch.makeRecordIterator(), let record = try? records.next(),
                let marker = try? EndTransactionMarker(record: record)
            else { return nil }
            return .marker(producerId: batch.producerId, epoch: batch.producerEpoch, marker: marker, offset: batch.baseOffset,
                           timestamp: batch.maxTimestamp)
        }
        return ProducerStates.Incoming(batch, baseOffset: batch.baseOffset).map { .data($0) }
    }
}

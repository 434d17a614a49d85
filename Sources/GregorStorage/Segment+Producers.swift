import KafkaProtocol
import NIOCore

/// What recovery needs of a stored batch to rebuild producer state.
enum StoredProducerBatch {
    case data(ProducerStates.Incoming)
    case marker(producerId: Int64, epoch: Int16, marker: EndTransactionMarker, offset: Int64, timestamp: Int64)
}

extension Segment {
    /// The producer batches and transaction markers from `offset` on, in log order, read from
    /// the batch headers (and the records of control batches only).
    func producerBatches(from offset: Int64, _ body: (StoredProducerBatch) throws(StorageError) -> Void) throws(StorageError) {
        guard let (start, _) = try locate(offset) else { return }
        let file = try log.open()
        var position = start
        while let h = try BatchHeader.read(file, at: position, fileSize: size), position + h.size <= size {
            defer { position += h.size }
            guard h.lastOffset >= offset, h.magic == RecordBatch.magic else { continue }
            let header = try file.read(at: position, length: RecordBatch.headerSize)
            func field<T: FixedWidthInteger>(_ at: Int, _: T.Type = T.self) -> T { header.getInteger(at: header.readerIndex + at)! }
            let producerId: Int64 = field(RecordBatch.Offset.producerId)
            guard producerId >= 0 else { continue }
            let attributes: Int16 = field(RecordBatch.Offset.attributes)
            let epoch: Int16 = field(RecordBatch.Offset.producerEpoch)
            if attributes & RecordBatch.Attribute.control != 0 {
                let bytes = try file.read(at: position, length: Int(h.size))
                guard let batch = try? RecordBatch(bytes), var records = try? batch.makeRecordIterator(),
                    let record = try? records.next(), let marker = try? EndTransactionMarker(record: record)
                else { continue }
                try body(.marker(producerId: producerId, epoch: epoch, marker: marker, offset: h.baseOffset, timestamp: h.maxTimestamp))
                continue
            }
            let baseSequence: Int32 = field(RecordBatch.Offset.baseSequence)
            // Sequences wrap at Int32.max, as RecordBatch.lastSequence.
            let sum = Int64(baseSequence) + (h.lastOffset - h.baseOffset)
            let lastSequence = Int32(truncatingIfNeeded: sum > Int64(Int32.max) ? sum - Int64(Int32.max) - 1 : sum)
            try body(.data(.init(
                producerId: producerId, epoch: epoch, isTransactional: attributes & RecordBatch.Attribute.transactional != 0,
                batch: .init(firstSequence: baseSequence, lastSequence: lastSequence, firstOffset: h.baseOffset,
                             lastOffset: h.lastOffset, maxTimestamp: h.maxTimestamp))))
        }
    }
}

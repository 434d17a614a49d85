import KafkaProtocol
import NIOCore

/// Up-conversion of magic 0/1 message sets (Produce v0-2, and clients that still send them)
/// into v2 batches, as Kafka's LogValidator does before appending: the log only holds v2.
enum MessageSetConversion {
    /// One v2 batch holding every record of the message set, compressed with the codec of the
    /// first compressed wrapper (Kafka keeps the producer's codec); CRCs are checked first.
    static func upConvert(_ records: ByteBuffer) throws(RecordsError) -> ByteBuffer {
        var reader = RecordBatchReader(records)
        var inner: [LegacyRecord] = []
        var codec: CompressionCodec = .none
        while let entry = try reader.nextEntry() {
            guard case .legacy(let message) = entry else { throw .invalidRecord("a v2 batch inside a legacy message set") }
            try message.validate()
            if message.compression != .none && codec == .none { codec = message.compression }
            inner += try message.deepRecords()
        }
        guard !inner.isEmpty else { throw .invalidRecord("empty message set") }
        var builder = RecordBatchBuilder(compression: codec)
        for r in inner {
            builder.append(timestamp: r.timestamp, key: r.key, value: r.value)
        }
        return try builder.build()
    }
}

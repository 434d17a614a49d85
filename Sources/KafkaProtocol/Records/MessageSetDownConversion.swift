import NIOCore

/// Why stored records could not be down-converted to a legacy message set.
public enum DownConversionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The first batch that would produce output is compressed with a codec legacy messages
    /// cannot carry (zstd, KIP-110): answer the partition with UNSUPPORTED_COMPRESSION_TYPE, as
    /// Kafka's `KafkaApis` does on `UnsupportedCompressionTypeException`.
    case unsupportedCompression(CompressionCodec, baseOffset: Int64)
    /// The stored records could not be read or re-encoded.
    case records(RecordsError)

    public var description: String {
        switch self {
        case let .unsupportedCompression(codec, baseOffset):
            return "\(codec) batch at offset \(baseOffset) cannot be down-converted to a legacy message set"
        case let .records(error): return "down-conversion failed: \(error)"
        }
    }
}

/// The legacy message set made from stored batches, and what the conversion left out.
public struct DownConvertedRecords: Hashable, Sendable {
    /// Magic 0 or 1 messages; may end in a partial message when `maxBytes` cut it.
    public var records: ByteBuffer
    /// Records written as legacy messages (inner messages count one each).
    public var convertedRecordCount: Int
    /// Whether anything was left out: control batches, empty batches, record headers, records
    /// below `firstOffset` in uncompressed batches, a partial trailing batch, or what followed
    /// a stop.
    public var droppedRecords: Bool
    /// The base offset of a zstd batch at which conversion stopped after earlier output; the
    /// consumer's next fetch starts there and gets `unsupportedCompression`.
    public var stoppedAtUnconvertibleOffset: Int64?
}

/// Down-conversion of stored batches to the legacy message format for Fetch v0-3 (magic 0 for
/// v0-1, magic 1 for v2-3), as Kafka's `RecordsUtil.downConvert` and
/// `LazyDownConversionRecords(Send)` do (clients/src/main/java/org/apache/kafka/common/record/,
/// Kafka 3.9; removed in 4.0 with those fetch versions).
public enum MessageSetDownConversion {
    /// Converts the entries of `records` (a fetch's slice of the log) to magic `toMagic`.
    ///
    /// - Control batches and batches with no records are dropped; record headers are dropped.
    /// - Uncompressed batches become one message per record at its absolute offset, skipping
    ///   records below `firstOffset` (the fetch offset; some librdkafka versions rely on it).
    /// - Compressed batches keep every record and become one wrapper message with the same codec
    ///   (inner offsets relative for magic 1, absolute for magic 0; lz4 framed as magic-0
    ///   consumers expect, KAFKA-3160). zstd cannot be converted: thrown when nothing was
    ///   converted before it, otherwise conversion stops there.
    /// - Magic 1 keeps each timestamp and the batch's timestamp type; LogAppendTime messages
    ///   take the batch's `maxTimestamp`. Legacy entries at or below `toMagic` are copied.
    /// - A partial trailing batch is ignored.
    ///
    /// - Parameters:
    ///   - firstOffset: the fetch offset.
    ///   - maxBytes: when set, conversion stops once the output reaches it and the output is cut
    ///     to `max(maxBytes, size of the first converted batch)`, as Kafka's send does, so the
    ///     consumer always gets one whole batch. Pass the size of the unconverted records to
    ///     answer as Kafka does; nil converts everything.
    public static func downConvert(
        _ records: ByteBuffer,
        toMagic: Int8,
        firstOffset: Int64,
        maxBytes: Int? = nil,
        decompressionLimit: Int = Compression.defaultDecompressionLimit,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(DownConversionError) -> DownConvertedRecords {
        guard toMagic == 0 || toMagic == 1 else { throw .records(.unsupportedMagic(toMagic)) }
        var output = allocator.buffer(capacity: records.readableBytes + records.readableBytes / 4)
        var converted = 0
        var dropped = false
        var stoppedAt: Int64?
        var limit: Int?
        var reader = RecordBatchReader(records, allowPartialTrailingBatch: true)
        do {
            while let entry = try reader.nextEntry() {
                if let limit, output.readableBytes >= limit {
                    dropped = true
                    break
                }
                let before = output.readableBytes
                switch entry {
                case .batch(let batch):
                    if batch.isControl {
                        dropped = true
                        continue
                    }
                    if batch.compression == .zstd {
                        if output.readableBytes == 0 {
                            throw DownConversionError.unsupportedCompression(.zstd, baseOffset: batch.baseOffset)
                        }
                        stoppedAt = batch.baseOffset
                        dropped = true
                        break
                    }
                    let result = try convert(
                        batch, toMagic: toMagic, firstOffset: firstOffset, into: &output,
                        decompressionLimit: decompressionLimit, allocator: allocator)
                    converted += result.converted
                    dropped = dropped || result.dropped
                case .legacy(let message):
                    if message.magic <= toMagic {
                        output.writeImmutableBuffer(message.entry)
                        converted += 1
                    } else {
                        let result = try convert(
                            message, toMagic: toMagic, firstOffset: firstOffset, into: &output,
                            decompressionLimit: decompressionLimit, allocator: allocator)
                        converted += result.converted
                        dropped = dropped || result.dropped
                    }
                }
                if stoppedAt != nil { break }
                if limit == nil, let maxBytes, output.readableBytes > before {
                    limit = max(maxBytes, output.readableBytes)
                }
            }
        } catch let error as DownConversionError {
            throw error
        } catch let error as RecordsError {
            throw .records(error)
        } catch {
            throw .records(.invalidRecord("\(error)"))
        }
        if reader.remainingBytes > 0 { dropped = true }
        if let limit, output.readableBytes > limit {
            output.moveWriterIndex(to: output.readerIndex + limit)
        }
        return DownConvertedRecords(
            records: output, convertedRecordCount: converted, droppedRecords: dropped,
            stoppedAtUnconvertibleOffset: stoppedAt)
    }

    /// One record to re-encode as a legacy message.
    private struct Message {
        var offset: Int64
        var timestamp: Int64
        var key: ByteBuffer?
        var value: ByteBuffer?
    }

    private static func convert(
        _ batch: RecordBatch, toMagic: Int8, firstOffset: Int64, into output: inout ByteBuffer,
        decompressionLimit: Int, allocator: ByteBufferAllocator
    ) throws(RecordsError) -> (converted: Int, dropped: Bool) {
        var iterator = try batch.makeRecordIterator(decompressionLimit: decompressionLimit, allocator: allocator)
        var messages: [Message] = []
        messages.reserveCapacity(iterator.remainingCount)
        var dropped = false
        while let record = try iterator.next() {
            if !record.headers.isEmpty { dropped = true }
            messages.append(Message(offset: record.offset, timestamp: record.timestamp, key: record.key, value: record.value))
        }
        let logAppendTime = batch.timestampType == .logAppendTime ? batch.maxTimestamp : nil
        let result = try write(
            messages, codec: batch.compression, logAppendTime: logAppendTime, toMagic: toMagic,
            firstOffset: firstOffset, into: &output, allocator: allocator)
        return (result.converted, dropped || result.dropped)
    }

    /// A magic 1 message (or wrapper) converted to magic 0.
    private static func convert(
        _ message: LegacyRecord, toMagic: Int8, firstOffset: Int64, into output: inout ByteBuffer,
        decompressionLimit: Int, allocator: ByteBufferAllocator
    ) throws(RecordsError) -> (converted: Int, dropped: Bool) {
        let inner = try message.deepRecords(verifyCRC: false, decompressionLimit: decompressionLimit, allocator: allocator)
        let messages = inner.map { Message(offset: $0.offset, timestamp: $0.timestamp, key: $0.key, value: $0.value) }
        let logAppendTime = message.timestampType == .logAppendTime ? message.timestamp : nil
        return try write(
            messages, codec: message.compression, logAppendTime: logAppendTime, toMagic: toMagic,
            firstOffset: firstOffset, into: &output, allocator: allocator)
    }

    /// Kafka's `RecordsUtil.convertRecordBatch`: only uncompressed batches skip records below
    /// `firstOffset` (legacy uncompressed messages are batches of one); compressed ones keep all.
    private static func write(
        _ messages: [Message], codec: CompressionCodec, logAppendTime: Int64?, toMagic: Int8,
        firstOffset: Int64, into output: inout ByteBuffer, allocator: ByteBufferAllocator
    ) throws(RecordsError) -> (converted: Int, dropped: Bool) {
        let kept = codec == .none ? messages.filter { $0.offset >= firstOffset } : messages
        guard !kept.isEmpty else { return (0, true) }
        var builder = try LegacyMessageSetBuilder(
            magic: toMagic, compression: codec, logAppendTime: logAppendTime, allocator: allocator)
        var previous: Int64?
        for message in kept {
            // The builder traps on offsets that do not increase; stored data must not crash us.
            if let previous, message.offset <= previous {
                throw .invalidRecord("offset \(message.offset) does not follow \(previous)")
            }
            previous = message.offset
            builder.append(offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value)
        }
        output.writeImmutableBuffer(try builder.build())
        return (kept.count, kept.count < messages.count)
    }
}

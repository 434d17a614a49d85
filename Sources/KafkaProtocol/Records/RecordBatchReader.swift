import NIOCore

/// One entry of a records field: a v2 batch or a legacy message (possibly a compressed wrapper).
public enum LogEntry: Hashable, Sendable {
    case batch(RecordBatch)
    case legacy(LegacyRecord)

    /// The magic byte of the entry.
    public var magic: Int8 {
        switch self {
        case .batch: return RecordBatch.magic
        case .legacy(let record): return record.magic
        }
    }

    /// The entry's bytes as stored.
    public var buffer: ByteBuffer {
        switch self {
        case .batch(let batch): return batch.buffer
        case .legacy(let record): return record.entry
        }
    }
}

/// Walks the consecutive batches of a records field (a produce request's `Records`, a log
/// segment, a fetch response) without copying: each batch is a slice of the input.
///
/// Every entry starts with offset int64, size int32, and, at byte 16, the magic byte, whatever
/// its format, which is how Kafka's `ByteBufferLogInputStream` tells them apart. Sizes are
/// checked before use: below the minimum, above `maxBatchSize`, or past the input, the reader
/// throws (and stays failed) rather than trusting them.
public struct RecordBatchReader: Sendable {
    private var buffer: ByteBuffer
    /// The largest entry accepted, in bytes including offset and size.
    public let maxBatchSize: Int
    /// Stop quietly at an incomplete entry at the end, as consumers do with fetch responses
    /// (whose last batch the broker may cut short), instead of throwing `truncated`.
    public let allowPartialTrailingBatch: Bool
    /// The absolute index, in the buffer given to `init`, of the entry last returned; use it
    /// with `RecordBatch.setBaseOffset(_:in:batchAt:)` to patch the original buffer.
    public private(set) var lastEntryIndex: Int

    public init(_ buffer: ByteBuffer, maxBatchSize: Int = Int.max, allowPartialTrailingBatch: Bool = false) {
        self.buffer = buffer
        self.maxBatchSize = maxBatchSize
        self.allowPartialTrailingBatch = allowPartialTrailingBatch
        self.lastEntryIndex = buffer.readerIndex
    }

    /// Bytes not yet returned (a partial trailing entry, once the reader has stopped).
    public var remainingBytes: Int { buffer.readableBytes }

    /// The next v2 batch, or nil at the end; throws `unsupportedMagic` at a legacy entry.
    public mutating func next() throws(RecordsError) -> RecordBatch? {
        guard let entry = try nextEntry() else { return nil }
        guard case .batch(let batch) = entry else { throw .unsupportedMagic(entry.magic) }
        return batch
    }

    /// The next entry of either format, or nil at the end.
    public mutating func nextEntry() throws(RecordsError) -> LogEntry? {
        let available = buffer.readableBytes
        if available == 0 { return nil }
        let start = buffer.readerIndex
        guard available >= RecordBatch.logOverhead else { return try partial(needed: RecordBatch.logOverhead) }
        let length = Int(buffer.getInteger(at: start + RecordBatch.Offset.batchLength, as: Int32.self)!)
        guard length >= LegacyRecord.minimumSize(magic: 0) else { throw fail(.invalidBatchSize(length)) }
        let size = length + RecordBatch.logOverhead
        guard size <= maxBatchSize else { throw fail(.batchTooLarge(size: size, limit: maxBatchSize)) }
        guard available > RecordBatch.Offset.magic else { return try partial(needed: size) }
        let magic = buffer.getInteger(at: start + RecordBatch.Offset.magic, as: Int8.self)!
        guard magic >= 0 && magic <= RecordBatch.magic else { throw fail(.unsupportedMagic(magic)) }
        guard available >= size else { return try partial(needed: size) }
        let entry: LogEntry
        do {
            entry = magic == RecordBatch.magic ? .batch(try RecordBatch(buffer)) : .legacy(try LegacyRecord(buffer))
        } catch {
            throw fail(error)
        }
        lastEntryIndex = start
        buffer.moveReaderIndex(forwardBy: size)
        return entry
    }

    /// All remaining entries.
    public mutating func readAll() throws(RecordsError) -> [LogEntry] {
        var entries: [LogEntry] = []
        while let entry = try nextEntry() { entries.append(entry) }
        return entries
    }

    private mutating func partial(needed: Int) throws(RecordsError) -> LogEntry? {
        if allowPartialTrailingBatch { return nil }
        throw fail(.truncated(needed: needed, available: buffer.readableBytes))
    }

    /// Leaves the reader at its end so a caller that keeps going cannot loop on bad input.
    private mutating func fail(_ error: RecordsError) -> RecordsError {
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return error
    }
}

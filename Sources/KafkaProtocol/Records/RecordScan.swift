import NIOCore

/// What validating a record needs of it, read from its framing without slicing its key, value
/// and headers out of the batch. Appends check every record, as Kafka's `LogValidator` does;
/// at 100-byte records, building each `Record` (slices that retain the buffer, a headers
/// array) cost more than the rest of the append (issue 13).
public struct RecordSummary: Sendable {
    public var offset: Int64
    /// The record's timestamp, or the batch's append time under LogAppendTime.
    public var timestamp: Int64
    /// The key's size, -1 for a null key.
    public var keyLength: Int
    /// The value's size, -1 for a null value.
    public var valueLength: Int

    @usableFromInline
    init(offset: Int64, timestamp: Int64, keyLength: Int, valueLength: Int) {
        self.offset = offset
        self.timestamp = timestamp
        self.keyLength = keyLength
        self.valueLength = valueLength
    }
}

extension RecordBatch {
    /// Calls `visit` with each record's summary, in order. Accepts and refuses exactly what
    /// `makeRecordIterator` and its iterator do: a count the bytes cannot hold, a malformed
    /// record, bytes left after the last record. Inlinable, so that `visit` is inlined into the
    /// loop of the caller's module.
    @inlinable
    public func scanRecords(
        decompressionLimit: Int = Compression.defaultDecompressionLimit, allocator: ByteBufferAllocator = ByteBufferAllocator(),
        _ visit: (RecordSummary) -> Void
    ) throws(RecordsError) {
        let count = recordCount
        let body = try recordsBody(decompressionLimit: decompressionLimit, allocator: allocator)
        let logAppendTime = timestampType == .logAppendTime ? maxTimestamp : nil
        let baseOffset = self.baseOffset, baseTimestamp = self.baseTimestamp
        let failure = body.withUnsafeReadableBytes { raw -> RecordsError? in
            var r = RawRecordReader(raw)
            do throws(RecordsError) {
                for _ in 0..<count {
                    let (offsetDelta, timestampDelta, key, value) = try r.record()
                    visit(RecordSummary(
                        offset: baseOffset &+ Int64(offsetDelta), timestamp: logAppendTime ?? (baseTimestamp &+ timestampDelta),
                        keyLength: key, valueLength: value))
                }
            } catch {
                return error
            }
            // As the iterator: checked after the last record, so an empty batch's body is not.
            guard count == 0 || r.index == raw.count else {
                return .invalidRecord("incorrect declared batch size, \(raw.count - r.index) bytes remain after the last record")
            }
            return nil
        }
        if let failure { throw failure }
    }
}

/// The record framing of `RecordIterator.readRecord` over raw bytes, with its checks and errors.
@usableFromInline
struct RawRecordReader {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var index = 0

    @inlinable
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// One record: its offset and timestamp deltas and its key and value sizes (-1: null).
    @inlinable @inline(__always)
    mutating func record() throws(RecordsError) -> (Int32, Int64, Int, Int) {
        let length = Int(try int32("Record.length", limit: bytes.count))
        guard length >= RecordIterator.minimumRecordSize - 1, length <= bytes.count - index else {
            throw .invalidRecord("record length \(length) with \(bytes.count - index) bytes left")
        }
        let end = index + length
        index += 1  // attributes: unused by Kafka so far
        let timestampDelta = try int64("Record.timestampDelta", limit: end)
        let offsetDelta = try int32("Record.offsetDelta", limit: end)
        let key = try nullableBytes("Record.key", limit: end)
        let value = try nullableBytes("Record.value", limit: end)
        let headerCount = Int(try int32("Record.headers", limit: end))
        // Each header takes at least two bytes (two length varints).
        guard headerCount >= 0, headerCount <= (end - index) / 2 else { throw .invalidRecord("invalid header count \(headerCount)") }
        for _ in 0..<headerCount {
            let keyLength = Int(try int32("Record.headers.key", limit: end))
            guard keyLength >= 0, keyLength <= end - index else { throw .invalidRecord("invalid header key length \(keyLength)") }
            index += keyLength
            _ = try nullableBytes("Record.headers.value", limit: end)
        }
        guard index == end else { throw .invalidRecord("record length \(length) leaves \(end - index) bytes unread") }
        return (offsetDelta, timestampDelta, key, value)
    }

    /// A varint length then that many bytes, skipped; any negative length is null, as in Kafka.
    @inlinable @inline(__always)
    mutating func nullableBytes(_ field: StaticString, limit: Int) throws(RecordsError) -> Int {
        let length = Int(try int32(field, limit: limit))
        if length < 0 { return -1 }
        guard length <= limit - index else { throw .invalidRecord("\(field) length \(length) with \(limit - index) bytes left") }
        index += length
        return length
    }

    @inlinable @inline(__always)
    mutating func int32(_ field: StaticString, limit: Int) throws(RecordsError) -> Int32 {
        let raw = try varint(maxBytes: 5, field, limit: limit)
        guard raw <= UInt64(UInt32.max) else { throw .decoding(KafkaDecodingError(.invalidVarint, field: field)) }
        let u = UInt32(truncatingIfNeeded: raw)
        return Int32(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    @inlinable @inline(__always)
    mutating func int64(_ field: StaticString, limit: Int) throws(RecordsError) -> Int64 {
        let u = try varint(maxBytes: 10, field, limit: limit)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// One- and two-byte varints inline: at 100-byte records every field but the record's
    /// length (two bytes) fits in one, and the profile showed the outlined call per field as
    /// the validator's largest cost (issue 13).
    @inlinable @inline(__always)
    mutating func varint(maxBytes: Int, _ field: StaticString, limit: Int) throws(RecordsError) -> UInt64 {
        if index < limit {
            let b0 = bytes[index]
            if b0 < 0x80 {
                index += 1
                return UInt64(b0)
            }
            if index + 1 < limit {
                let b1 = bytes[index + 1]
                if b1 < 0x80 {
                    index += 2
                    return UInt64(b0 & 0x7F) | UInt64(b1) << 7
                }
            }
        }
        return try longVarint(maxBytes: maxBytes, field, limit: limit)
    }

    @inlinable @inline(never)
    mutating func longVarint(maxBytes: Int, _ field: StaticString, limit: Int) throws(RecordsError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            guard index < limit else { throw .decoding(KafkaDecodingError(.truncated, field: field)) }
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw .decoding(KafkaDecodingError(.invalidVarint, field: field))
    }
}

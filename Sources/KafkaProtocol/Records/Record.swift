import NIOCore

/// One header of a v2 record (KIP-82): a string key and a nullable value.
public struct RecordHeader: Hashable, Sendable {
    public var key: String
    public var value: ByteBuffer?

    public init(key: String, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}

/// One record of a v2 batch, with its offset and timestamp made absolute:
///
///     length varint, attributes int8, timestampDelta varlong, offsetDelta varint,
///     keyLength varint (-1 null), key, valueLength varint (-1 null), value,
///     headerCount varint, [keyLength varint, key, valueLength varint (-1 null), value]...
///
/// `key`, `value` and header values are slices of the batch (or of its decompressed body),
/// not copies.
public struct Record: Hashable, Sendable {
    public var offset: Int64
    /// The record's timestamp, or the batch's append time under LogAppendTime.
    public var timestamp: Int64
    /// The producer sequence number, or -1 when the batch has none.
    public var sequence: Int32
    /// Unused by Kafka so far; kept as sent.
    public var attributes: Int8
    public var offsetDelta: Int32
    public var timestampDelta: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    /// The encoded size, including the length varint.
    public var sizeInBytes: Int

    public init(
        offset: Int64, timestamp: Int64, sequence: Int32 = -1, attributes: Int8 = 0,
        offsetDelta: Int32, timestampDelta: Int64, key: ByteBuffer?, value: ByteBuffer?,
        headers: [RecordHeader] = [], sizeInBytes: Int
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.sequence = sequence
        self.attributes = attributes
        self.offsetDelta = offsetDelta
        self.timestampDelta = timestampDelta
        self.key = key
        self.value = value
        self.headers = headers
        self.sizeInBytes = sizeInBytes
    }
}

extension RecordBatch {
    /// An iterator over the batch's records, decompressing the records section first when the
    /// batch is compressed (at most `decompressionLimit` bytes).
    public func makeRecordIterator(
        decompressionLimit: Int = Compression.defaultDecompressionLimit,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(RecordsError) -> RecordIterator {
        RecordIterator(
            body: try recordsBody(decompressionLimit: decompressionLimit, allocator: allocator), count: recordCount,
            baseOffset: baseOffset, baseTimestamp: baseTimestamp,
            logAppendTime: timestampType == .logAppendTime ? maxTimestamp : nil, baseSequence: baseSequence)
    }

    /// The records section, decompressed when the batch is, once its record count is checked
    /// against it: what both `makeRecordIterator` and `scanRecords` read.
    @usableFromInline
    func recordsBody(decompressionLimit: Int, allocator: ByteBufferAllocator) throws(RecordsError) -> ByteBuffer {
        let count = recordCount
        guard count >= 0 else { throw .invalidRecordCount(count) }
        var body = recordsSection
        // Like Kafka, an empty batch is not decompressed (its body may be anything).
        if count > 0 && compression != .none {
            body = try Compression.decompress(body, codec: compression, limit: decompressionLimit, allocator: allocator)
        }
        // Every record takes at least 7 bytes, so a larger count is a lie; checking here keeps
        // callers from reserving capacity for it.
        guard Int(count) <= body.readableBytes / RecordIterator.minimumRecordSize || count == 0 else {
            throw .invalidRecordCount(count)
        }
        return body
    }

    /// All records of the batch.
    public func records(
        decompressionLimit: Int = Compression.defaultDecompressionLimit,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(RecordsError) -> [Record] {
        var iterator = try makeRecordIterator(decompressionLimit: decompressionLimit, allocator: allocator)
        var records: [Record] = []
        records.reserveCapacity(Int(recordCount))
        while let record = try iterator.next() { records.append(record) }
        return records
    }
}

/// Reads the records of one batch in order. Like Kafka's iterator it fails when the records do
/// not fill the section exactly: bytes left after `recordCount` records, or too few bytes.
public struct RecordIterator: Sendable {
    /// attributes(1) + timestampDelta(1) + offsetDelta(1) + key(1) + value(1) + headers(1), plus
    /// the length varint.
    @usableFromInline static let minimumRecordSize = 7

    private var body: ByteBuffer
    private var remaining: Int32
    private let baseOffset: Int64
    private let baseTimestamp: Int64
    private let logAppendTime: Int64?
    private let baseSequence: Int32

    init(body: ByteBuffer, count: Int32, baseOffset: Int64, baseTimestamp: Int64, logAppendTime: Int64?, baseSequence: Int32) {
        self.body = body
        self.remaining = count
        self.baseOffset = baseOffset
        self.baseTimestamp = baseTimestamp
        self.logAppendTime = logAppendTime
        self.baseSequence = baseSequence
    }

    /// Records not yet read.
    public var remainingCount: Int { Int(remaining) }

    /// The next record, or nil after the last one.
    public mutating func next() throws(RecordsError) -> Record? {
        guard remaining > 0 else { return nil }
        remaining -= 1
        let record: Record
        do {
            record = try readRecord()
        } catch let error as KafkaDecodingError {
            throw .decoding(error)
        } catch let error as RecordsError {
            throw error
        } catch {
            throw .invalidRecord("\(error)")
        }
        if remaining == 0 && body.readableBytes > 0 {
            throw .invalidRecord("incorrect declared batch size, \(body.readableBytes) bytes remain after the last record")
        }
        return record
    }

    private mutating func readRecord() throws -> Record {
        let start = body.readerIndex
        let length = Int(try body.readKafkaVarInt("Record.length"))
        guard length >= Self.minimumRecordSize - 1, length <= body.readableBytes else {
            throw RecordsError.invalidRecord("record length \(length) with \(body.readableBytes) bytes left")
        }
        var bytes = body.readSlice(length: length)!
        let attributes = try bytes.readKafkaInt8("Record.attributes")
        let timestampDelta = try bytes.readKafkaVarLong("Record.timestampDelta")
        let offsetDelta = try bytes.readKafkaVarInt("Record.offsetDelta")
        let key = try Self.readNullableBytes(&bytes, "Record.key")
        let value = try Self.readNullableBytes(&bytes, "Record.value")
        let headerCount = Int(try bytes.readKafkaVarInt("Record.headers"))
        // Each header takes at least two bytes (two length varints).
        guard headerCount >= 0, headerCount <= bytes.readableBytes / 2 else {
            throw RecordsError.invalidRecord("invalid header count \(headerCount)")
        }
        var headers: [RecordHeader] = []
        if headerCount > 0 {
            headers.reserveCapacity(headerCount)
            for _ in 0..<headerCount {
                let keyLength = Int(try bytes.readKafkaVarInt("Record.headers.key"))
                guard keyLength >= 0, keyLength <= bytes.readableBytes else {
                    throw RecordsError.invalidRecord("invalid header key length \(keyLength)")
                }
                // Kafka decodes header keys leniently (malformed UTF-8 becomes U+FFFD).
                let headerKey = String(decoding: bytes.readableBytesView.prefix(keyLength), as: UTF8.self)
                bytes.moveReaderIndex(forwardBy: keyLength)
                let headerValue = try Self.readNullableBytes(&bytes, "Record.headers.value")
                headers.append(RecordHeader(key: headerKey, value: headerValue))
            }
        }
        guard bytes.readableBytes == 0 else {
            throw RecordsError.invalidRecord("record length \(length) leaves \(bytes.readableBytes) bytes unread")
        }
        let timestamp = logAppendTime ?? (baseTimestamp &+ timestampDelta)
        let sequence: Int32
        if baseSequence < 0 {
            sequence = -1
        } else {
            let sum = Int64(baseSequence) + Int64(offsetDelta)
            sequence = Int32(truncatingIfNeeded: sum > Int64(Int32.max) ? sum - Int64(Int32.max) - 1 : sum)
        }
        return Record(
            offset: baseOffset &+ Int64(offsetDelta), timestamp: timestamp, sequence: sequence,
            attributes: attributes, offsetDelta: offsetDelta, timestampDelta: timestampDelta,
            key: key, value: value, headers: headers, sizeInBytes: body.readerIndex - start)
    }

    /// A varint length then that many bytes; any negative length is null, as in Kafka.
    private static func readNullableBytes(_ bytes: inout ByteBuffer, _ field: StaticString) throws -> ByteBuffer? {
        let length = Int(try bytes.readKafkaVarInt(field))
        if length < 0 { return nil }
        guard let slice = bytes.readSlice(length: length) else {
            throw RecordsError.invalidRecord("\(field) length \(length) with \(bytes.readableBytes) bytes left")
        }
        return slice
    }
}

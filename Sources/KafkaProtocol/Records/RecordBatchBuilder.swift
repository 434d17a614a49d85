import NIOCore

/// Builds one magic v2 record batch, as Kafka's `MemoryRecordsBuilder` does: records are encoded
/// as they are appended (into the output buffer directly when uncompressed), and `build()`
/// compresses, fills in the header and computes the CRC.
public struct RecordBatchBuilder: Sendable {
    public var baseOffset: Int64
    public let compression: CompressionCodec
    /// Codec level; nil for the codec's default (see `Compression.compress`).
    public var compressionLevel: Int32?
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var isTransactional: Bool
    public var isControl: Bool
    public var partitionLeaderEpoch: Int32
    /// When set, the batch is LogAppendTime and this becomes its `maxTimestamp`.
    public var logAppendTime: Int64?

    private let allocator: ByteBufferAllocator
    /// Header space followed by records when uncompressed; only records when compressed.
    private var output: ByteBuffer
    private var recordsStart: Int
    /// Records appended so far.
    public private(set) var recordCount: Int32 = 0
    private var firstTimestamp: Int64?
    private var maxTimestamp: Int64 = -1
    private var lastOffsetDelta: Int32 = -1

    /// - Parameters:
    ///   - producerId, producerEpoch, baseSequence: -1 for a non-idempotent producer.
    ///   - partitionLeaderEpoch: -1 from producers; the leader assigns it.
    public init(
        baseOffset: Int64 = 0,
        compression: CompressionCodec = .none,
        compressionLevel: Int32? = nil,
        producerId: Int64 = -1,
        producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1,
        isTransactional: Bool = false,
        isControl: Bool = false,
        partitionLeaderEpoch: Int32 = -1,
        logAppendTime: Int64? = nil,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) {
        self.baseOffset = baseOffset
        self.compression = compression
        self.compressionLevel = compressionLevel
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.isTransactional = isTransactional
        self.isControl = isControl
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.logAppendTime = logAppendTime
        self.allocator = allocator
        self.output = allocator.buffer(capacity: 512)
        if compression == .none { output.writeRepeatingByte(0, count: RecordBatch.headerSize) }
        self.recordsStart = output.writerIndex
    }

    /// Appends a record with the next offset (one after the previous record's).
    public mutating func append(timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = []) {
        append(offsetDelta: lastOffsetDelta &+ 1, timestamp: timestamp, key: key, value: value, headers: headers)
    }

    /// Appends a record at an explicit offset delta (deltas must increase; gaps are allowed, as
    /// in compacted batches).
    public mutating func append(offsetDelta: Int32, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader] = []) {
        precondition(offsetDelta > lastOffsetDelta, "offset deltas must increase")
        let first = firstTimestamp ?? timestamp
        firstTimestamp = first
        let timestampDelta = timestamp &- first
        var size = 1 + VarIntSize.of(timestampDelta) + VarIntSize.of(offsetDelta)
        size += Self.nullableSize(key) + Self.nullableSize(value) + VarIntSize.of(Int32(headers.count))
        for header in headers {
            let keyLength = header.key.utf8.count
            size += VarIntSize.of(Int32(keyLength)) + keyLength + Self.nullableSize(header.value)
        }
        output.writeKafkaVarInt(Int32(size))
        output.writeInteger(Int8(0))  // attributes
        output.writeKafkaVarLong(timestampDelta)
        output.writeKafkaVarInt(offsetDelta)
        Self.writeNullable(key, into: &output)
        Self.writeNullable(value, into: &output)
        output.writeKafkaVarInt(Int32(headers.count))
        for header in headers {
            output.writeKafkaVarInt(Int32(header.key.utf8.count))
            output.writeString(header.key)
            Self.writeNullable(header.value, into: &output)
        }
        recordCount += 1
        lastOffsetDelta = offsetDelta
        maxTimestamp = recordCount == 1 ? timestamp : max(maxTimestamp, timestamp)
    }

    /// Bytes of encoded (uncompressed) records so far.
    public var uncompressedRecordsSize: Int { output.writerIndex - recordsStart }

    /// Finishes the batch and returns its bytes; the builder is left empty (same settings),
    /// so the buffer it returns is not shared and can be patched without a copy.
    public mutating func build() throws(RecordsError) -> ByteBuffer {
        var batch: ByteBuffer
        if compression == .none {
            batch = output
        } else {
            batch = allocator.buffer(capacity: RecordBatch.headerSize + uncompressedRecordsSize / 2 + 64)
            batch.writeRepeatingByte(0, count: RecordBatch.headerSize)
            try Compression.compress(output, codec: compression, into: &batch, level: compressionLevel)
        }
        output = allocator.buffer(capacity: 0)
        if compression == .none { output.writeRepeatingByte(0, count: RecordBatch.headerSize) }
        recordsStart = output.writerIndex
        defer {
            recordCount = 0
            firstTimestamp = nil
            maxTimestamp = -1
            lastOffsetDelta = -1
        }

        var attributes = Int16(compression.rawValue)
        if logAppendTime != nil { attributes |= RecordBatch.Attribute.timestampType }
        if isTransactional { attributes |= RecordBatch.Attribute.transactional }
        if isControl { attributes |= RecordBatch.Attribute.control }
        let start = batch.readerIndex
        typealias O = RecordBatch.Offset
        batch.setInteger(baseOffset, at: start + O.baseOffset)
        batch.setInteger(Int32(batch.readableBytes - RecordBatch.logOverhead), at: start + O.batchLength)
        batch.setInteger(partitionLeaderEpoch, at: start + O.partitionLeaderEpoch)
        batch.setInteger(RecordBatch.magic, at: start + O.magic)
        batch.setInteger(attributes, at: start + O.attributes)
        batch.setInteger(max(lastOffsetDelta, 0), at: start + O.lastOffsetDelta)
        batch.setInteger(firstTimestamp ?? -1, at: start + O.baseTimestamp)
        batch.setInteger(logAppendTime ?? maxTimestamp, at: start + O.maxTimestamp)
        batch.setInteger(producerId, at: start + O.producerId)
        batch.setInteger(producerEpoch, at: start + O.producerEpoch)
        batch.setInteger(baseSequence, at: start + O.baseSequence)
        batch.setInteger(recordCount, at: start + O.recordCount)
        let crc = CRC32C.checksum(batch, at: start + O.attributes, length: batch.readableBytes - O.attributes)
        batch.setInteger(crc, at: start + O.crc)
        return batch
    }

    static func nullableSize(_ bytes: ByteBuffer?) -> Int {
        guard let bytes else { return 1 }
        return VarIntSize.of(Int32(bytes.readableBytes)) + bytes.readableBytes
    }

    static func writeNullable(_ bytes: ByteBuffer?, into output: inout ByteBuffer) {
        guard let bytes else {
            output.writeKafkaVarInt(-1)
            return
        }
        output.writeKafkaVarInt(Int32(bytes.readableBytes))
        output.writeImmutableBuffer(bytes)
    }
}

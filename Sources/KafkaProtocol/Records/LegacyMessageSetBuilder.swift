import NIOCore

/// Builds a legacy message set (magic 0 or 1), as Kafka's `MemoryRecordsBuilder` does for old
/// consumers: one message per record when uncompressed; otherwise a single wrapper message
/// whose value is the compressed set of inner messages. Inner offsets are relative to the first
/// for magic 1 (KIP-31) and absolute for magic 0; the wrapper takes the last offset and, for
/// magic 1, the largest timestamp (or the append time).
public struct LegacyMessageSetBuilder: Sendable {
    public let magic: Int8
    public let compression: CompressionCodec
    public var compressionLevel: Int32?
    /// When set (magic 1 only), every message is LogAppendTime with this timestamp.
    public let logAppendTime: Int64?

    private let allocator: ByteBufferAllocator
    private var output: ByteBuffer
    private var firstOffset: Int64?
    private var lastOffset: Int64 = -1
    private var maxTimestamp: Int64 = -1
    /// Messages appended so far.
    public private(set) var count = 0

    /// Fails for a magic other than 0 and 1, or zstd (which legacy messages cannot carry).
    public init(
        magic: Int8,
        compression: CompressionCodec = .none,
        compressionLevel: Int32? = nil,
        logAppendTime: Int64? = nil,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(RecordsError) {
        guard magic == 0 || magic == 1 else { throw .unsupportedMagic(magic) }
        guard compression != .zstd else { throw .unsupportedCompression(Int(compression.rawValue)) }
        self.magic = magic
        self.compression = compression
        self.compressionLevel = compressionLevel
        self.logAppendTime = magic == 1 ? logAppendTime : nil
        self.allocator = allocator
        self.output = allocator.buffer(capacity: 256)
    }

    /// Appends a message at absolute `offset` (offsets must increase). The timestamp is ignored
    /// for magic 0 and replaced by `logAppendTime` when that is set.
    public mutating func append(offset: Int64, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?) {
        precondition(offset > lastOffset || count == 0, "offsets must increase")
        let first = firstOffset ?? offset
        firstOffset = first
        let stamp = logAppendTime ?? timestamp
        // Only magic 1 inside a compressed wrapper uses relative offsets.
        let stored = magic == 1 && compression != .none ? offset - first : offset
        Self.writeMessage(
            into: &output, offset: stored, magic: magic, attributes: timestampAttribute,
            timestamp: stamp, key: key, value: value)
        lastOffset = offset
        maxTimestamp = count == 0 ? stamp : max(maxTimestamp, stamp)
        count += 1
    }

    private var timestampAttribute: Int8 { logAppendTime != nil ? LegacyRecord.timestampTypeMask : 0 }

    /// Finishes the message set and returns its bytes; the builder is left empty.
    public mutating func build() throws(RecordsError) -> ByteBuffer {
        defer {
            output = allocator.buffer(capacity: 0)
            firstOffset = nil
            lastOffset = -1
            maxTimestamp = -1
            count = 0
        }
        guard compression != .none, count > 0 else { return output }
        var wrapper = allocator.buffer(capacity: output.readableBytes / 2 + 64)
        let start = wrapper.writerIndex
        wrapper.writeInteger(lastOffset)
        wrapper.writeInteger(Int32(0))  // size
        wrapper.writeInteger(UInt32(0))  // crc
        wrapper.writeInteger(magic)
        wrapper.writeInteger(Int8(compression.rawValue) | timestampAttribute)
        if magic == 1 { wrapper.writeInteger(logAppendTime ?? maxTimestamp) }
        wrapper.writeInteger(Int32(-1))  // key
        let valueLengthIndex = wrapper.writerIndex
        wrapper.writeInteger(Int32(0))
        // KAFKA-3160: magic-0 consumers expect lz4's broken frame descriptor checksum.
        try Compression.compress(
            output, codec: compression, into: &wrapper, level: compressionLevel,
            legacyLZ4HeaderChecksum: magic == 0)
        wrapper.setInteger(Int32(wrapper.writerIndex - valueLengthIndex - 4), at: valueLengthIndex)
        Self.finishMessage(&wrapper, at: start)
        return wrapper
    }

    /// Writes one complete message (offset, size, CRC and all) to `buffer`.
    public static func writeMessage(
        into buffer: inout ByteBuffer, offset: Int64, magic: Int8, attributes: Int8,
        timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?
    ) {
        let start = buffer.writerIndex
        buffer.writeInteger(offset)
        buffer.writeInteger(Int32(0))
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(magic)
        buffer.writeInteger(attributes)
        if magic > 0 { buffer.writeInteger(timestamp) }
        writeBytes(key, into: &buffer)
        writeBytes(value, into: &buffer)
        finishMessage(&buffer, at: start)
    }

    private static func writeBytes(_ bytes: ByteBuffer?, into buffer: inout ByteBuffer) {
        guard let bytes else {
            buffer.writeInteger(Int32(-1))
            return
        }
        buffer.writeInteger(Int32(bytes.readableBytes))
        buffer.writeImmutableBuffer(bytes)
    }

    /// Fills in size and CRC of the message starting at `start` and ending at the writer index.
    private static func finishMessage(_ buffer: inout ByteBuffer, at start: Int) {
        let size = buffer.writerIndex - start - LegacyRecord.logOverhead
        buffer.setInteger(Int32(size), at: start + 8)
        let crc = CRC32.checksum(buffer, at: start + 16, length: size - 4)
        buffer.setInteger(crc, at: start + 12)
    }
}

import NIOCore

/// A zero-copy view of one record batch in the magic v2 format (KIP-98):
///
///     baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8 (2),
///     crc uint32, attributes int16, lastOffsetDelta int32, baseTimestamp int64,
///     maxTimestamp int64, producerId int64, producerEpoch int16, baseSequence int32,
///     recordCount int32, records...
///
/// `batchLength` counts the bytes after itself; the CRC32C covers `attributes` to the end, so the
/// broker can assign `baseOffset` and `partitionLeaderEpoch` without touching it.
///
/// Header fields are read from the buffer on demand. The setters write into `buffer`, which is
/// copied first (copy-on-write) if its storage is shared, e.g. with the request frame it was
/// sliced from; to patch batches inside a larger buffer use the static `set…(in:batchAt:)`.
public struct RecordBatch: Hashable, Sendable {
    /// Byte offsets of the header fields from the start of a batch.
    public enum Offset {
        public static let baseOffset = 0
        public static let batchLength = 8
        public static let partitionLeaderEpoch = 12
        public static let magic = 16
        public static let crc = 17
        public static let attributes = 21
        public static let lastOffsetDelta = 23
        public static let baseTimestamp = 27
        public static let maxTimestamp = 35
        public static let producerId = 43
        public static let producerEpoch = 51
        public static let baseSequence = 53
        public static let recordCount = 57
        public static let records = 61
    }

    /// The size of the batch header (Kafka's `RECORD_BATCH_OVERHEAD`).
    public static let headerSize = 61
    /// baseOffset plus batchLength, the part of a batch outside `batchLength` (`LOG_OVERHEAD`).
    public static let logOverhead = 12
    /// The magic byte of this format.
    public static let magic: Int8 = 2

    /// Attribute bits.
    public enum Attribute {
        public static let compressionMask: Int16 = 0x07
        public static let timestampType: Int16 = 0x08
        public static let transactional: Int16 = 0x10
        public static let control: Int16 = 0x20
        /// KIP-534: `baseTimestamp` holds the delete horizon of a cleaned batch.
        public static let deleteHorizon: Int16 = 0x40
    }

    /// Exactly the bytes of this batch, from `baseOffset` to the end of the last record.
    public private(set) var buffer: ByteBuffer

    /// Views the batch at the start of `buffer` (which may continue past it). Checks the length,
    /// the magic byte and the compression codec, not the CRC (see `validate()`).
    public init(_ buffer: ByteBuffer) throws(RecordsError) {
        guard buffer.readableBytes >= Self.logOverhead else {
            throw .truncated(needed: Self.logOverhead, available: buffer.readableBytes)
        }
        let start = buffer.readerIndex
        let length = Int(buffer.getInteger(at: start + Offset.batchLength, as: Int32.self)!)
        guard length >= Self.headerSize - Self.logOverhead else { throw .invalidBatchSize(length) }
        let size = length + Self.logOverhead
        guard buffer.readableBytes >= size else { throw .truncated(needed: size, available: buffer.readableBytes) }
        let magic = buffer.getInteger(at: start + Offset.magic, as: Int8.self)!
        guard magic == Self.magic else { throw .unsupportedMagic(magic) }
        let attributes = buffer.getInteger(at: start + Offset.attributes, as: Int16.self)!
        _ = try CompressionCodec(attributes: Int(attributes))
        self.buffer = buffer.getSlice(at: start, length: size)!
    }

    @inlinable
    func field<T: FixedWidthInteger>(_ offset: Int, as: T.Type = T.self) -> T {
        // In range: init checked the batch is at least headerSize long.
        buffer.getInteger(at: buffer.readerIndex + offset, as: T.self)!
    }

    /// The offset of the first record; assigned by the leader on append.
    public var baseOffset: Int64 {
        get { field(Offset.baseOffset) }
        set { buffer.setInteger(newValue, at: buffer.readerIndex + Offset.baseOffset) }
    }

    /// The bytes after the `batchLength` field.
    public var batchLength: Int32 { field(Offset.batchLength) }
    /// The whole batch in bytes (`batchLength + 12`).
    public var sizeInBytes: Int { buffer.readableBytes }

    /// The leader epoch at append (KIP-101); assigned by the leader, -1 from producers.
    public var partitionLeaderEpoch: Int32 {
        get { field(Offset.partitionLeaderEpoch) }
        set { buffer.setInteger(newValue, at: buffer.readerIndex + Offset.partitionLeaderEpoch) }
    }

    public var magic: Int8 { field(Offset.magic) }
    /// The stored CRC32C.
    public var crc: UInt32 { field(Offset.crc) }
    public var attributes: Int16 { field(Offset.attributes) }
    /// The codec of the records section (checked valid at init).
    public var compression: CompressionCodec { CompressionCodec(rawValue: Int8(attributes & Attribute.compressionMask))! }
    public var timestampType: TimestampType { attributes & Attribute.timestampType != 0 ? .logAppendTime : .createTime }
    public var isTransactional: Bool { attributes & Attribute.transactional != 0 }
    public var isControl: Bool { attributes & Attribute.control != 0 }
    public var hasDeleteHorizonMs: Bool { attributes & Attribute.deleteHorizon != 0 }
    /// The delete horizon set by the log cleaner (KIP-534), stored in `baseTimestamp`.
    public var deleteHorizonMs: Int64? { hasDeleteHorizonMs ? baseTimestamp : nil }
    public var lastOffsetDelta: Int32 { field(Offset.lastOffsetDelta) }
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    /// The offset after the batch.
    public var nextOffset: Int64 { lastOffset &+ 1 }
    /// The timestamp record deltas are relative to (the first record's, normally).
    public var baseTimestamp: Int64 { field(Offset.baseTimestamp) }
    /// The largest record timestamp, or the broker's append time under LogAppendTime.
    public var maxTimestamp: Int64 { field(Offset.maxTimestamp) }
    public var producerId: Int64 { field(Offset.producerId) }
    public var producerEpoch: Int16 { field(Offset.producerEpoch) }
    public var baseSequence: Int32 { field(Offset.baseSequence) }
    public var recordCount: Int32 { field(Offset.recordCount) }
    /// The bytes after the header: records, compressed as a whole when `compression != .none`.
    public var recordsSection: ByteBuffer { buffer.getSlice(at: buffer.readerIndex + Offset.records, length: sizeInBytes - Self.headerSize)! }

    /// The sequence of the last record, wrapping at Int32.max as Kafka's producer does.
    public var lastSequence: Int32 {
        let base = baseSequence
        guard base >= 0 else { return -1 }
        let sum = Int64(base) + Int64(lastOffsetDelta)
        return Int32(truncatingIfNeeded: sum > Int64(Int32.max) ? sum - Int64(Int32.max) - 1 : sum)
    }

    /// The CRC32C of the bytes from `attributes` to the end.
    public func computeCRC() -> UInt32 {
        CRC32C.checksum(buffer, at: buffer.readerIndex + Offset.attributes, length: sizeInBytes - Offset.attributes)
    }

    /// Whether the stored CRC matches the bytes.
    public func verifyCRC() -> Bool { crc == computeCRC() }

    /// Throws `crcMismatch` when the stored CRC does not match (Kafka's `ensureValid`).
    public func validate() throws(RecordsError) {
        let computed = computeCRC()
        guard computed == crc else { throw .crcMismatch(stored: crc, computed: computed) }
    }

    /// Sets `baseOffset` so that the last record gets `offset`.
    public mutating func setLastOffset(_ offset: Int64) { baseOffset = offset &- Int64(lastOffsetDelta) }

    /// Sets `maxTimestamp` and the timestamp type (for LogAppendTime) and recomputes the CRC,
    /// which covers both. Does nothing when neither changes, as Kafka does.
    public mutating func setMaxTimestamp(_ timestamp: Int64, type: TimestampType) {
        let start = buffer.readerIndex
        Self.setMaxTimestamp(timestamp, type: type, in: &buffer, batchAt: start)
    }

    /// Writes `baseOffset` of the batch starting at absolute index `index` of `buffer`.
    public static func setBaseOffset(_ offset: Int64, in buffer: inout ByteBuffer, batchAt index: Int) {
        buffer.setInteger(offset, at: index + Offset.baseOffset)
    }

    /// Writes `partitionLeaderEpoch` of the batch starting at absolute index `index` of `buffer`.
    public static func setPartitionLeaderEpoch(_ epoch: Int32, in buffer: inout ByteBuffer, batchAt index: Int) {
        buffer.setInteger(epoch, at: index + Offset.partitionLeaderEpoch)
    }

    /// `setMaxTimestamp(_:type:)` for the batch starting at absolute index `index` of `buffer`,
    /// which must hold the whole batch (as one returned by `RecordBatchReader`).
    public static func setMaxTimestamp(_ timestamp: Int64, type: TimestampType, in buffer: inout ByteBuffer, batchAt index: Int) {
        let attributes = buffer.getInteger(at: index + Offset.attributes, as: Int16.self)!
        let current = buffer.getInteger(at: index + Offset.maxTimestamp, as: Int64.self)!
        let newAttributes = type == .logAppendTime
            ? attributes | Attribute.timestampType : attributes & ~Attribute.timestampType
        if newAttributes == attributes && current == timestamp { return }
        buffer.setInteger(newAttributes, at: index + Offset.attributes)
        buffer.setInteger(timestamp, at: index + Offset.maxTimestamp)
        let size = Int(buffer.getInteger(at: index + Offset.batchLength, as: Int32.self)!) + logOverhead
        let crc = CRC32C.checksum(buffer, at: index + Offset.attributes, length: size - Offset.attributes)
        buffer.setInteger(crc, at: index + Offset.crc)
    }
}

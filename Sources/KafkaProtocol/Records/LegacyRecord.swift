import NIOCore

/// One entry of a legacy message set (magic 0 or 1, before KIP-98):
///
///     offset int64, size int32, crc uint32, magic int8, attributes int8,
///     [timestamp int64, magic 1 only (KIP-32)], key bytes (int32 length, -1 null), value bytes
///
/// The CRC is a zlib CRC32 over `magic` to the end. A compressed message is a "wrapper" whose
/// value is a compressed message set of uncompressed inner messages (see `deepRecords`).
public struct LegacyRecord: Hashable, Sendable {
    /// offset + size, the part of an entry outside `size`.
    public static let logOverhead = 12
    /// The smallest `size`: crc, magic, attributes, [timestamp], key length, value length.
    public static func minimumSize(magic: Int8) -> Int { magic == 0 ? 14 : 22 }
    /// Legacy timestamp type attribute bit (magic 1).
    public static let timestampTypeMask: Int8 = 0x08

    /// The whole entry as stored, from `offset` to the end of the value.
    public let entry: ByteBuffer
    /// The offset: as stored for a top-level entry, absolute for one returned by `deepRecords`.
    public var offset: Int64
    public let magic: Int8
    public let attributes: Int8
    /// The timestamp (magic 1), or the wrapper's append time for an inner record of a
    /// LogAppendTime wrapper; -1 for magic 0.
    public var timestamp: Int64
    /// nil for magic 0, which has no timestamp; an inner record takes its wrapper's type.
    public var timestampType: TimestampType?
    public let key: ByteBuffer?
    public let value: ByteBuffer?

    /// Reads the entry at the start of `buffer` (which may continue past it). Checks sizes,
    /// magic and codec, not the CRC (see `validate()`).
    public init(_ buffer: ByteBuffer) throws(RecordsError) {
        guard buffer.readableBytes >= Self.logOverhead else {
            throw .truncated(needed: Self.logOverhead, available: buffer.readableBytes)
        }
        let start = buffer.readerIndex
        let size = Int(buffer.getInteger(at: start + 8, as: Int32.self)!)
        guard size >= Self.minimumSize(magic: 0) else { throw .invalidBatchSize(size) }
        guard buffer.readableBytes - Self.logOverhead >= size else {
            throw .truncated(needed: size + Self.logOverhead, available: buffer.readableBytes)
        }
        var entry = buffer.getSlice(at: start, length: size + Self.logOverhead)!
        let magic = buffer.getInteger(at: start + 16, as: Int8.self)!
        guard magic == 0 || magic == 1 else { throw .unsupportedMagic(magic) }
        guard size >= Self.minimumSize(magic: magic) else { throw .invalidBatchSize(size) }
        self.entry = entry
        offset = entry.readInteger(as: Int64.self)!
        entry.moveReaderIndex(forwardBy: 4 + 4 + 1)  // size, crc, magic
        self.magic = magic
        attributes = entry.readInteger(as: Int8.self)!
        // zstd and codecs 5-7 do not exist in legacy messages.
        let codec = Int(attributes & 0x07)
        guard codec <= Int(CompressionCodec.lz4.rawValue) else { throw .unsupportedCompression(codec) }
        if magic == 1 {
            timestamp = entry.readInteger(as: Int64.self)!
            timestampType = attributes & Self.timestampTypeMask != 0 ? .logAppendTime : .createTime
        } else {
            timestamp = -1
            timestampType = nil
        }
        key = try Self.readBytes(&entry, "key")
        value = try Self.readBytes(&entry, "value")
        // Bytes after the value are covered by the CRC and ignored, as in Kafka.
    }

    /// An int32 length then that many bytes; negative lengths are null, as in Kafka.
    private static func readBytes(_ buffer: inout ByteBuffer, _ field: String) throws(RecordsError) -> ByteBuffer? {
        guard let length = buffer.readInteger(as: Int32.self) else {
            throw .invalidRecord("legacy message truncated before its \(field) length")
        }
        if length < 0 { return nil }
        guard let bytes = buffer.readSlice(length: Int(length)) else {
            throw .invalidRecord("legacy message \(field) length \(length) with \(buffer.readableBytes) bytes left")
        }
        return bytes
    }

    /// `size`: the bytes after the offset and size fields.
    public var size: Int32 { entry.getInteger(at: entry.readerIndex + 8, as: Int32.self)! }
    /// The stored CRC32.
    public var crc: UInt32 { entry.getInteger(at: entry.readerIndex + 12, as: UInt32.self)! }
    public var compression: CompressionCodec { CompressionCodec(rawValue: attributes & 0x07)! }
    public var sizeInBytes: Int { entry.readableBytes }

    /// The CRC32 of `magic` to the end.
    public func computeCRC() -> UInt32 {
        CRC32.checksum(entry, at: entry.readerIndex + 16, length: entry.readableBytes - 16)
    }

    public func verifyCRC() -> Bool { crc == computeCRC() }

    /// Throws `crcMismatch` when the stored CRC does not match.
    public func validate() throws(RecordsError) {
        let computed = computeCRC()
        guard computed == crc else { throw .crcMismatch(stored: crc, computed: computed) }
    }

    /// The records this entry holds: itself when uncompressed; otherwise the inner messages of
    /// its compressed value, with absolute offsets and the wrapper's timestamp rules, checked as
    /// Kafka's `DeepRecordsIterator` does (same magic as the wrapper, not compressed, at least
    /// one). Inner CRCs are verified when `verifyCRC` is set.
    public func deepRecords(
        verifyCRC: Bool = true,
        decompressionLimit: Int = Compression.defaultDecompressionLimit,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(RecordsError) -> [LegacyRecord] {
        guard compression != .none else { return [self] }
        guard let value else { throw .invalidRecord("compressed wrapper message with a null value") }
        // KAFKA-3160: magic-0 lz4 wrappers carry a wrongly computed frame descriptor checksum.
        var inner = try Compression.decompress(
            value, codec: compression, limit: decompressionLimit, legacyLZ4HeaderChecksum: magic == 0,
            allocator: allocator)
        var records: [LegacyRecord] = []
        // As Kafka's DataLogInputStream, a tail too short for offset and size ends the set.
        while inner.readableBytes >= Self.logOverhead {
            var record = try LegacyRecord(inner)
            inner.moveReaderIndex(forwardBy: record.sizeInBytes)
            guard record.magic == magic else {
                throw .invalidRecord("inner message magic \(record.magic) does not match wrapper magic \(magic)")
            }
            guard record.compression == .none else { throw .invalidRecord("inner messages must not be compressed") }
            if verifyCRC { try record.validate() }
            if magic == 1 {
                record.timestampType = timestampType
                if timestampType == .logAppendTime { record.timestamp = timestamp }
            }
            records.append(record)
        }
        guard let lastInner = records.last?.offset else {
            throw .invalidRecord("compressed message set with no inner records")
        }
        if magic == 1 {
            // Magic 1 inner offsets are relative (KIP-31); the wrapper holds the last absolute
            // offset. Some librdkafka versions send a wrapper offset of 0 in produce requests.
            let base: Int64
            if offset == 0 {
                base = 0
            } else {
                guard offset >= lastInner else {
                    throw .invalidRecord("wrapper offset \(offset) is less than the last inner offset \(lastInner)")
                }
                base = offset - lastInner
            }
            for i in records.indices { records[i].offset = base &+ records[i].offset }
        }
        return records
    }
}

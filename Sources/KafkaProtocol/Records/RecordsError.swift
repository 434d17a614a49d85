/// Why a record batch, a legacy message set or a compressed body could not be read or written.
///
/// Every length and count in record data is checked against the bytes actually present before
/// it is used, so malformed input from a client ends in one of these errors, never in a crash or
/// an allocation sized by an unchecked number.
public enum RecordsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input ended before a structure it announced: `needed` bytes, `available` present.
    case truncated(needed: Int, available: Int)
    /// A batch or message size field below the minimum for its format (or negative).
    case invalidBatchSize(Int)
    /// A batch larger than the caller's limit.
    case batchTooLarge(size: Int, limit: Int)
    /// A magic byte this code does not know (valid ones are 0, 1 and 2).
    case unsupportedMagic(Int8)
    /// The checksum stored in a batch or legacy message does not match its bytes.
    case crcMismatch(stored: UInt32, computed: UInt32)
    /// A negative record count, or one larger than the bytes could hold.
    case invalidRecordCount(Int32)
    /// A record inside a batch or message set is malformed.
    case invalidRecord(String)
    /// A compression codec id this format does not allow (5-7 everywhere, zstd before magic 2).
    case unsupportedCompression(Int)
    /// The compression library refused the input.
    case compressionFailed(CompressionCodec, String)
    /// The compressed data is corrupt or truncated.
    case decompressionFailed(CompressionCodec, String)
    /// Decompressing would produce more than the caller's limit of bytes.
    case decompressedSizeExceeded(limit: Int)
    /// A primitive (varint, fixed-width integer) could not be read.
    case decoding(KafkaDecodingError)

    public var description: String {
        switch self {
        case let .truncated(needed, available):
            return "record data truncated: needed \(needed) bytes, \(available) available"
        case let .invalidBatchSize(size): return "invalid batch size \(size)"
        case let .batchTooLarge(size, limit): return "batch of \(size) bytes exceeds the limit of \(limit)"
        case let .unsupportedMagic(magic): return "unsupported magic \(magic)"
        case let .crcMismatch(stored, computed):
            return "CRC mismatch: stored \(stored), computed \(computed)"
        case let .invalidRecordCount(count): return "invalid record count \(count)"
        case let .invalidRecord(reason): return "invalid record: \(reason)"
        case let .unsupportedCompression(id): return "unsupported compression codec \(id)"
        case let .compressionFailed(codec, reason): return "\(codec) compression failed: \(reason)"
        case let .decompressionFailed(codec, reason): return "\(codec) decompression failed: \(reason)"
        case let .decompressedSizeExceeded(limit):
            return "decompressed data exceeds the limit of \(limit) bytes"
        case let .decoding(error): return error.description
        }
    }
}

/// How a batch's timestamps were assigned (attribute bit 3).
public enum TimestampType: Int8, Hashable, Sendable {
    /// The producer's timestamps.
    case createTime = 0
    /// The broker's append time, written to `maxTimestamp` (and, for legacy messages, the
    /// wrapper's timestamp) when the topic has `message.timestamp.type=LogAppendTime`.
    case logAppendTime = 1
}

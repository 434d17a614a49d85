import NIOCore

/// The compression codec of a batch or legacy wrapper message: attribute bits 0-2.
public enum CompressionCodec: Int8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case gzip = 1
    case snappy = 2
    case lz4 = 3
    /// Only in magic 2 batches (KIP-110).
    case zstd = 4

    /// The codec in the low three bits of `attributes`; 5-7 are not defined.
    @inlinable
    public init(attributes: Int) throws(RecordsError) {
        guard let codec = CompressionCodec(rawValue: Int8(attributes & 0x07)) else {
            throw .unsupportedCompression(attributes & 0x07)
        }
        self = codec
    }

    public var description: String {
        switch self {
        case .none: return "none"
        case .gzip: return "gzip"
        case .snappy: return "snappy"
        case .lz4: return "lz4"
        case .zstd: return "zstd"
        }
    }
}

/// Compression and decompression of record bodies through the system libraries (zlib, snappy,
/// liblz4's frame API, libzstd), producing and accepting the same framings as the Java client.
public enum Compression {
    /// The default bound on decompressed bytes per batch or wrapper message. A batch is at most
    /// `message.max.bytes` compressed (1 MiB by default), so this leaves a wide margin for highly
    /// compressible data while stopping decompression bombs.
    public static let defaultDecompressionLimit = 256 * 1024 * 1024

    /// Compresses `input` with `codec` and appends the result to `output`.
    ///
    /// - Parameters:
    ///   - level: codec-specific level; nil for the default (gzip: zlib's default, lz4: fast
    ///     mode, zstd: 3, as Kafka's `compression.zstd.level`). Ignored by snappy.
    ///   - legacyLZ4HeaderChecksum: write lz4's frame descriptor checksum the broken way that
    ///     magic-0 consumers expect (KAFKA-3160); only for magic 0 wrapper messages.
    public static func compress(
        _ input: UnsafeRawBufferPointer,
        codec: CompressionCodec,
        into output: inout ByteBuffer,
        level: Int32? = nil,
        legacyLZ4HeaderChecksum: Bool = false
    ) throws(RecordsError) {
        switch codec {
        case .none: output.writeBytes(input)
        case .gzip: try Gzip.compress(input, level: level, into: &output)
        case .snappy: Snappy.compressXerial(input, into: &output)
        case .lz4: try LZ4Frame.compress(input, level: level, brokenHeaderChecksum: legacyLZ4HeaderChecksum, into: &output)
        case .zstd: try Zstd.compress(input, level: level, into: &output)
        }
    }

    /// Compresses the readable bytes of `input` and appends the result to `output`.
    public static func compress(
        _ input: ByteBuffer,
        codec: CompressionCodec,
        into output: inout ByteBuffer,
        level: Int32? = nil,
        legacyLZ4HeaderChecksum: Bool = false
    ) throws(RecordsError) {
        try input.withUnsafeReadableBytes { (bytes) throws(RecordsError) in
            try compress(bytes, codec: codec, into: &output, level: level, legacyLZ4HeaderChecksum: legacyLZ4HeaderChecksum)
        }
    }

    /// Decompresses the readable bytes of `input` into a new buffer.
    ///
    /// Snappy input may be raw or xerial-framed; gzip input may hold several members; zstd and
    /// lz4 input may hold several frames, and zstd frames need not state their content size.
    ///
    /// - Parameters:
    ///   - limit: the most decompressed bytes accepted; more fails with
    ///     `RecordsError.decompressedSizeExceeded` before the excess is allocated.
    ///   - legacyLZ4HeaderChecksum: ignore lz4's frame descriptor checksum, which magic-0
    ///     producers computed wrongly (KAFKA-3160), as Kafka does for magic 0.
    public static func decompress(
        _ input: ByteBuffer,
        codec: CompressionCodec,
        limit: Int = defaultDecompressionLimit,
        legacyLZ4HeaderChecksum: Bool = false,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) throws(RecordsError) -> ByteBuffer {
        if codec == .none {
            guard input.readableBytes <= limit else { throw .decompressedSizeExceeded(limit: limit) }
            return input
        }
        return try input.withUnsafeReadableBytes { (bytes) throws(RecordsError) -> ByteBuffer in
            var output = DecompressionOutput(allocator: allocator, limit: limit, codec: codec)
            switch codec {
            case .none: break
            case .gzip: try Gzip.decompress(bytes, into: &output)
            case .snappy: try Snappy.decompress(bytes, into: &output)
            case .lz4: try LZ4Frame.decompress(bytes, ignoreHeaderChecksum: legacyLZ4HeaderChecksum, into: &output)
            case .zstd: try Zstd.decompress(bytes, into: &output)
            }
            return output.buffer
        }
    }
}

/// A growing output buffer for the decompressors that never holds more than `limit + 1` bytes:
/// the one extra byte is how an over-long stream is detected.
struct DecompressionOutput {
    var buffer: ByteBuffer
    let limit: Int
    let codec: CompressionCodec
    /// Writable space requested before each decompressor call, doubling as output grows.
    private static let minimumChunk = 16 * 1024

    init(allocator: ByteBufferAllocator, limit: Int, codec: CompressionCodec) {
        self.buffer = allocator.buffer(capacity: 0)
        self.limit = max(0, limit)
        self.codec = codec
    }

    /// Ensures room for `expected` more bytes when a format states its decompressed size,
    /// failing before allocating when that would exceed the limit.
    mutating func reserve(exactly expected: Int) throws(RecordsError) {
        guard expected >= 0, expected <= limit - buffer.readableBytes else {
            throw .decompressedSizeExceeded(limit: limit)
        }
        buffer.reserveCapacity(minimumWritableBytes: expected)
    }

    /// Reserves capacity up to the limit (with room for the byte that proves an overflow).
    mutating func reserve(estimate: Int) {
        let allowed = limit + 1 - buffer.readableBytes
        buffer.reserveCapacity(minimumWritableBytes: max(0, min(estimate, allowed)))
    }

    /// Calls `body` with writable space (never beyond `limit + 1` bytes in total); `body`
    /// returns how many bytes it wrote and a value passed back to the caller.
    mutating func write<R>(_ body: (UnsafeMutableRawBufferPointer) -> (written: Int, result: R)) throws(RecordsError) -> R {
        let allowed = limit + 1 - buffer.readableBytes
        guard allowed > 0 else { throw .decompressedSizeExceeded(limit: limit) }
        let wanted = min(allowed, Self.minimumChunk)
        if buffer.writableBytes < wanted {
            buffer.reserveCapacity(minimumWritableBytes: min(allowed, max(wanted, buffer.readableBytes)))
        }
        var result: R? = nil
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { space in
            let region = UnsafeMutableRawBufferPointer(rebasing: space[..<min(space.count, allowed)])
            let (written, value) = body(region)
            result = value
            return written
        }
        guard buffer.readableBytes <= limit else { throw .decompressedSizeExceeded(limit: limit) }
        return result!
    }

    func failure(_ reason: String) -> RecordsError { .decompressionFailed(codec, reason) }
}

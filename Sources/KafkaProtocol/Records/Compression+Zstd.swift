import CCompression
import NIOCore

/// zstd through libzstd (KIP-110). Decompression streams, because zstd-jni's output stream
/// writes frames without a content size.
enum Zstd {
    /// Kafka's default `compression.zstd.level` (KIP-390).
    static let defaultLevel: Int32 = 3

    static func compress(_ input: UnsafeRawBufferPointer, level: Int32?, into output: inout ByteBuffer) throws(RecordsError) {
        let bound = ZSTD_compressBound(input.count)
        var error = 0
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { space in
            let result = ZSTD_compress(space.baseAddress, space.count, input.baseAddress, input.count, level ?? defaultLevel)
            if ZSTD_isError(result) != 0 {
                error = result
                return 0
            }
            return result
        }
        guard error == 0 else { throw .compressionFailed(.zstd, String(cString: ZSTD_getErrorName(error))) }
    }

    static func decompress(_ input: UnsafeRawBufferPointer, into output: inout DecompressionOutput) throws(RecordsError) {
        guard let context = ZSTD_createDCtx() else { throw output.failure("cannot create a decompression context") }
        defer { ZSTD_freeDCtx(context) }
        let stated = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if gregor_zstd_content_size_known(stated) != 0 {
            // The first frame states its size: refuse it before allocating when it would pass the
            // limit. Otherwise it is only a hint, capped so a few bytes of header cannot reserve
            // the whole limit (RLE blocks expand far more than 64 times; the output then grows
            // by doubling); the limit is enforced on the bytes actually produced.
            guard stated <= UInt64(output.limit) else { throw .decompressedSizeExceeded(limit: output.limit) }
            output.reserve(estimate: min(Int(stated), input.count * 64 + 4096))
        } else {
            output.reserve(estimate: max(4096, input.count * 4))
        }
        var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        while true {
            let (hint, filled) = try output.write { space in
                var destination = ZSTD_outBuffer(dst: space.baseAddress, size: space.count, pos: 0)
                let hint = ZSTD_decompressStream(context, &destination, &source)
                if ZSTD_isError(hint) != 0 { return (0, (hint, false)) }
                return (destination.pos, (hint, destination.pos == destination.size))
            }
            if ZSTD_isError(hint) != 0 { throw output.failure(String(cString: ZSTD_getErrorName(hint))) }
            let inputLeft = source.pos < source.size
            if hint == 0 {
                // A frame ended and was fully flushed; more input means another frame.
                if !inputLeft { return }
            } else if !inputLeft && !filled {
                throw output.failure("truncated zstd frame")
            }
        }
    }
}

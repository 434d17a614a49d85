import CCompression
import NIOCore

/// The LZ4 frame format through liblz4's LZ4F API, configured like Kafka's
/// `KafkaLZ4BlockOutputStream`: independent 64 KiB blocks, no content size, no checksums.
/// Kafka's own reader refuses linked blocks, so those settings are a compatibility requirement.
enum LZ4Frame {
    static let magic: UInt32 = 0x184D_2204

    static func compress(
        _ input: UnsafeRawBufferPointer,
        level: Int32?,
        brokenHeaderChecksum: Bool,
        into output: inout ByteBuffer
    ) throws(RecordsError) {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.compressionLevel = level ?? 0
        let bound = LZ4F_compressFrameBound(input.count, &preferences)
        let start = output.writerIndex
        var error: Int = 0
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { space in
            let result = LZ4F_compressFrame(space.baseAddress, space.count, input.baseAddress, input.count, &preferences)
            if LZ4F_isError(result) != 0 {
                error = result
                return 0
            }
            return result
        }
        guard error == 0 else { throw .compressionFailed(.lz4, String(cString: LZ4F_getErrorName(error))) }
        if brokenHeaderChecksum {
            // KAFKA-3160: Kafka before 0.10 hashed the frame descriptor together with the magic
            // number, and magic-0 consumers still expect that. Without content size or dictionary
            // id the header is magic(4) FLG BD HC.
            let hash = output.withUnsafeReadableBytes { bytes in
                XXHash32.hash(UnsafeRawBufferPointer(rebasing: bytes[(start - output.readerIndex)..<(start - output.readerIndex + 6)]))
            }
            output.setInteger(UInt8(truncatingIfNeeded: hash >> 8), at: start + 6)
        }
    }

    static func decompress(
        _ input: UnsafeRawBufferPointer,
        ignoreHeaderChecksum: Bool,
        into output: inout DecompressionOutput
    ) throws(RecordsError) {
        var context: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
            throw output.failure("cannot create a decompression context")
        }
        defer { _ = LZ4F_freeDecompressionContext(context) }
        output.reserve(estimate: max(4096, input.count * 4))

        var remaining = input
        if ignoreHeaderChecksum, let header = correctedHeader(input) {
            // Feed liblz4 (which always checks the descriptor checksum) a copy of the header
            // with the checksum recomputed, then continue with the original bytes.
            // Array.withUnsafeBytes only rethrows untyped errors, hence the Result.
            try header.withUnsafeBytes { bytes in
                Result { () throws(RecordsError) in
                    var source = bytes
                    while !source.isEmpty { _ = try step(context, &source, &output) }
                }
            }.get()
            remaining = UnsafeRawBufferPointer(rebasing: input[header.count...])
        }
        while true {
            let (hint, filled) = try step(context, &remaining, &output)
            // Input used up mid-frame with room left in the output: the frame is truncated.
            if hint != 0, remaining.isEmpty, !filled { throw output.failure("truncated lz4 frame") }
            if hint == 0 {
                // End of a frame: continue only when another frame follows, as liblz4's CLI does.
                guard remaining.count >= 4, remaining.loadUnaligned(as: UInt32.self).littleEndian == magic else { return }
            }
        }
    }

    /// One `LZ4F_decompress` call: consumes from `source`, appends to `output`, and returns
    /// liblz4's hint (0 at the end of a frame) and whether the output space was filled.
    private static func step(
        _ context: OpaquePointer,
        _ source: inout UnsafeRawBufferPointer,
        _ output: inout DecompressionOutput
    ) throws(RecordsError) -> (hint: Int, filled: Bool) {
        let (hint, consumed, filled) = try output.write { space in
            var destinationSize = space.count
            var sourceSize = source.count
            let hint = LZ4F_decompress(context, space.baseAddress, &destinationSize, source.baseAddress, &sourceSize, nil)
            if LZ4F_isError(hint) != 0 { return (0, (hint, 0, false)) }
            return (destinationSize, (hint, sourceSize, destinationSize == space.count))
        }
        if LZ4F_isError(hint) != 0 { throw output.failure(String(cString: LZ4F_getErrorName(hint))) }
        source = UnsafeRawBufferPointer(rebasing: source[consumed...])
        return (hint, filled)
    }

    /// The frame header (magic, descriptor, checksum) with a correct descriptor checksum, or nil
    /// when the input is too short to hold one (liblz4 then reports the error).
    static func correctedHeader(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        guard input.count >= 7, input.loadUnaligned(as: UInt32.self).littleEndian == magic else { return nil }
        let flags = input[4]
        var checksumIndex = 6
        if flags & 0x08 != 0 { checksumIndex += 8 }  // content size
        if flags & 0x01 != 0 { checksumIndex += 4 }  // dictionary id
        guard input.count > checksumIndex else { return nil }
        var header = Array(input[0...checksumIndex])
        let hash = XXHash32.hash(UnsafeRawBufferPointer(rebasing: input[4..<checksumIndex]))
        header[checksumIndex] = UInt8(truncatingIfNeeded: hash >> 8)
        return header
    }
}

/// xxHash32 with seed 0, only for the few bytes of an LZ4 frame descriptor (liblz4 does not
/// export its copy).
enum XXHash32 {
    private static let prime1: UInt32 = 0x9E37_79B1
    private static let prime2: UInt32 = 0x85EB_CA77
    private static let prime3: UInt32 = 0xC2B2_AE3D
    private static let prime4: UInt32 = 0x27D4_EB2F
    private static let prime5: UInt32 = 0x1656_67B1

    private static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }

    private static func round(_ acc: UInt32, _ lane: UInt32) -> UInt32 {
        rotl(acc &+ lane &* prime2, 13) &* prime1
    }

    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let count = bytes.count
        var offset = 0
        var h: UInt32
        func lane(_ at: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        if count >= 16 {
            var v1 = seed &+ prime1 &+ prime2, v2 = seed &+ prime2, v3 = seed, v4 = seed &- prime1
            while offset + 16 <= count {
                v1 = round(v1, lane(offset))
                v2 = round(v2, lane(offset + 4))
                v3 = round(v3, lane(offset + 8))
                v4 = round(v4, lane(offset + 12))
                offset += 16
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            h = seed &+ prime5
        }
        h = h &+ UInt32(truncatingIfNeeded: count)
        while offset + 4 <= count {
            h = rotl(h &+ lane(offset) &* prime3, 17) &* prime4
            offset += 4
        }
        while offset < count {
            h = rotl(h &+ UInt32(bytes[offset]) &* prime5, 11) &* prime1
            offset += 1
        }
        h ^= h >> 15
        h = h &* prime2
        h ^= h >> 13
        h = h &* prime3
        h ^= h >> 16
        return h
    }
}

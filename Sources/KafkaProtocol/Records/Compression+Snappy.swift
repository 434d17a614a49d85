import CCompression
import NIOCore

/// Snappy as the Java client writes it: xerial's `SnappyOutputStream` framing (a 16-byte header
/// `\x82SNAPPY\0`, version 1, compatible version 1, then `[int32 length][raw snappy block]`
/// chunks of at most 32 KiB input). Readers also accept a bare raw snappy block, which
/// xerial's `SnappyInputStream` falls back to and some non-Java clients send.
enum Snappy {
    static let magic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
    static let headerSize = 16
    /// xerial's default block size.
    static let blockSize = 32 * 1024

    static func compressXerial(_ input: UnsafeRawBufferPointer, into output: inout ByteBuffer) {
        output.writeBytes(magic)
        output.writeInteger(Int32(1))  // version
        output.writeInteger(Int32(1))  // minimum compatible version
        var offset = 0
        while offset < input.count {
            let chunk = UnsafeRawBufferPointer(rebasing: input[offset..<min(input.count, offset + blockSize)])
            let lengthIndex = output.writerIndex
            output.writeInteger(Int32(0))
            let bound = snappy_max_compressed_length(chunk.count)
            let written = output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { space in
                var length = space.count
                let status = snappy_compress(
                    chunk.baseAddress?.assumingMemoryBound(to: CChar.self), chunk.count,
                    space.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
                // snappy_compress only fails when the output is smaller than the bound.
                precondition(status == SNAPPY_OK, "snappy_compress failed with a bound-sized buffer")
                return length
            }
            output.setInteger(Int32(written), at: lengthIndex)
            offset += chunk.count
        }
    }

    static func decompress(_ input: UnsafeRawBufferPointer, into output: inout DecompressionOutput) throws(RecordsError) {
        guard isXerial(input, at: 0) else {
            try decompressBlock(input, into: &output)
            return
        }
        var offset = 0
        while offset < input.count {
            // xerial's reader accepts a further stream header mid-stream (concatenated streams).
            if isXerial(input, at: offset) {
                offset += headerSize
                continue
            }
            guard input.count - offset >= 4 else { throw output.failure("truncated xerial chunk length") }
            let length = Int(Int32(bigEndian: input.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
            offset += 4
            guard length >= 0, length <= input.count - offset else {
                throw output.failure("xerial chunk length \(length) exceeds the \(input.count - offset) bytes left")
            }
            try decompressBlock(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + length)]), into: &output)
            offset += length
        }
    }

    private static func isXerial(_ input: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard input.count - offset >= headerSize else { return false }
        for i in 0..<magic.count where input[offset + i] != magic[i] { return false }
        return true
    }

    private static func decompressBlock(_ block: UnsafeRawBufferPointer, into output: inout DecompressionOutput) throws(RecordsError) {
        let source = block.baseAddress?.assumingMemoryBound(to: CChar.self)
        var expected = 0
        guard snappy_uncompressed_length(source, block.count, &expected) == SNAPPY_OK else {
            throw output.failure("invalid snappy block header")
        }
        // No snappy element expands more than 64/3 times (a 3-byte copy of 64 bytes), so a larger
        // stated size is a lie; checking keeps a few bytes from reserving the whole limit.
        guard expected <= block.count * 22 + 32 else {
            throw output.failure("snappy block states \(expected) bytes from \(block.count)")
        }
        // The block states its size: refuse it before allocating when it would pass the limit.
        try output.reserve(exactly: expected)
        let ok = try output.write { space in
            guard space.count >= expected else { return (0, false) }
            var length = expected
            let status = snappy_uncompress(source, block.count, space.baseAddress?.assumingMemoryBound(to: CChar.self), &length)
            return status == SNAPPY_OK ? (length, true) : (0, false)
        }
        guard ok else { throw output.failure("corrupt snappy block") }
    }
}

import CCompression
import NIOCore

/// gzip through zlib, as Java's `GZIPOutputStream` / `GZIPInputStream` write and read it.
enum Gzip {
    /// zlib's window bits: 15 for the largest window, +16 to write a gzip header, +32 to accept
    /// either a gzip or a zlib header when reading.
    static let writeWindowBits: Int32 = 15 + 16
    static let readWindowBits: Int32 = 15 + 32

    static func compress(_ input: UnsafeRawBufferPointer, level: Int32?, into output: inout ByteBuffer) throws(RecordsError) {
        guard input.count <= Int(UInt32.max) else { throw .compressionFailed(.gzip, "input too large") }
        var stream = z_stream()
        let rc = gregor_deflateInit2(&stream, level ?? Z_DEFAULT_COMPRESSION, writeWindowBits)
        guard rc == Z_OK else { throw .compressionFailed(.gzip, "deflateInit2 returned \(rc)") }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count)))
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = UInt32(input.count)
        var status: Int32 = Z_OK
        output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { space in
            stream.next_out = space.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = UInt32(min(space.count, Int(UInt32.max)))
            status = deflate(&stream, Z_FINISH)
            return min(space.count, Int(UInt32.max)) - Int(stream.avail_out)
        }
        // deflateBound guarantees a single Z_FINISH call completes.
        guard status == Z_STREAM_END else { throw .compressionFailed(.gzip, "deflate returned \(status)") }
    }

    static func decompress(_ input: UnsafeRawBufferPointer, into output: inout DecompressionOutput) throws(RecordsError) {
        guard input.count <= Int(UInt32.max) else { throw output.failure("input too large") }
        var stream = z_stream()
        let rc = gregor_inflateInit2(&stream, readWindowBits)
        guard rc == Z_OK else { throw output.failure("inflateInit2 returned \(rc)") }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = UInt32(input.count)
        output.reserve(estimate: max(4096, input.count * 4))
        while true {
            let (status, filled) = try output.write { space in
                let available = min(space.count, Int(UInt32.max))
                stream.next_out = space.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = UInt32(available)
                let status = inflate(&stream, Z_NO_FLUSH)
                let written = available - Int(stream.avail_out)
                return (written, (status, stream.avail_out == 0))
            }
            switch status {
            case Z_STREAM_END:
                // Java's GZIPInputStream reads concatenated members and ignores anything after
                // the last one that is not a gzip header.
                guard stream.avail_in >= 2, stream.next_in[0] == 0x1F, stream.next_in[1] == 0x8B else { return }
                inflateReset(&stream)
            case Z_OK:
                continue
            case Z_BUF_ERROR where filled:
                continue
            case Z_BUF_ERROR:
                throw output.failure("truncated gzip stream")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw output.failure(message)
            }
        }
    }
}

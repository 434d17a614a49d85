#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaProtocol
import NIOCore

extension OpenFile {
    /// Writes the batches of `buffer` (each `sizes[i]` bytes, back to back) at `offset`, each
    /// with its first `RecordBatch.headerSize` bytes taken from `headers` instead: the leader's
    /// patched base offset, epoch, timestamp and CRC. One `pwritev` gathers the patched headers
    /// and the producer's record bytes, so the records are copied once, into the page cache, and
    /// the request's buffer is never copied on write (issue 13).
    func write(_ buffer: ByteBuffer, at offset: Int64, replacingHeaders headers: ByteBuffer, sizes: [Int64]) throws(StorageError) {
        let h = RecordBatch.headerSize
        precondition(headers.readableBytes == h * sizes.count, "one patched header per batch")
        var failure: StorageError?
        buffer.withUnsafeReadableBytes { body in
            headers.withUnsafeReadableBytes { patched in
                var vectors: [iovec] = []
                vectors.reserveCapacity(2 * sizes.count)
                var position = 0
                for (i, size) in sizes.enumerated() {
                    vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: patched.baseAddress! + i * h), iov_len: h))
                    let rest = Int(size) - h
                    if rest > 0 {
                        vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress! + position + h), iov_len: rest))
                    }
                    position += Int(size)
                }
                do throws(StorageError) { try writeVectors(&vectors, at: offset) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    /// `pwritev` of every vector, in runs of at most IOV_MAX, resuming after short writes.
    private func writeVectors(_ vectors: inout [iovec], at offset: Int64) throws(StorageError) {
        var first = 0
        var position = off_t(offset)
        let limit = 1024  // IOV_MAX on Linux (not exported to Swift)
        while first < vectors.count {
            let count = min(limit, vectors.count - first)
            let n = vectors.withUnsafeBufferPointer { Glibc.pwritev(descriptor, $0.baseAddress! + first, Int32(count), position) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("pwritev")
            }
            position += off_t(n)
            var written = n
            while written > 0 && first < vectors.count {
                let len = vectors[first].iov_len
                if written >= len {
                    written -= len
                    first += 1
                } else {
                    vectors[first].iov_base = vectors[first].iov_base! + written
                    vectors[first].iov_len -= written
                    written = 0
                }
            }
            while first < vectors.count && vectors[first].iov_len == 0 { first += 1 }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An index file mapped read-only, as Kafka's `AbstractIndex` maps its indexes: a fetch finds
/// where it starts and how far it may read with two binary searches of the offset index, about
/// twenty probes, each of which was a pread into a new buffer (issue 13: 23 preads a fetch of
/// 1 MiB). The mapping spans the most entries the index can hold, so appends (written with
/// pwrite, to the same page cache) are seen without remapping; only entries below the index's
/// count are read, which lie inside the file, so no read touches a page past its end.
final class IndexMapping {
    private let base: UnsafeRawPointer
    private let length: Int

    /// Maps `length` bytes of `file`; nil when the length is zero or mmap fails (the index is
    /// then read with pread).
    init?(_ file: OpenFile, length: Int) {
        guard length > 0 else { return nil }
        let p = mmap(nil, length, PROT_READ, MAP_SHARED, file.descriptor, 0)
        guard let p, p != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        self.base = UnsafeRawPointer(p)
        self.length = length
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), length) }

    /// The big-endian 32-bit word at `position`, nil past the mapping.
    func uint32(at position: Int) -> UInt32? {
        guard position >= 0, position + 4 <= length else { return nil }
        return UInt32(bigEndian: base.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    /// The big-endian 64-bit word at `position`, nil past the mapping.
    func uint64(at position: Int) -> UInt64? {
        guard position >= 0, position + 8 <= length else { return nil }
        return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }
}

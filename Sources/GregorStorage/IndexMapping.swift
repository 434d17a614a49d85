#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An index file mapped read-only, as Kafka's `AbstractIndex` maps its indexes: a fetch finds
/// where it starts and how far it may read with two binary searches of the offset index, about
/// twenty probes, each of which was a pread into a new buffer (issue 13: 23 preads a fetch of
/// 1 MiB). The mapping spans the most entries the index can hold, so appends (written with
/// pwrite, to the same page cache) are seen without remapping; only entries the index has
/// written are read through it, which lie inside the file, so no read touches a page past its
/// end (entries still held in memory are read from there).
///
/// `@unchecked Sendable`: the mapping is PROT_READ, never written through, and its pointer and
/// length are fixed at init; it is unmapped only in deinit, when no thread holds it any more.
final class IndexMapping: @unchecked Sendable {
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
}

/// An index's mapping, made on its first lookup, as Kafka's `LazyIndex` defers its indexes: a
/// broker holding many old segments maps only those it is fetched from (one mmap and one VMA
/// each), not every segment's index at start-up.
final class LazyIndexMapping: Sendable {
    private let file: LogFile
    private let length: Int
    /// nil until the first lookup; then the mapping, or nil inside when mmap failed (pread then).
    private let state = Mutex<IndexMapping??>(nil)

    init(file: LogFile, length: Int) {
        self.file = file
        self.length = length
    }

    /// The mapping, made now if this is the first lookup; nil when it cannot be made.
    func get() throws(StorageError) -> IndexMapping? {
        if let made = state.withLock({ $0 }) { return made }
        let mapping = IndexMapping(try file.open(), length: length)
        return state.withLock { current in
            if let made = current { return made }
            current = .some(mapping)
            return mapping
        }
    }
}

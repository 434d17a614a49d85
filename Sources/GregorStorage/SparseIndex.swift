import NIOCore

/// A sparse index beside a segment, in Kafka's on-disk format: `.index` entries are
/// (relative offset int32, position int32) and `.timeindex` entries (timestamp int64, relative
/// offset int32). Entries are appended in order and searched by binary search, so the index
/// lives in the page cache, not in the broker's memory: the offset index, which every fetch
/// searches twice, through a read-only mapping (`IndexMapping`), the time index (ListOffsets by
/// timestamp, rarely) with pread.
///
/// New entries wait in memory and reach the file `pendingLimit` at a time (and on sync,
/// truncation, rebuild and close), much as Kafka's entries, stored into a mapped index, reach
/// the file only at writeback. A pwrite an entry cost a syscall for most 16 KiB batches
/// (`index.interval.bytes` is 4 KiB) and, across 1,000 partitions, a journalled mtime update
/// too, each file's last write being a clock tick old: 7% of the broker's CPU there, 4% on one
/// partition (issue 13). Entries a crash loses only make the index sparser, which lookups allow
/// (they scan the log forward from the entry found); segments past the recovery point are
/// rebuilt on an unclean start anyway.
struct SparseIndex {
    enum Kind {
        /// `.index`: key = offset, value = file position.
        case offset
        /// `.timeindex`: key = timestamp, value = offset.
        case time

        var entrySize: Int { self == .offset ? 8 : 12 }
    }

    let kind: Kind
    let file: LogFile
    let baseOffset: Int64
    let maxEntries: Int
    private(set) var count: Int
    /// Entries in the file; those from here to `count` are in `pending`.
    private var written: Int
    /// Entries not yet written, in the file's format.
    private var pending = ByteBuffer()
    /// Entries held in memory before they are written together.
    static let pendingLimit = 64
    /// The last entry, kept in memory: appends and the common lookups near the end need no I/O.
    private(set) var last: (key: Int64, value: Int64)?
    /// The offset index's file mapped on its first lookup, up to the most entries it can hold.
    private let mapping: LazyIndexMapping?

    private init(kind: Kind, file: LogFile, baseOffset: Int64, maxEntries: Int, count: Int) throws(StorageError) {
        self.kind = kind
        self.file = file
        self.baseOffset = baseOffset
        self.maxEntries = maxEntries
        self.count = count
        self.written = count
        self.mapping = kind == .offset ? LazyIndexMapping(file: file, length: max(maxEntries, count) * kind.entrySize) : nil
    }

    var isFull: Bool { count >= maxEntries }

    /// Opens an index, or returns nil when its contents are not a valid index for a log of
    /// `logSize` bytes (then the caller rebuilds it).
    static func load(_ kind: Kind, file: LogFile, baseOffset: Int64, maxEntries: Int, logSize: Int64) throws(StorageError) -> SparseIndex? {
        let size = try file.open().size()
        guard size % Int64(kind.entrySize) == 0 else { return nil }
        var index = try SparseIndex(kind: kind, file: file, baseOffset: baseOffset, maxEntries: maxEntries, count: Int(size) / kind.entrySize)
        guard index.count > 0 else { return index }
        var previous: (key: Int64, value: Int64)?
        // Check the ends and the monotony of a sample, cheaply: a torn or stale index is rebuilt.
        for i in Set([0, index.count / 2, index.count - 1]).sorted() {
            let e = try index.entry(i)
            if let p = previous, e.key < p.key || e.value < p.value { return nil }
            previous = e
        }
        index.last = try index.entry(index.count - 1)
        if kind == .offset, let l = index.last, l.value > logSize { return nil }
        return index
    }

    static func empty(_ kind: Kind, file: LogFile, baseOffset: Int64, maxEntries: Int) throws(StorageError) -> SparseIndex {
        try file.open().truncate(to: 0)
        return try SparseIndex(kind: kind, file: file, baseOffset: baseOffset, maxEntries: maxEntries, count: 0)
    }

    /// Entry `i`, from `mapped` when given (lookups), else with pread (loading, truncation:
    /// a segment's start-up checks do not map its index); an entry not yet written, from memory.
    func entry(_ i: Int, mapped: IndexMapping? = nil) throws(StorageError) -> (key: Int64, value: Int64) {
        if i >= written {
            return decode(pending.getSlice(at: pending.readerIndex + (i - written) * kind.entrySize, length: kind.entrySize)!)
        }
        if kind == .offset, let mapped, let rel = mapped.uint32(at: i * kind.entrySize), let pos = mapped.uint32(at: i * kind.entrySize + 4) {
            return (baseOffset + Int64(Int32(bitPattern: rel)), Int64(pos))
        }
        return decode(try file.open().read(at: Int64(i * kind.entrySize), length: kind.entrySize))
    }

    private func decode(_ entry: ByteBuffer) -> (key: Int64, value: Int64) {
        var b = entry
        switch kind {
        case .offset:
            let rel = b.readInteger(as: Int32.self)!
            let pos = b.readInteger(as: Int32.self)!
            return (baseOffset + Int64(rel), Int64(UInt32(bitPattern: pos)))
        case .time:
            let ts = b.readInteger(as: Int64.self)!
            let rel = b.readInteger(as: Int32.self)!
            return (ts, baseOffset + Int64(rel))
        }
    }

    mutating func append(key: Int64, value: Int64) throws(StorageError) {
        guard !isFull else { return }
        if let l = last, key <= l.key { return }
        switch kind {
        case .offset:
            pending.writeInteger(Int32(truncatingIfNeeded: key - baseOffset))
            pending.writeInteger(UInt32(truncatingIfNeeded: value))
        case .time:
            pending.writeInteger(key)
            pending.writeInteger(Int32(truncatingIfNeeded: value - baseOffset))
        }
        count += 1
        last = (key, value)
        if count - written >= Self.pendingLimit { try writePending() }
    }

    /// Writes the entries held in memory to the file.
    mutating func writePending() throws(StorageError) {
        guard count > written else { return }
        try file.open().write(pending, at: Int64(written * kind.entrySize))
        written = count
        pending.clear()
    }

    /// The last entry whose key is at most `key`, or nil when every entry's key is larger.
    func floor(_ key: Int64) throws(StorageError) -> (key: Int64, value: Int64)? {
        try lastEntry { $0.key <= key }
    }

    /// The last entry whose value is at most `value` (for `.offset`: the last indexed batch
    /// starting at or before a file position), or nil when every entry's value is larger.
    func floor(value: Int64) throws(StorageError) -> (key: Int64, value: Int64)? {
        try lastEntry { $0.value <= value }
    }

    /// The last entry for which `holds` is true, by binary search (entries are monotonic in key
    /// and value, so `holds` is true up to some entry and false after it).
    private func lastEntry(_ holds: ((key: Int64, value: Int64)) -> Bool) throws(StorageError) -> (key: Int64, value: Int64)? {
        guard let l = last else { return nil }
        if holds(l) { return l }
        let mapped = try mapping?.get()
        var lo = 0
        var hi = count - 1
        var found: (key: Int64, value: Int64)?
        while lo <= hi {
            let mid = (lo + hi) / 2
            let e = try entry(mid, mapped: mapped)
            if holds(e) { found = e; lo = mid + 1 } else { hi = mid - 1 }
        }
        return found
    }

    /// Drops entries from the end while `drop` holds (truncation, recovery); entries are
    /// monotonic in key and value, so what is dropped is always a tail.
    mutating func truncate(while drop: (_ key: Int64, _ value: Int64) -> Bool) throws(StorageError) {
        try writePending()
        var keep = count
        while keep > 0 {
            let e = try entry(keep - 1)
            guard drop(e.key, e.value) else { break }
            keep -= 1
        }
        try file.open().truncate(to: Int64(keep * kind.entrySize))
        count = keep
        written = keep
        last = keep > 0 ? try entry(keep - 1) : nil
    }

    mutating func sync() throws(StorageError) {
        try writePending()
        try file.open().sync()
    }
}

import Synchronization

/// Bounds the number of open file descriptors, so 10,000 partitions (three files per segment)
/// fit under the process limit: files open on first use and the least recently used close when
/// the bound is reached. A closed file reopens transparently on its next use.
///
/// Every append and read touches its files here, so the bookkeeping is split into shards, each
/// with its own lock and its share of the capacity: appends to different partitions on different
/// threads rarely meet on one lock (issue 13: flat to 1,000 partitions).
public final class FileCache: Sendable {
    public let capacity: Int
    private struct Shard {
        var tick: UInt64 = 0
        var open: [ObjectIdentifier: (file: LogFile, lastUse: UInt64)] = [:]
    }
    /// A shard's lock (`Mutex` cannot be an array element itself: it is not copyable).
    private final class Locked: Sendable {
        let state = Mutex(Shard())
    }
    private let shards: [Locked]
    private let shardCapacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 8)
        // At least 64 descriptors a shard, so a small cache still evicts by recency overall.
        let count = max(1, min(16, self.capacity / 64))
        shards = (0..<count).map { _ in Locked() }
        shardCapacity = self.capacity / count
    }

    /// Files currently holding a descriptor (for tests and metrics).
    public var openCount: Int { shards.reduce(0) { $0 + $1.state.withLock { $0.open.count } } }

    private func shard(_ file: LogFile) -> Locked {
        shards[Int(UInt(bitPattern: ObjectIdentifier(file).hashValue) % UInt(shards.count))]
    }

    func touch(_ file: LogFile) {
        let capacity = shardCapacity
        let evicted: [LogFile] = shard(file).state.withLock { s in
            s.tick &+= 1
            s.open[ObjectIdentifier(file)] = (file, s.tick)
            guard s.open.count > capacity else { return [] }
            // Close the oldest eighth at once, so eviction's sort is paid rarely.
            let victims = s.open.values.sorted { $0.lastUse < $1.lastUse }.prefix(max(1, capacity / 8))
            for v in victims where v.file !== file { s.open[ObjectIdentifier(v.file)] = nil }
            return victims.map(\.file).filter { $0 !== file }
        }
        for f in evicted { f.dropDescriptor() }
    }

    func forget(_ file: LogFile) {
        _ = shard(file).state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(file)) }
    }
}

/// A file of the log (segment, index) that may or may not hold an open descriptor right now.
public final class LogFile: Sendable {
    public let path: String
    private let cache: FileCache
    private let handle = Mutex<OpenFile?>(nil)

    init(path: String, cache: FileCache) {
        self.path = path
        self.cache = cache
    }

    /// The open file, opening (or creating) it if needed.
    public func open() throws(StorageError) -> OpenFile {
        let existing = handle.withLock { $0 }
        if let existing {
            cache.touch(self)
            return existing
        }
        let file = try OpenFile(path: path, create: true)
        handle.withLock { $0 = file }
        cache.touch(self)
        return file
    }

    /// Drops this file's reference to its descriptor; regions still in flight keep it open.
    func dropDescriptor() {
        handle.withLock { $0 = nil }
    }

    /// Closes and removes the file from the cache (segment deletion, shutdown).
    func close() {
        dropDescriptor()
        cache.forget(self)
    }

    var isOpen: Bool { handle.withLock { $0 != nil } }
}

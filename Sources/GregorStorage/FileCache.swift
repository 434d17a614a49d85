import Synchronization

/// Bounds the number of open file descriptors, so 10,000 partitions (three files per segment)
/// fit under the process limit: files open on first use and the least recently used close when
/// the bound is reached. A closed file reopens transparently on its next use.
public final class FileCache: Sendable {
    public let capacity: Int
    private struct State {
        var tick: UInt64 = 0
        var open: [ObjectIdentifier: (file: LogFile, lastUse: UInt64)] = [:]
    }
    private let state = Mutex(State())

    public init(capacity: Int = 4096) {
        self.capacity = max(capacity, 8)
    }

    /// Files currently holding a descriptor (for tests and metrics).
    public var openCount: Int { state.withLock { $0.open.count } }

    func touch(_ file: LogFile) {
        let evicted: [LogFile] = state.withLock { s in
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
        _ = state.withLock { $0.open.removeValue(forKey: ObjectIdentifier(file)) }
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

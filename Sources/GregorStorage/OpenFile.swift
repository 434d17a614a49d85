#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// An open file descriptor, closed when the last reference goes away. Reads hand out references
/// (in `LogRegion`s), so a file evicted from the cache or deleted by retention stays readable
/// until the bytes in flight have been sent.
public final class OpenFile: Sendable {
    public let descriptor: Int32
    public let path: String

    init(path: String, create: Bool) throws(StorageError) {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = Glibc.open(path, flags, 0o644)
        guard fd >= 0 else { throw StorageError(.io(errno: errno, operation: "open"), path: path) }
        self.descriptor = fd
        self.path = path
    }

    deinit { _ = Glibc.close(descriptor) }

    func fail(_ operation: String) -> StorageError {
        StorageError(.io(errno: errno, operation: operation), path: path)
    }

    /// Reads up to `length` bytes at `offset`; fewer only at the end of the file.
    public func read(at offset: Int64, length: Int) throws(StorageError) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: length)
        var done = 0
        while done < length {
            let n = buffer.withUnsafeMutableWritableBytes { raw in
                Glibc.pread(descriptor, raw.baseAddress, length - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("pread")
            }
            if n == 0 { break }
            buffer.moveWriterIndex(forwardBy: n)
            done += n
        }
        return buffer
    }

    /// Writes all of `buffer` at `offset`.
    public func write(_ buffer: ByteBuffer, at offset: Int64) throws(StorageError) {
        var done = 0
        let total = buffer.readableBytes
        while done < total {
            let n = buffer.withUnsafeReadableBytes { raw in
                Glibc.pwrite(descriptor, raw.baseAddress! + done, total - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("pwrite")
            }
            done += n
        }
    }

    public func sync() throws(StorageError) {
        guard Glibc.fsync(descriptor) == 0 else { throw fail("fsync") }
    }

    public func truncate(to size: Int64) throws(StorageError) {
        guard Glibc.ftruncate(descriptor, off_t(size)) == 0 else { throw fail("ftruncate") }
    }

    public func size() throws(StorageError) -> Int64 {
        var st = stat()
        guard Glibc.fstat(descriptor, &st) == 0 else { throw fail("fstat") }
        return Int64(st.st_size)
    }
}

/// A region of a segment file: what a fetch sends, straight from the page cache to the socket
/// (sendfile) on plaintext connections, or read into memory for TLS.
public struct LogRegion: Sendable, Equatable {
    public let file: OpenFile
    public let position: Int64
    public let length: Int

    /// The bytes, read into memory (for TLS connections and tests).
    public func read() throws(StorageError) -> ByteBuffer {
        try file.read(at: position, length: length)
    }

    /// The same bytes of the same open file.
    public static func == (a: LogRegion, b: LogRegion) -> Bool {
        a.file === b.file && a.position == b.position && a.length == b.length
    }
}

/// File-system helpers.
enum FS {
    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func mkdirs(_ path: String) throws(StorageError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw StorageError(.io(errno: errno, operation: "mkdir"), path: current)
            }
        }
    }

    static func list(_ path: String) throws(StorageError) -> [String] {
        guard let dir = opendir(path) else { throw StorageError(.io(errno: errno, operation: "opendir"), path: path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func remove(_ path: String) throws(StorageError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw StorageError(.io(errno: errno, operation: "unlink"), path: path) }
    }

    static func rename(_ from: String, _ to: String) throws(StorageError) {
        guard Glibc.rename(from, to) == 0 else { throw StorageError(.io(errno: errno, operation: "rename to \(to)"), path: from) }
    }

    /// Removes a directory and everything in it.
    static func removeTree(_ path: String) throws(StorageError) {
        for name in (try? list(path)) ?? [] {
            let child = path + "/" + name
            var st = stat()
            if lstat(child, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR { try removeTree(child) } else { try remove(child) }
        }
        guard rmdir(path) == 0 || errno == ENOENT else { throw StorageError(.io(errno: errno, operation: "rmdir"), path: path) }
    }

    /// fsyncs a directory, so a rename or a new file in it survives a crash.
    static func syncDirectory(_ path: String) throws(StorageError) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError(.io(errno: errno, operation: "open dir"), path: path) }
        defer { _ = Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw StorageError(.io(errno: errno, operation: "fsync dir"), path: path) }
    }

    /// Writes `contents` to `path` atomically: a temporary file, fsync, rename, fsync the directory.
    /// Without `sync` nothing is fsynced: a crash may leave the file empty or torn, so only
    /// files whose reader checks them (a CRC) and can do without them are written so.
    static func writeAtomically(_ contents: ByteBuffer, to path: String, sync: Bool = true) throws(StorageError) {
        let tmp = path + ".tmp"
        do {
            let file = try OpenFile(path: tmp, create: true)
            try file.truncate(to: 0)
            try file.write(contents, at: 0)
            if sync { try file.sync() }
        }
        try rename(tmp, path)
        if sync { try syncDirectory(directory(of: path)) }
    }

    /// The directory holding `path` ("." for a bare name).
    static func directory(of path: String) -> String {
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return dir.isEmpty ? "." : dir
    }

    static func mtimeMs(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
    }
}

/// Writes `contents` to `path` durably: a temporary file, fsync, rename over `path`, fsync of the
/// directory. A crash leaves the old contents or the new, never a mix.
public func writeFileDurably(_ contents: ByteBuffer, to path: String) throws(StorageError) {
    try FS.writeAtomically(contents, to: path)
}

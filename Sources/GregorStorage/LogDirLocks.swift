#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Kafka's `.lock` file in every log dir (`LogManager.lockLogDirs`), held for as long as the
/// broker runs: a second broker started on the same directories (a restart while the old
/// process is still flushing, a copy-pasted config) is refused before it reads or writes
/// anything there, instead of recovering, truncating and appending to logs that the first
/// one is still writing.
public final class LogDirLocks: Sendable {
    public static let fileName = ".lock"
    private let descriptors: Mutex<[Int32]>

    /// Another broker holds a log dir's lock.
    public struct Locked: Error, CustomStringConvertible {
        public let directory: String
        public var description: String {
            "Failed to acquire lock on file .lock in \(directory). A Kafka instance in another process or thread is using this directory."
        }
    }

    /// Creates the dirs if needed and locks each; throws `Locked` (or a `StorageError`), holding
    /// none, if any cannot be locked.
    public init(_ dirs: [String]) throws {
        var held: [Int32] = []
        for dir in dirs {
            do {
                try FS.mkdirs(dir)
                held.append(try Self.lock(dir))
            } catch {
                for fd in held { _ = close(fd) }
                throw error
            }
        }
        descriptors = Mutex(held)
    }

    private static func lock(_ dir: String) throws -> Int32 {
        let path = dir + "/" + fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError(.io(errno: errno, operation: "open"), path: path) }
        // flock: held by this open file, so a second broker in the same process is refused too,
        // and released by the kernel when the process dies, however it dies.
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            _ = close(fd)
            if code == EWOULDBLOCK { throw Locked(directory: dir) }
            throw StorageError(.io(errno: code, operation: "flock"), path: path)
        }
        return fd
    }

    /// Unlocks every dir (clean shutdown); later calls do nothing.
    public func release() {
        let fds = descriptors.withLock { fds in
            defer { fds = [] }
            return fds
        }
        for fd in fds { _ = close(fd) }
    }

    deinit { release() }
}

import Foundation
import Testing
@testable import GregorStorage

/// Kafka's `.lock` in each log dir: a second broker on the same directories is refused before
/// it touches them.
@Suite struct LogDirLockTests {
    @Test func aLockedDirIsRefusedUntilReleased() throws {
        let dir = TempDir()
        let first = try LogDirLocks([dir.path])
        #expect(FileManager.default.fileExists(atPath: dir.path + "/.lock"))
        #expect(throws: LogDirLocks.Locked.self) { try LogDirLocks([dir.path]) }
        first.release()
        let second = try LogDirLocks([dir.path])
        second.release()
    }

    @Test func aRefusedStartHoldsNoneOfItsDirs() throws {
        let free = TempDir(), taken = TempDir()
        let other = try LogDirLocks([taken.path])
        do {
            _ = try LogDirLocks([free.path, taken.path])
            Issue.record("locked a dir another holder has")
        } catch let error as LogDirLocks.Locked {
            #expect(error.directory == taken.path)
            #expect(error.description == "Failed to acquire lock on file .lock in \(taken.path). A Kafka instance in another process or thread is using this directory.")
        }
        // The dir locked before the refusal was let go.
        let again = try LogDirLocks([free.path])
        again.release()
        other.release()
    }

    @Test func theLockGoesWithItsHolder() throws {
        let dir = TempDir()
        do { _ = try LogDirLocks([dir.path]) }
        let next = try LogDirLocks([dir.path])
        next.release()
    }
}

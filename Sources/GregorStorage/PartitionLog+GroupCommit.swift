import Synchronization

/// Group commit of fsyncs for appends made with `deferFlush` (issue 13).
///
/// With `flush.messages=1` Kafka fsyncs inside every append, under the log's lock, so producers
/// of one partition wait for each other's fsyncs one by one. Here the append only writes; the
/// first caller that needs the data durable runs the fsync outside the lock, and every caller
/// that asks while it runs is covered by the next one: one fsync for all the batches that
/// arrived during the previous. The files are synced while appends go on, so the fsync makes
/// durable at least what was written when it started, which is what it reports.
final class GroupCommit: Sendable {
    private struct Waiter {
        var offset: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var running = false
        var waiters: [Waiter] = []
    }
    private let state = Mutex(State())

    /// Waits until a flush reaching `offset` completes, running flushes on the calling thread
    /// when none is running (so call it where blocking is allowed).
    func wait(upTo offset: Int64, flush: () throws -> Int64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let lead = state.withLock { s -> Bool in
                s.waiters.append(Waiter(offset: offset, continuation: continuation))
                if s.running { return false }
                s.running = true
                return true
            }
            guard lead else { return }
            var previous = Int64.min
            while true {
                let outcome = Result { try flush() }
                let (ready, more) = state.withLock { s -> ([Waiter], Bool) in
                    let ready: [Waiter]
                    switch outcome {
                    case .success(let durable) where durable > previous:
                        ready = s.waiters.filter { $0.offset <= durable }
                        s.waiters.removeAll { $0.offset <= durable }
                    default:
                        // An error answers everyone; a flush that got no further than the last
                        // one means the waiters' offsets were truncated away: nothing to wait for.
                        ready = s.waiters
                        s.waiters.removeAll()
                    }
                    s.running = !s.waiters.isEmpty
                    return (ready, s.running)
                }
                for w in ready {
                    switch outcome {
                    case .success: w.continuation.resume()
                    case .failure(let error): w.continuation.resume(throwing: error)
                    }
                }
                guard more, case .success(let durable) = outcome else { return }
                previous = durable
            }
        }
    }
}

extension PartitionLog {
    /// Returns once everything below `offset` has been fsynced: at once if the recovery point
    /// is there, else through the partition's group commit. Blocks the calling thread while it
    /// leads a flush: call it from the I/O threads, never an event loop.
    public func makeDurable(upTo offset: Int64) async throws(StorageError) {
        if state.withLock({ $0.recoveryPoint >= offset || $0.closed }) { return }
        do {
            try await groupCommit.wait(upTo: offset) { () throws -> Int64 in try self.flushOutsideLock() }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io(errno: 0, operation: "\(error)"), path: directory)
        }
    }

    /// fsyncs the segments not yet flushed (those below `limit`: a roll's base, as Kafka's
    /// `flushUptoOffsetExclusive`) without holding the lock while the disk works, and moves the
    /// recovery point to the log end seen before the fsync, or to `limit`. Returns the new
    /// recovery point, or `Int64.max` for a closed log (nothing left to wait for).
    @discardableResult
    public func flushOutsideLock(upTo limit: Int64 = Int64.max) throws(StorageError) -> Int64 {
        let taken = try state.withLock { (s: inout State) throws(StorageError) -> (files: [OpenFile], snapshot: String?, upTo: Int64)? in
            guard !s.closed else { return nil }
            var files: [OpenFile] = []
            for seg in s.segments where seg.nextOffset > s.recoveryPoint && seg.baseOffset < limit { files += try seg.filesToSync() }
            return (files, s.unsyncedSnapshot.take(), min(limit, s.logEndOffset))
        }
        guard let (files, snapshot, upTo) = taken else { return Int64.max }
        do {
            for file in files { try file.sync() }
            if let snapshot { try ProducerStateSnapshot.sync(snapshot) }
        } catch {
            // Left for the next flush to retry, unless a newer roll's snapshot replaced it.
            if let snapshot { state.withLock { s in if s.unsyncedSnapshot == nil { s.unsyncedSnapshot = snapshot } } }
            throw error
        }
        return state.withLock { s in
            // A truncation meanwhile may have taken the log end below what was synced.
            let durable = min(upTo, s.logEndOffset)
            if durable > s.recoveryPoint { s.recoveryPoint = durable }
            if s.recoveryPoint >= s.logEndOffset { s.unflushedMessages = 0 }
            return upTo
        }
    }
}

/// The fsyncs an operation under a log's lock made due, run once the lock is released so that
/// fetches and appends to the partition do not wait on the disk.
struct DueFlush {
    /// `flush.messages` was reached: the operation answers only after the fsync.
    var requested: Bool
    /// A roll: the segments below this offset and the producer snapshot (KAFKA-15046).
    var roll: Int64?
}

extension PartitionLog {
    /// Runs `body` under the log's lock and takes the fsyncs it made due, for `flush(_:)` (or a
    /// client append's group commit) to run after the lock is released.
    func withLockTakingFlush<T: Sendable, E: Error>(_ body: (inout State) throws(E) -> T) throws(E) -> (T, DueFlush) {
        try state.withLock { (s: inout State) throws(E) -> (T, DueFlush) in
            let value = try body(&s)
            defer { (s.flushRequested, s.rollFlushDue) = (false, nil) }
            return (value, DueFlush(requested: s.flushRequested, roll: s.rollFlushDue))
        }
    }

    /// Runs the fsyncs `due` names outside the lock: `flush.messages`' on the calling thread, a
    /// roll's through the `rollFlusher` when there is one.
    func flush(_ due: DueFlush) throws(StorageError) {
        if due.requested {
            try flushOutsideLock()
        } else if let upTo = due.roll {
            if let rollFlusher {
                rollFlusher.flush(self, upTo: upTo)
            } else {
                try flushOutsideLock(upTo: upTo)
            }
        }
    }
}

/// Runs the fsync a roll leaves due (the segments below the new one, and the producer snapshot)
/// after the append that rolled, on a thread that may block. Kafka's roll hands it to the
/// broker's scheduler (`scheduleOnce("flush-log")`, KAFKA-15046) whichever path appended, so no
/// append waits for it. The `LogManager` owns one and gives it to every log it opens.
public struct RollFlusher: Sendable {
    let schedule: @Sendable (@escaping @Sendable () -> Void) -> Void

    /// `schedule` runs the work it is given soon, on a thread that may block.
    public init(_ schedule: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) {
        self.schedule = schedule
    }

    /// A failure is logged; the next flush retries what it left (the recovery point stays).
    func flush(_ log: PartitionLog, upTo offset: Int64) {
        schedule {
            do throws(StorageError) { try log.flushOutsideLock(upTo: offset) } catch {
                log.logger.error("fsync of \(log.topicPartition) after a roll failed: \(error)")
            }
        }
    }
}

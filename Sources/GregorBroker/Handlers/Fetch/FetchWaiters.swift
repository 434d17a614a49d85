import GregorStorage
import NIOCore
import NIOPosix
import Synchronization

/// Wakes long-polling fetches, and acks=all produces waiting on a high watermark, when a
/// partition they watch moves: Kafka's purgatory keys a `DelayedFetch` or `DelayedProduce` by
/// its partitions, so an append to one partition does not wake the waits on the others.
///
/// A wait's deadline is a timer on the event loop it runs on (or a sleeping task off the
/// loops), cancelled when the wait is woken: no task group and no sleeping task per long poll.
final class FetchWaiters: Sendable {
    static let shared = FetchWaiters()

    private struct Waiter {
        var continuation: CheckedContinuation<Void, Never>
        /// nil: woken by a move of any partition.
        var partitions: [TopicPartition]?
        var cancelTimer: (@Sendable () -> Void)?
    }
    private struct State {
        /// Moves so far, of any partition: a wait that began after a caller's read closes the
        /// race with a move in between by returning at once.
        var generation: UInt64 = 0
        var nextId: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var byPartition: [TopicPartition: [UInt64]] = [:]
        var watchingAll: Set<UInt64> = []
    }
    private let state = Mutex(State())

    var generation: UInt64 { state.withLock { $0.generation } }

    /// `partition` moved (an append, its high watermark, its leadership): wakes the waits that
    /// watch it. Without a partition every wait is woken.
    func notify(_ partition: TopicPartition? = nil) {
        let woken = state.withLock { s -> [Waiter] in
            s.generation &+= 1
            let ids = partition.map { Array(s.watchingAll) + (s.byPartition[$0] ?? []) } ?? Array(s.waiters.keys)
            return ids.compactMap { Self.remove($0, &s) }
        }
        for w in woken {
            w.cancelTimer?()
            w.continuation.resume()
        }
    }

    /// Returns after a move of one of `partitions` (of any partition when nil), at once if any
    /// partition moved since `generation` was read, or at `deadline`.
    func wait(since generation: UInt64, until deadline: ContinuousClock.Instant, watching partitions: [TopicPartition]? = nil) async {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let id = state.withLock { s -> UInt64? in
                guard s.generation == generation else { return nil }
                s.nextId &+= 1
                let id = s.nextId
                s.waiters[id] = Waiter(continuation: c, partitions: partitions)
                if let partitions {
                    for p in partitions { s.byPartition[p, default: []].append(id) }
                } else {
                    s.watchingAll.insert(id)
                }
                return id
            }
            guard let id else { return c.resume() }
            let cancel = Self.schedule(after: remaining) { [self] in expire(id) }
            // Woken before the timer was set: the timer has nothing left to do.
            let woken = state.withLock { s -> Bool in
                guard s.waiters[id] != nil else { return true }
                s.waiters[id]?.cancelTimer = cancel
                return false
            }
            if woken { cancel() }
        }
    }

    /// A wait's deadline passed: wakes it alone.
    private func expire(_ id: UInt64) {
        state.withLock { Self.remove(id, &$0) }?.continuation.resume()
    }

    private static func remove(_ id: UInt64, _ s: inout State) -> Waiter? {
        guard let w = s.waiters.removeValue(forKey: id) else { return nil }
        guard let partitions = w.partitions else {
            s.watchingAll.remove(id)
            return w
        }
        for p in partitions {
            s.byPartition[p]?.removeAll { $0 == id }
            if s.byPartition[p]?.isEmpty == true { s.byPartition[p] = nil }
        }
        return w
    }

    /// Runs `body` after `delay` on the calling event loop, or in a task when not on one;
    /// returns what cancels it.
    private static func schedule(after delay: Duration, _ body: @escaping @Sendable () -> Void) -> @Sendable () -> Void {
        if let loop = MultiThreadedEventLoopGroup.currentEventLoop {
            let (seconds, attoseconds) = delay.components
            let timer = loop.scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)) { body() }
            return { timer.cancel() }
        }
        let task = Task {
            try? await Task.sleep(for: delay)
            if !Task.isCancelled { body() }
        }
        return { task.cancel() }
    }
}

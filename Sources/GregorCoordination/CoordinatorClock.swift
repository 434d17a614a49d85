/// The coordinator's time: milliseconds on some clock, and a way to wait for one of them.
/// The broker passes the wall clock; tests pass a manual clock and move it themselves, so
/// session and rebalance timeouts are tested without sleeping.
public protocol CoordinatorClock: Sendable {
    /// Milliseconds (the broker: since the epoch).
    func now() -> Int64
    /// Returns once `now() >= deadline`, at once if it already is; throws when the task is cancelled.
    func sleep(until deadline: Int64) async throws
}

/// A clock read by a closure, waited on with `Task.sleep`.
public struct SystemCoordinatorClock: CoordinatorClock {
    private let read: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) {
        self.read = now
    }

    public func now() -> Int64 { read() }

    public func sleep(until deadline: Int64) async throws {
        // Re-read after waking: a wall clock may have been stepped back while we slept.
        var remaining = deadline - read()
        while remaining > 0 {
            try await Task.sleep(for: .milliseconds(remaining))
            remaining = deadline - read()
        }
    }
}

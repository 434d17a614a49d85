import Synchronization

/// Live counts across a server's connections, for tests and, later, metrics.
public final class ConnectionStats: Sendable {
    private let open = Atomic<Int>(0)
    private let queued = Atomic<Int>(0)
    private let paused = Atomic<Int>(0)
    private let read = Atomic<Int>(0)

    public init() {}

    /// Connections currently open.
    public var openConnections: Int { open.load(ordering: .relaxed) }
    /// Requests read but not yet answered, over all connections.
    public var queuedRequests: Int { queued.load(ordering: .relaxed) }
    /// Connections not being read because their requests or responses have piled up.
    public var pausedConnections: Int { paused.load(ordering: .relaxed) }

    /// Requests read since the server started.
    public var requestsRead: Int { read.load(ordering: .relaxed) }

    func connectionOpened() { open.add(1, ordering: .relaxed) }

    func connectionClosed(paused wasPaused: Bool) {
        open.subtract(1, ordering: .relaxed)
        if wasPaused { paused.subtract(1, ordering: .relaxed) }
    }

    func requestsQueued(_ delta: Int) {
        queued.add(delta, ordering: .relaxed)
        if delta > 0 { read.add(delta, ordering: .relaxed) }
    }
    func pausedChanged(_ delta: Int) { paused.add(delta, ordering: .relaxed) }
}

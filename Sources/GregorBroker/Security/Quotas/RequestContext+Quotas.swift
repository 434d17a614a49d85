import Synchronization

/// How long the connection of one request is to be muted once its response is out (KIP-219),
/// set by the handler and read by the channel.
final class RequestThrottle: Sendable {
    private let state = Mutex<(throttleMs: Int64, handledNanos: Int64, waitedNanos: Int64)>((0, 0, 0))

    var throttleMs: Int64 { state.withLock { $0.throttleMs } }
    /// How long the handler ran.
    var handledNanos: Int64 { state.withLock { $0.handledNanos } }
    /// Time the handler spent parked (a fetch's long poll), which is not request-thread time.
    var waitedNanos: Int64 { state.withLock { $0.waitedNanos } }

    func throttle(_ ms: Int64) { state.withLock { $0.throttleMs = max($0.throttleMs, ms) } }
    func handled(_ duration: Duration) { state.withLock { $0.handledNanos += Self.nanos(duration) } }
    func waited(_ duration: Duration) { state.withLock { $0.waitedNanos += Self.nanos(duration) } }

    static func nanos(_ d: Duration) -> Int64 { d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000 }
}

extension RequestContext {
    /// The user a quota names: the principal's name (`alice` for `User:alice`).
    var quotaUser: String { DelegationTokenRules.split(principal).1 }

    /// Records `value` against the caller's quota of `type` and returns the throttle time.
    func recordQuota(_ type: ClientQuotaType, _ value: Double) -> Int64 {
        broker.clientQuotas.record(type, user: quotaUser, clientId: clientId ?? "", value: value, now: broker.clock())
    }

    /// Throttles the caller for `ms` (KIP-219): a client that throttles itself (Produce v6+,
    /// Fetch v8+) gets its response at once and the connection is muted after it; for an older
    /// one the broker holds the response back for that long, as Kafka did before.
    func throttle(_ ms: Int64, clientThrottles: Bool) async {
        guard ms > 0 else { return }
        throttle.throttle(ms)
        if !clientThrottles { try? await Task.sleep(for: .milliseconds(ms)) }
    }
}

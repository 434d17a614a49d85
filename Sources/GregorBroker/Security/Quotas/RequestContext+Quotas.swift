import Synchronization

/// The quota throttles of one request (KIP-13, KIP-124), shared by its handler and its channel.
final class RequestThrottle: Sendable {
    private struct State {
        /// The longest byte-rate throttle a handler recorded.
        var bandwidthMs: Int64 = 0
        /// When the handler started, for request_percentage.
        var began: ContinuousClock.Instant?
        /// Time the handler spent parked (a fetch's long poll), which is not request-thread time.
        var waitedNanos: Int64 = 0
        /// The throttle the response reports, once the request time is recorded.
        var responseMs: Int64?
    }

    private let state = Mutex(State())

    /// The throttle the response reported (0 before it is known): the channel is muted this long.
    var responseMs: Int64 { state.withLock { $0.responseMs ?? 0 } }

    func started(at instant: ContinuousClock.Instant) { state.withLock { $0.began = instant } }
    func throttle(_ ms: Int64) { state.withLock { $0.bandwidthMs = max($0.bandwidthMs, ms) } }
    func waited(_ duration: Duration) { state.withLock { $0.waitedNanos += Self.nanos(duration) } }

    /// Settles the response's throttle once: `requestMs` turns the request's thread time in
    /// nanoseconds into a request-quota throttle, or is nil for a request that quota exempts.
    func settle(requestMs: ((Int64) -> Int64)?) -> Int64 {
        let (settled, busy, bandwidth) = state.withLock { state -> (Int64?, Int64, Int64) in
            let elapsed = state.began.map { Self.nanos(ContinuousClock.now - $0) } ?? 0
            return (state.responseMs, max(0, elapsed - state.waitedNanos), state.bandwidthMs)
        }
        if let settled { return settled }
        // Recorded outside the lock: `requestMs` takes the quota sensors' own locks. Should two
        // callers race here, the first to store its total is the request's throttle.
        let total = max(bandwidth, requestMs?(busy) ?? 0)
        return state.withLock { state in
            if state.responseMs == nil { state.responseMs = total }
            return state.responseMs!
        }
    }

    static func nanos(_ d: Duration) -> Int64 { d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000 }
}

extension RequestContext {
    /// The user a quota names: the principal's name (`alice` for `User:alice`).
    var quotaUser: String { DelegationTokenRules.split(principal).1 }

    /// Records `value` against the caller's quota of `type` and returns the throttle time.
    func recordQuota(_ type: ClientQuotaType, _ value: Double) -> Int64 {
        broker.clientQuotas.record(type, user: quotaUser, clientId: clientId ?? "", value: value, now: broker.clock())
    }

    /// Takes back `value` recorded against the caller's quota of `type`, for bytes a throttled
    /// response does not carry after all (ClientQuotaManager.unrecordQuotaSensor).
    func unrecordQuota(_ type: ClientQuotaType, _ value: Double) {
        _ = broker.clientQuotas.record(type, user: quotaUser, clientId: clientId ?? "", value: -value, now: broker.clock())
    }

    /// Throttles the caller for `ms` of a byte-rate quota. The response reports it and the
    /// connection is muted after it is sent, at every version, as Kafka has done since 2.0
    /// (KIP-219): a client older than KIP-219 does not wait by itself, but its next request
    /// is not read until the mute ends.
    func throttle(_ ms: Int64) {
        if ms > 0 { throttle.throttle(ms) }
    }

    /// The throttle this request's response reports (KIP-219): the longer of its byte-rate
    /// throttles and the request quota's, for which the handler's time so far (less a fetch's
    /// long poll) counts as a percentage of one thread (KIP-124,
    /// ClientRequestQuotaManager.nanosToPercentage: 100 per second). Recorded once; `exempt`
    /// requests count against no request quota.
    func responseThrottleMs(exempt: Bool) -> Int64 {
        throttle.settle(requestMs: exempt ? nil : { busyNanos in
            self.recordQuota(.request, Double(busyNanos) * 100 / 1_000_000_000)
        })
    }
}

import KafkaProtocol
import NIOCore

extension KafkaChannelHandler {
    /// Whether a request counts against no request quota: logging in is done by Kafka's
    /// authenticator, before any quota applies, and so is everything before it succeeds.
    func quotaExempt(_ apiKey: ApiKey) -> Bool {
        apiKey == .saslHandshake || apiKey == .saslAuthenticate || !machine.isAuthenticated
    }

    /// After a response is sent, the connection is muted for as long as it said (KIP-219).
    func throttleAfter(_ context: ChannelHandlerContext, _ apiKey: ApiKey, _ request: RequestContext) {
        let throttleMs = request.throttle.responseMs
        guard throttleMs > 0 else { return }
        logger.debug("throttled for \(throttleMs) ms by a client quota after \(apiKey.name)")
        mute(context, untilMs: throttleMs)
    }
}

extension Reply {
    /// The reply reporting `ms` of throttling wherever its version has room (KIP-219). A reply
    /// without `throttle_time_ms` at that version is muted all the same.
    func reportingThrottle(_ ms: Int64, version: Int16) -> Reply {
        guard ms > 0 else { return self }
        let ms = Int32(clamping: ms)
        switch self {
        case .message(let body):
            guard let throttled = body as? any KafkaThrottledResponse else { return self }
            return .message(throttled.reportingThrottle(ms, version: version))
        case .fetch(let response, let regions):
            return .fetch(response.reportingThrottle(ms, version: version), regions: regions)
        }
    }
}

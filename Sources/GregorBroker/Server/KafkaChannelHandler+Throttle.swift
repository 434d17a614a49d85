import KafkaProtocol
import NIOCore

extension KafkaChannelHandler {
    /// The APIs a request quota never counts: those of connecting and logging in.
    static let quotaExempt: Set<ApiKey> = [.apiVersions, .saslHandshake, .saslAuthenticate]

    /// After a response: the request's time on a handler thread (less a fetch's long poll)
    /// counts against request_percentage, Kafka's percentage of one thread (KIP-124); the
    /// connection is muted for the longer of that throttle and the handler's own (byte rates).
    func throttleAfter(_ context: ChannelHandlerContext, _ apiKey: ApiKey, _ request: RequestContext) {
        var throttleMs = request.throttle.throttleMs
        if !Self.quotaExempt.contains(apiKey) {
            let busy = max(0, request.throttle.handledNanos - request.throttle.waitedNanos)
            // ClientRequestQuotaManager.nanosToPercentage: 100 per second of thread time.
            throttleMs = max(throttleMs, request.recordQuota(.request, Double(busy) * 100 / 1_000_000_000))
        }
        guard throttleMs > 0 else { return }
        logger.debug("throttled for \(throttleMs) ms by a client quota after \(apiKey.name)")
        mute(context, untilMs: throttleMs)
    }
}

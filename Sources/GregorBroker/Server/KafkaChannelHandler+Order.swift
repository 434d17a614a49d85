import KafkaProtocol
import NIOCore

// A connection's requests go to their handlers one at a time, in the order they were read, as
// Kafka's processor mutes a channel until its request is answered; the answer of each is
// written in its place (`finish`) and the next request starts once its quota throttle is known.
// One exception: a request whose effects are all done and that only waits (a produce's fsync
// under `flush.messages`, its followers' acks under acks=all) lets the next start before it is
// answered (`RequestContext.letNextRequestStart`). Kafka keeps the channel muted through such a
// wait, so a producer's pipelined requests each wait their own fsync or replication round in
// turn; here the next append joins the pending fsync (one group commit) or replication round.
// The order of appends and of answers is Kafka's; only when the next request starts differs.
extension KafkaChannelHandler {
    /// Writes a handler's answer in its place, then starts the next request.
    func answered(
        _ context: ChannelHandlerContext, _ result: Result<ResponseFrame?, any Error>, sequence: Int, apiKey: ApiKey, version: Int16,
        _ request: RequestContext
    ) {
        let released = wasReleased(sequence)
        switch result {
        case .success(let bytes):
            // Logging in flushes at once: a refused handshake closes straight after its answer.
            let batched = machine.isAuthenticated && apiKey != .saslHandshake && apiKey != .saslAuthenticate
            let wrote = finish(context, sequence, bytes, flush: !batched)
            // The next request starts once this one is answered and its quota throttle is known.
            throttleAfter(context, apiKey, request)
            if !released { startNextRequest(context) }
            if wrote && batched { flushSoon(context) }
            if apiKey == .saslHandshake || apiKey == .saslAuthenticate {
                saslAnswered(context)
            } else if authenticationInFlight {
                // ApiVersions before the handshake.
                authenticationInFlight = false
                handleFrames(context)
            }
        case .failure(let error):
            let what = "\(apiKey.name) v\(version): \(error)"
            close(context, error is KafkaDecodingError ? machine.malformedRequest(what) : machine.requestAbandoned(what))
            finish(context, sequence, nil)
            if !released { startNextRequest(context) }
        }
    }

    /// Starts the next request before request `sequence` is answered, unless its quota throttle
    /// (settled now) holds the connection or it was answered or released already.
    func startNextEarly(_ context: ChannelHandlerContext, sequence: Int, _ request: RequestContext, exempt: Bool) {
        guard !closing, request.responseThrottleMs(exempt: exempt) == 0, markReleased(sequence) else { return }
        startNextRequest(context)
    }

    func startNextRequest(_ context: ChannelHandlerContext) {
        guard let next = waitingRequests.popFirst() else {
            requestRunning = false
            return
        }
        startWhenUnmuted(context, next)
    }

    /// A quota throttle holds back the requests already read, as Kafka's muted channel would
    /// not have read them (ThrottledChannel).
    func startWhenUnmuted(_ context: ChannelHandlerContext, _ start: @escaping @Sendable () -> Void) {
        if let until = mutedUntil, until > .now() {
            context.eventLoop.scheduleTask(deadline: until, start)
        } else {
            start()
        }
    }
}

/// The connection as its requests see it, made on its first request: a request carries its
/// sequence and this, not callbacks of its own, to be answered or to let the next one start
/// (``RequestContext/letNextRequestStart()``).
final class ConnectionHook: Sendable {
    private let bound: NIOLoopBound<(KafkaChannelHandler, ChannelHandlerContext)>

    init(_ handler: KafkaChannelHandler, _ context: ChannelHandlerContext) {
        bound = NIOLoopBound((handler, context), eventLoop: context.eventLoop)
    }

    /// Hands request `sequence`'s result to the connection, on its event loop.
    func answer(
        _ result: Result<ResponseFrame?, any Error>, sequence: Int, apiKey: ApiKey, version: Int16, _ request: RequestContext
    ) {
        let bound = self.bound
        @Sendable func answer() {
            let (handler, context) = bound.value
            handler.answered(context, result, sequence: sequence, apiKey: apiKey, version: version, request)
        }
        if bound.eventLoop.inEventLoop { answer() } else { bound.eventLoop.execute(answer) }
    }

    /// Lets the request after `sequence` start, on the connection's event loop.
    func release(_ request: RequestContext, sequence: Int, exempt: Bool) {
        let bound = self.bound
        @Sendable func release() {
            let (handler, context) = bound.value
            handler.startNextEarly(context, sequence: sequence, request, exempt: exempt)
        }
        if bound.eventLoop.inEventLoop { release() } else { bound.eventLoop.execute(release) }
    }
}

import KafkaProtocol
import NIOCore

/// The SASL exchange on the connection: moving the state machine on after each answer, bare
/// tokens after a v0 handshake, and the delayed close of a failed authentication.
extension KafkaChannelHandler {
    /// A SaslHandshake or SaslAuthenticate response has been written.
    func saslAnswered(_ context: ChannelHandlerContext) {
        defer {
            authenticationInFlight = false
            if !closing { handleFrames(context) }
        }
        guard let sasl else { return }
        switch sasl.takeOutcome() {
        case .handshake(let version, let accepted):
            if let action = machine.handshakeAnswered(version: version, accepted: accepted) { close(context, action) }
        case .authenticated(let principal, let lifetimeMs):
            authenticatedAs(principal)
            sessionExpiry = lifetimeMs > 0 ? .now() + .milliseconds(lifetimeMs) : nil
        case .failed(let reason):
            closeAfterFailedAuthentication(context, reason)
        case .challenge, .none:
            break
        }
    }

    /// After a v0 SaslHandshake a frame is a bare SASL token, answered with a bare token (Kafka's
    /// SaslServerAuthenticator without Kafka headers); a failure closes without an answer.
    func evaluateRawToken(_ context: ChannelHandlerContext, _ frame: ByteBuffer) {
        guard let sasl else { return close(context, machine.malformedRequest("a SASL token on a listener without SASL")) }
        let step = sasl.evaluate(Array(frame.readableBytesView))
        let outcome = sasl.takeOutcome()
        let reply: [UInt8]
        switch step {
        case .challenge(let bytes):
            reply = bytes
        case .success(let principal, let final):
            reply = final
            authenticatedAs(principal)
            if case .authenticated(_, let lifetimeMs) = outcome, lifetimeMs > 0 { sessionExpiry = .now() + .milliseconds(lifetimeMs) }
        case .failure(let reason):
            return close(context, machine.authenticationFailed(reason))
        }
        var out = ByteBufferAllocator().buffer(capacity: 4 + reply.count)
        out.writeInteger(Int32(reply.count))
        out.writeBytes(reply)
        finish(context, take(frame.readableBytes), ResponseFrame(parts: [.bytes(out)]))
    }

    /// Whether a request may run: after the session's lifetime only a new login may (KIP-368:
    /// Kafka closes a connection whose session expired on its next request).
    func sessionLive(_ apiKey: ApiKey) -> Bool {
        guard let sessionExpiry, machine.isAuthenticated, apiKey != .saslHandshake else { return true }
        return NIODeadline.now() < sessionExpiry
    }

    private func authenticatedAs(_ principal: String) {
        self.principal = principal
        machine.authenticated()
        frames.maxFrameSize = broker.config.socketRequestMaxBytes
        logger[metadataKey: "principal"] = "\(principal)"
        logger.debug("authenticated")
    }

    /// The failure has been answered; the connection stays open, unread, for
    /// `connection.failed.authentication.delay.ms` (KIP-306) so a client retrying in a loop
    /// cannot hammer the broker, then closes.
    private func closeAfterFailedAuthentication(_ context: ChannelHandlerContext, _ reason: String) {
        let action = machine.authenticationFailed(reason)
        closing = true
        let delay = TimeAmount.milliseconds(Int64(broker.config.failedAuthenticationDelayMs))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: delay) {
            let (handler, context) = bound.value
            handler.close(context, action)
        }
    }
}

import KafkaProtocol

/// The life of one client connection as a pure state machine: the channel handler feeds it
/// events and carries out the actions it returns.
///
/// On a SASL listener (KIP-43, KIP-152) a connection starts unauthenticated: only ApiVersions and
/// SaslHandshake are accepted, then only SaslAuthenticate (after a v1 handshake) or bare SASL
/// tokens (after v0, the framing of clients before Kafka 1.0). Anything else closes the connection
/// before its body is decoded, and frames before authentication may not exceed
/// `sasl.server.max.receive.size`, as Kafka's SaslServerAuthenticator enforces. Other listeners
/// start authenticated.
struct ConnectionStateMachine {
    enum State: Equatable {
        /// ApiVersions and SaslHandshake only.
        case awaitingHandshake
        /// SaslAuthenticate only (after SaslHandshake v1).
        case authenticating
        /// Bare, size-prefixed SASL tokens (after SaslHandshake v0).
        case authenticatingRaw
        case ready
        case closed
    }

    enum Action: Equatable {
        /// Run the request's handler.
        case dispatch
        /// Answer ApiVersions with UNSUPPORTED_VERSION and the supported list, in a v0 body (KIP-511).
        case rejectApiVersions
        /// The frame is a bare SASL token: evaluate it and answer with a bare token.
        case evaluateRawToken
        /// Close the connection, logging why.
        case close(reason: String)
        /// Nothing to do (the connection is closing).
        case ignore
    }

    private(set) var state: State
    let supported: SupportedApis
    /// `sasl.server.max.receive.size`: the largest frame before authentication.
    let maxUnauthenticatedFrame: Int

    init(sasl: Bool, supported: SupportedApis, maxUnauthenticatedFrame: Int = 524_288) {
        self.state = sasl ? .awaitingHandshake : .ready
        self.supported = supported
        self.maxUnauthenticatedFrame = maxUnauthenticatedFrame
    }

    init(authenticated: Bool, supported: SupportedApis) {
        self.init(sasl: !authenticated, supported: supported)
    }

    /// Whether requests other than authentication may run.
    var isAuthenticated: Bool { state == .ready }

    /// A frame of `size` bytes arrived, before its header is read: nil to go on and read the
    /// header, or what to do instead.
    mutating func frameReceived(size: Int) -> Action? {
        switch state {
        case .closed:
            return .ignore
        case .ready:
            return nil
        case .awaitingHandshake, .authenticating, .authenticatingRaw:
            guard size <= maxUnauthenticatedFrame else {
                state = .closed
                return .close(reason: "a frame of \(size) bytes before authentication (sasl.server.max.receive.size is \(maxUnauthenticatedFrame))")
            }
            return state == .authenticatingRaw ? .evaluateRawToken : nil
        }
    }

    /// A request header has been read.
    mutating func requestReceived(apiKey: ApiKey, version: Int16) -> Action {
        switch state {
        case .closed:
            return .ignore
        case .awaitingHandshake where apiKey != .apiVersions && apiKey != .saslHandshake,
             .authenticating where apiKey != .saslAuthenticate:
            state = .closed
            return .close(reason: "\(apiKey.name) before authentication")
        case .authenticatingRaw:
            // Not reached: the handler evaluates these frames as tokens.
            state = .closed
            return .close(reason: "a request header where a SASL token was expected")
        case .awaitingHandshake, .authenticating, .ready:
            guard let versions = supported.versions(apiKey) else {
                state = .closed
                return .close(reason: "unsupported API key \(apiKey.rawValue) (\(apiKey.name))")
            }
            if versions.contains(version) { return .dispatch }
            // Kafka answers an ApiVersions it cannot parse with its own list, so the client can
            // retry at a version both know (KIP-511); any other unknown version closes.
            if apiKey == .apiVersions { return .rejectApiVersions }
            state = .closed
            return .close(reason: "unsupported \(apiKey.name) version \(version) (supported \(versions))")
        }
    }

    /// SaslHandshake was answered: with the mechanism accepted, the exchange begins (bare tokens
    /// after v0); refused (UNSUPPORTED_SASL_MECHANISM), the connection closes, as Kafka closes it.
    mutating func handshakeAnswered(version: Int16, accepted: Bool) -> Action? {
        // A login again on an authenticated connection (KIP-368) runs the same exchange.
        if state == .ready && accepted && version >= 1 {
            state = .authenticating
            return nil
        }
        guard state == .awaitingHandshake else { return nil }
        guard accepted else {
            state = .closed
            return .close(reason: "SASL mechanism not enabled on this listener")
        }
        state = version == 0 ? .authenticatingRaw : .authenticating
        return nil
    }

    /// The SASL exchange succeeded.
    mutating func authenticated() {
        if state == .authenticating || state == .authenticatingRaw { state = .ready }
    }

    /// The SASL exchange failed: the connection closes once the answer is sent.
    mutating func authenticationFailed(_ reason: String) -> Action {
        if state == .closed { return .ignore }
        state = .closed
        return .close(reason: "authentication failed: \(reason)")
    }

    /// A request could not be decoded.
    mutating func malformedRequest(_ description: String) -> Action {
        if state == .closed { return .ignore }
        state = .closed
        return .close(reason: "malformed request: \(description)")
    }

    /// A handler gave up on a request it cannot answer (a JoinGroup replaced by a newer one from
    /// the same member, which Kafka never answers): the client's request times out either way,
    /// and closing tells it sooner.
    mutating func requestAbandoned(_ description: String) -> Action {
        if state == .closed { return .ignore }
        state = .closed
        return .close(reason: "request not answered: \(description)")
    }

    mutating func channelClosed() {
        state = .closed
    }
}

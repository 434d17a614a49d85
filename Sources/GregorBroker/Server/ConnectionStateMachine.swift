import KafkaProtocol

/// The life of one client connection as a pure state machine: the channel handler feeds it
/// events and carries out the actions it returns. Authentication is a state from the start:
/// plaintext listeners begin authenticated; SASL and TLS will add the steps in between.
struct ConnectionStateMachine {
    enum State: Equatable {
        /// Only ApiVersions and the SASL handshake are allowed before authentication.
        case authenticating
        case ready
        case closed
    }

    enum Action: Equatable {
        /// Run the request's handler.
        case dispatch
        /// Answer ApiVersions with UNSUPPORTED_VERSION and the supported list, in a v0 body (KIP-511).
        case rejectApiVersions
        /// Close the connection, logging why.
        case close(reason: String)
        /// Nothing to do (the connection is closing).
        case ignore
    }

    private(set) var state: State
    let supported: SupportedApis

    init(authenticated: Bool, supported: SupportedApis) {
        self.state = authenticated ? .ready : .authenticating
        self.supported = supported
    }

    /// A request header has been read.
    mutating func requestReceived(apiKey: ApiKey, version: Int16) -> Action {
        switch state {
        case .closed:
            return .ignore
        case .authenticating where apiKey != .apiVersions && apiKey != .saslHandshake:
            state = .closed
            return .close(reason: "\(apiKey) before authentication")
        case .authenticating, .ready:
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

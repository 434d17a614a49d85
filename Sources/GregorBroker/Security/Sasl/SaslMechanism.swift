// SASL (KIP-43, KIP-152): each mechanism is a pure state machine on the server's side, fed the
// client's tokens and answering with a challenge, success or failure. The connection carries the
// tokens (SaslAuthenticate, or raw frames after a v0 SaslHandshake) and acts on the outcome.

/// What a mechanism answers to one client token.
enum SaslStep: Equatable, Sendable {
    /// Send these bytes and wait for the client's next token.
    case challenge([UInt8])
    /// Authenticated as `principal` (Kafka's "User:<name>"); send `final` (maybe empty) last.
    case success(principal: String, final: [UInt8])
    /// Refused: SASL_AUTHENTICATION_FAILED with this message, then the connection is closed.
    case failure(String)
}

/// The server side of one SASL exchange.
protocol SaslServerMechanism: Sendable {
    /// The client's next token.
    mutating func evaluate(_ token: [UInt8]) -> SaslStep
    /// When the credential of a successful exchange expires (an OAUTHBEARER token's `exp`), in
    /// milliseconds since the epoch; nil when it does not.
    var credentialExpiresAtMs: Int64? { get }
    /// The login used a delegation token (KIP-48).
    var tokenAuthenticated: Bool { get }
    /// Why the last token failed, for the broker's log only (the client gets Kafka's message).
    var failureDetail: String? { get }
}

extension SaslServerMechanism {
    var credentialExpiresAtMs: Int64? { nil }
    var tokenAuthenticated: Bool { false }
    var failureDetail: String? { nil }
}

/// The mechanisms Gregor serves, by their IANA names as clients send them in SaslHandshake.
enum SaslMechanismName: String, Sendable, CaseIterable {
    case plain = "PLAIN"
    case scramSha256 = "SCRAM-SHA-256"
    case scramSha512 = "SCRAM-SHA-512"
    case oauthBearer = "OAUTHBEARER"
    case gssapi = "GSSAPI"
}

/// Kafka's message for a failed authentication (SaslServerAuthenticator): the same for a wrong
/// password and an unknown user, so a client cannot tell which names exist.
func saslInvalidCredentials(_ mechanism: SaslMechanismName) -> String {
    "Authentication failed during authentication due to invalid credentials with SASL mechanism \(mechanism.rawValue)"
}

import Foundation
import KafkaProtocol
import Synchronization

/// A SASL listener's settings: which mechanisms it offers and PLAIN's users.
public struct SaslSettings: Sendable, Equatable {
    /// `sasl.enabled.mechanisms`, in the order configured.
    public var enabledMechanisms: [String]
    /// PLAIN's users from `listener.name.<l>.plain.sasl.jaas.config` (`user_<name>="<password>"`).
    public var plainUsers: [String: String] = [:]
    /// How OAUTHBEARER tokens are validated.
    public var oauthBearer: OAuthBearerValidation = .unsecured()
    /// GSSAPI's service principal, keytab and short-name rules.
    public var gssapi: GssapiSettings?

    public init(enabledMechanisms: [String], plainUsers: [String: String] = [:], oauthBearer: OAuthBearerValidation = .unsecured()) {
        self.enabledMechanisms = enabledMechanisms
        self.plainUsers = plainUsers
        self.oauthBearer = oauthBearer
    }
}

/// One connection's SASL exchange: the mechanism chosen by SaslHandshake and its server state,
/// then the principal. The handlers of SaslHandshake and SaslAuthenticate drive it; the channel
/// handler reads what happened (`takeOutcome`) to move the connection on.
///
/// Re-authentication (KIP-368): with `connections.max.reauth.ms` above 0 a successful login
/// gets a session lifetime (shorter for an OAUTHBEARER token that expires sooner), the client
/// logs in again on the same connection before it ends, with the same mechanism and as the same
/// principal. With 0, a SaslHandshake on an authenticated connection is ILLEGAL_SASL_STATE.
final class SaslSession: Sendable {
    /// What the last handshake or token led to, for the connection state machine.
    enum Outcome: Equatable, Sendable {
        case none
        case handshake(version: Int16, accepted: Bool)
        case challenge
        /// Logged in; the session ends `lifetimeMs` from now (0: never).
        case authenticated(principal: String, lifetimeMs: Int64)
        case failed(String)
    }

    let settings: SaslSettings
    /// `connections.max.reauth.ms`; 0 turns re-authentication off.
    let maxReauthMs: Int64
    private let credentials: ScramCredentialStore
    private let tokens: DelegationTokens?
    private let clock: @Sendable () -> Int64
    private struct State: Sendable {
        var mechanism: (any SaslServerMechanism)?
        var mechanismName: String?
        var outcome = Outcome.none
        var principal: String?
        var lifetimeMs: Int64 = 0
        var tokenAuthenticated = false
    }
    private let state = Mutex(State())

    init(settings: SaslSettings, credentials: ScramCredentialStore, tokens: DelegationTokens? = nil, maxReauthMs: Int64 = 0,
         clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.settings = settings
        self.credentials = credentials
        self.tokens = tokens
        self.maxReauthMs = maxReauthMs
        self.clock = clock
    }

    /// SaslHandshake: picks `mechanism` if the listener enables it (and, when logging in again,
    /// if it is the one used before).
    func handshake(_ mechanism: String, version: Int16) -> (ErrorCode, [String]) {
        let enabled = settings.enabledMechanisms
        return state.withLock { s in
            if let previous = s.principal {
                guard maxReauthMs > 0 else {
                    s.outcome = .none
                    return (.illegalSaslState, [])
                }
                guard mechanism == s.mechanismName, version >= 1 else {
                    s.outcome = .failed("SASL mechanism \(mechanism) differs from \(s.mechanismName ?? "?") used by \(previous)")
                    return (.unsupportedSaslMechanism, enabled)
                }
            }
            let server: (any SaslServerMechanism)? = enabled.contains(mechanism) ? makeServer(mechanism) : nil
            s.mechanism = server
            if s.principal == nil { s.mechanismName = mechanism }
            s.outcome = .handshake(version: version, accepted: server != nil)
            return (server == nil ? .unsupportedSaslMechanism : .none, enabled)
        }
    }

    /// One client token of the exchange.
    func evaluate(_ token: [UInt8]) -> SaslStep {
        state.withLock { s in
            guard var mechanism = s.mechanism else {
                s.outcome = .failed("SaslAuthenticate without a SASL mechanism chosen by SaslHandshake")
                return .failure("Unexpected SaslAuthenticate request: no SASL mechanism was chosen")
            }
            var step = mechanism.evaluate(token)
            s.mechanism = mechanism
            if case .success(let principal, _) = step, let previous = s.principal, previous != principal {
                step = .failure("Cannot change principals during re-authentication from \(previous) to \(principal)")
            }
            switch step {
            case .challenge: s.outcome = .challenge
            case .success(let principal, _):
                let now = clock()
                var lifetime = maxReauthMs
                if maxReauthMs > 0, let expiresAt = mechanism.credentialExpiresAtMs { lifetime = max(0, min(lifetime, expiresAt - now)) }
                s.outcome = .authenticated(principal: principal, lifetimeMs: lifetime)
                s.principal = principal
                s.lifetimeMs = lifetime
                s.tokenAuthenticated = mechanism.tokenAuthenticated
                s.mechanism = nil
            case .failure(let message):
                s.outcome = .failed(mechanism.failureDetail.map { "\(message): \($0)" } ?? message)
                s.mechanism = nil
            }
            return step
        }
    }

    /// Whether a mechanism is waiting for the client's next token.
    var awaitingToken: Bool { state.withLock { $0.mechanism != nil } }

    /// The session lifetime of the last successful login (SaslAuthenticate v1+).
    var lifetimeMs: Int64 { state.withLock { $0.lifetimeMs } }

    /// What the last call led to; reading it clears it.
    func takeOutcome() -> Outcome {
        state.withLock { s in
            defer { s.outcome = .none }
            return s.outcome
        }
    }

    var principal: String? { state.withLock { $0.principal } }

    /// The login used a delegation token.
    var tokenAuthenticated: Bool { state.withLock { $0.tokenAuthenticated } }

    private func makeServer(_ name: String) -> (any SaslServerMechanism)? {
        let credentials = self.credentials
        let tokens = self.tokens
        switch SaslMechanismName(rawValue: name) {
        case .plain: return SaslPlainServer(users: settings.plainUsers)
        case .scramSha256:
            return ScramServer(mechanism: .sha256, credential: { credentials.credential($0, .sha256) }, token: { tokens?.login(tokenId: $0, mechanism: .sha256) })
        case .scramSha512:
            return ScramServer(mechanism: .sha512, credential: { credentials.credential($0, .sha512) }, token: { tokens?.login(tokenId: $0, mechanism: .sha512) })
        case .oauthBearer: return OAuthBearerServer(validation: settings.oauthBearer, now: clock)
        case .gssapi: return settings.gssapi.map(GssapiServer.init)
        case nil: return nil
        }
    }
}

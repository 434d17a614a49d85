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

    public init(enabledMechanisms: [String], plainUsers: [String: String] = [:], oauthBearer: OAuthBearerValidation = .unsecured()) {
        self.enabledMechanisms = enabledMechanisms
        self.plainUsers = plainUsers
        self.oauthBearer = oauthBearer
    }
}

/// One connection's SASL exchange: the mechanism chosen by SaslHandshake and its server state,
/// then the principal. The handlers of SaslHandshake and SaslAuthenticate drive it; the channel
/// handler reads what happened (`takeOutcome`) to move the connection on.
final class SaslSession: Sendable {
    /// What the last handshake or token led to, for the connection state machine.
    enum Outcome: Equatable, Sendable {
        case none
        case handshake(version: Int16, accepted: Bool)
        case challenge
        case authenticated(principal: String)
        case failed(String)
    }

    let settings: SaslSettings
    private let credentials: ScramCredentialStore
    private struct State: Sendable {
        var mechanism: (any SaslServerMechanism)?
        var outcome = Outcome.none
        var principal: String?
    }
    private let state = Mutex(State())

    init(settings: SaslSettings, credentials: ScramCredentialStore) {
        self.settings = settings
        self.credentials = credentials
    }

    /// SaslHandshake: picks `mechanism` if the listener enables it.
    func handshake(_ mechanism: String, version: Int16) -> (ErrorCode, [String]) {
        let enabled = settings.enabledMechanisms
        let server: (any SaslServerMechanism)? = enabled.contains(mechanism) ? makeServer(mechanism) : nil
        state.withLock {
            $0.mechanism = server
            $0.outcome = .handshake(version: version, accepted: server != nil)
        }
        return (server == nil ? .unsupportedSaslMechanism : .none, enabled)
    }

    /// One client token of the exchange.
    func evaluate(_ token: [UInt8]) -> SaslStep {
        state.withLock { s in
            guard var mechanism = s.mechanism else {
                s.outcome = .failed("SaslAuthenticate before SaslHandshake")
                return .failure("Unexpected SaslAuthenticate request: no SASL mechanism was chosen")
            }
            let step = mechanism.evaluate(token)
            s.mechanism = mechanism
            switch step {
            case .challenge: s.outcome = .challenge
            case .success(let principal, _):
                s.outcome = .authenticated(principal: principal)
                s.principal = principal
                s.mechanism = nil
            case .failure(let message):
                s.outcome = .failed(message)
                s.mechanism = nil
            }
            return step
        }
    }

    /// What the last call led to; reading it clears it.
    func takeOutcome() -> Outcome {
        state.withLock { s in
            defer { s.outcome = .none }
            return s.outcome
        }
    }

    var principal: String? { state.withLock { $0.principal } }

    private func makeServer(_ name: String) -> (any SaslServerMechanism)? {
        let credentials = self.credentials
        switch SaslMechanismName(rawValue: name) {
        case .plain: return SaslPlainServer(users: settings.plainUsers)
        case .scramSha256: return ScramServer(mechanism: .sha256) { credentials.credential($0, .sha256) }
        case .scramSha512: return ScramServer(mechanism: .sha512) { credentials.credential($0, .sha512) }
        case .oauthBearer: return OAuthBearerServer(validation: settings.oauthBearer)
        case nil: return nil
        }
    }
}

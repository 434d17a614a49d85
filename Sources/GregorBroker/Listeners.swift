// Listeners as Kafka names them: `listeners=NAME://host:port,...`, each name mapped to a security
// protocol by `listener.security.protocol.map`, each advertised to clients as
// `advertised.listeners` says for that name. A client is told the endpoints of the listener its
// request came in on (Kafka's MetadataCache.getAliveBrokerNodes(listenerName)), so a client that
// reached the broker over SSL keeps using SSL.

/// Kafka's SecurityProtocol: what a listener speaks.
public enum SecurityProtocol: String, Sendable, CaseIterable {
    case plaintext = "PLAINTEXT"
    case ssl = "SSL"
    case saslPlaintext = "SASL_PLAINTEXT"
    case saslSsl = "SASL_SSL"

    /// The connection is wrapped in TLS.
    public var usesTLS: Bool { self == .ssl || self == .saslSsl }
    /// The client must authenticate with SASL before anything but ApiVersions and SaslHandshake.
    public var usesSASL: Bool { self == .saslPlaintext || self == .saslSsl }

    /// Kafka's default `listener.security.protocol.map`: each protocol's name maps to itself.
    public static let defaultMap: [String: SecurityProtocol] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })
}

/// A named endpoint: one entry of `listeners` or `advertised.listeners`.
public struct ListenerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The listener name, upper-cased as Kafka normalises it (`ListenerName.normalised`).
    public var name: String
    public var host: String
    public var port: Int

    public init(name: String = "PLAINTEXT", host: String, port: Int) {
        self.name = name
        self.host = host
        self.port = port
    }

    public var description: String {
        "\(name)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

/// A listener the broker binds: its endpoint and the protocol it speaks.
public struct Listener: Sendable, Hashable, CustomStringConvertible {
    public var endpoint: ListenerEndpoint
    public var securityProtocol: SecurityProtocol

    public init(name: String = "PLAINTEXT", host: String, port: Int, securityProtocol: SecurityProtocol = .plaintext) {
        self.endpoint = ListenerEndpoint(name: name, host: host, port: port)
        self.securityProtocol = securityProtocol
    }

    public var name: String { endpoint.name }
    public var host: String { endpoint.host }
    public var port: Int { endpoint.port }
    public var description: String { "\(endpoint) (\(securityProtocol.rawValue))" }
}

/// A listener the broker cannot serve as configured: startup stops, naming it.
public struct ListenerError: Error, CustomStringConvertible {
    public let listener: Listener
    public let reason: String
    public var description: String { "listener \(listener): \(reason)" }
}

extension BrokerConfig {
    /// What Metadata, FindCoordinator and DescribeCluster tell a client that came in on
    /// `listenerName`: that listener's advertised endpoint, or the first one's.
    func advertised(for listenerName: String) -> ListenerEndpoint {
        Self.advertised(for: listenerName, in: advertisedListeners, listeners: listeners)
    }

    /// The endpoint of `listenerName` among `endpoints`, or the first one.
    static func advertised(for listenerName: String, in endpoints: [ListenerEndpoint], listeners: [Listener]) -> ListenerEndpoint {
        endpoints.first { $0.name == listenerName } ?? endpoints.first
            ?? ListenerEndpoint(name: listenerName, host: "localhost", port: listeners.first?.port ?? 9092)
    }

    /// The advertised endpoints with every port 0 replaced by the port its listener was bound to
    /// (Kafka advertises the bound port of an ephemeral listener).
    func resolvingBoundPorts(_ bound: [String: Int]) -> [ListenerEndpoint] {
        advertisedListeners.map { e in
            var e = e
            if e.port == 0, let port = bound[e.name] { e.port = port }
            return e
        }
    }
}

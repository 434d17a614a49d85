import GregorClient
import NIOSSL

/// How a cluster member reaches the other brokers (replica fetchers, transaction markers): on
/// `inter.broker.listener.name` (or the listener named by `security.inter.broker.protocol`, or
/// the first), with that listener's TLS settings as a client's, and for a SASL listener a login
/// with `sasl.mechanism.inter.broker.protocol` as the user and password of
/// `listener.name.<listener>.<mechanism>.sasl.jaas.config` (Kafka's `username=` and `password=`
/// options, beside the `user_<name>=` ones PLAIN serves).
public struct InterBrokerSecurity: Sendable, Equatable {
    public var listener: String
    public var tls: TLSSettings?
    public var sasl: SaslCredentials?

    /// The client side, reading the key and trust stores now.
    func clientSecurity() throws -> ClientSecurity {
        ClientSecurity(tls: try tls?.makeClientContext(), sasl: sasl)
    }
}

extension ServerProperties {
    /// The inter-broker client settings of a cluster member.
    func interBrokerSecurity(_ c: BrokerConfig) throws(InvalidValue) -> InterBrokerSecurity {
        var name = c.interBrokerListenerName
        if name == nil, let p = raw("security.inter.broker.protocol")?.trimmed.uppercased(), !p.isEmpty {
            guard c.listeners.contains(where: { $0.name == p }) else {
                throw InvalidValue(key: "security.inter.broker.protocol", value: p, reason: "no listener is named \(p); set inter.broker.listener.name")
            }
            name = p
        }
        guard let listener = c.listeners.first(where: { $0.name == (name ?? c.listeners.first?.name) }) else {
            throw InvalidValue(key: "listeners", value: "", reason: "a cluster member needs a listener for the other brokers")
        }
        var security = InterBrokerSecurity(listener: listener.name, tls: c.tls[listener.name])
        guard listener.securityProtocol.usesSASL else { return security }
        let mechanismKey = "sasl.mechanism.inter.broker.protocol"
        let mechanismName = raw(mechanismKey)?.trimmed ?? "GSSAPI"
        guard let mechanism = SaslCredentials.Mechanism(rawValue: mechanismName.uppercased()) else {
            throw InvalidValue(key: mechanismKey, value: mechanismName, reason: "listener \(listener.name) between brokers uses SASL; "
                               + "Gregor brokers log in to each other with \(SaslCredentials.Mechanism.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let jaasKey = "listener.name.\(listener.name.lowercased()).\(mechanism.rawValue.lowercased()).sasl.jaas.config"
        let jaas = raw(jaasKey) ?? ""
        let options = Dictionary(JaasConfig.options(jaas), uniquingKeysWith: { $1 })
        guard let username = options["username"], let password = options["password"] else {
            throw InvalidValue(key: jaasKey, value: jaas, reason: "the brokers log in to each other on \(listener.name) with \(mechanism.rawValue): "
                               + "name this broker's user in username=\"...\" password=\"...\"")
        }
        security.sasl = SaslCredentials(mechanism: mechanism, username: username, password: password)
        return security
    }
}

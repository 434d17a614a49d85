extension ServerProperties {
    /// Broker-wide SASL keys (each may also be given per listener as `listener.name.<l>.<key>`).
    static let saslKeys: Set<String> = [
        "sasl.enabled.mechanisms", "sasl.server.max.receive.size", "connection.failed.authentication.delay.ms",
        "connections.max.reauth.ms", "sasl.mechanism.inter.broker.protocol", "sasl.oauthbearer.jwks.endpoint.url",
        "sasl.oauthbearer.expected.audience", "sasl.oauthbearer.expected.issuer", "sasl.oauthbearer.sub.claim.name",
        "sasl.oauthbearer.scope.claim.name", "sasl.oauthbearer.clock.skew.seconds", "sasl.server.callback.handler.class",
        "delegation.token.secret.key", "delegation.token.master.key", "delegation.token.max.lifetime.ms",
        "delegation.token.expiry.time.ms", "delegation.token.expiry.check.interval.ms",
    ]

    /// Whether `rest` (after `listener.name.<l>.`) is a per-listener SASL key:
    /// `sasl.enabled.mechanisms`, or `<mechanism>.sasl.jaas.config`.
    static func isListenerSaslKey(_ rest: Substring) -> Bool {
        if saslKeys.contains(String(rest)) || kerberosKeys.contains(String(rest)) { return true }
        if rest.hasPrefix("oauthbearer."), saslKeys.contains(String(rest.dropFirst("oauthbearer.".count))) { return true }
        guard rest.hasSuffix(".sasl.jaas.config") else { return false }
        let mechanism = rest.dropLast(".sasl.jaas.config".count).uppercased()
        return SaslMechanismName(rawValue: mechanism) != nil
    }

    /// The SASL settings of a SASL_PLAINTEXT or SASL_SSL listener. Kafka's default mechanism is
    /// GSSAPI, which needs a keytab: a listener left at the default without one stops startup
    /// saying so.
    func saslSettings(listener: String) throws(InvalidValue) -> SaslSettings {
        let key = values["listener.name.\(listener.lowercased()).sasl.enabled.mechanisms"] != nil
            ? "listener.name.\(listener.lowercased()).sasl.enabled.mechanisms" : "sasl.enabled.mechanisms"
        let list = value("sasl.enabled.mechanisms", listener: listener) ?? "GSSAPI"
        let mechanisms = list.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        guard !mechanisms.isEmpty else { throw InvalidValue(key: key, value: list, reason: "listener \(listener) enables no SASL mechanism") }
        var settings = SaslSettings(enabledMechanisms: mechanisms)
        for mechanism in mechanisms {
            guard let name = SaslMechanismName(rawValue: mechanism) else {
                throw InvalidValue(key: key, value: list, reason: "listener \(listener): SASL mechanism \(mechanism) is not supported yet; "
                                   + "enable \(SaslMechanismName.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if name == .plain {
                let jaasKey = "listener.name.\(listener.lowercased()).plain.sasl.jaas.config"
                settings.plainUsers = JaasConfig.plainUsers(values[jaasKey] ?? "")
                guard !settings.plainUsers.isEmpty else {
                    throw InvalidValue(key: jaasKey, value: values[jaasKey] ?? "", reason: "listener \(listener) enables PLAIN but names no users: "
                                       + "org.apache.kafka.common.security.plain.PlainLoginModule required user_<name>=\"<password>\";")
                }
            }
            if name == .oauthBearer { settings.oauthBearer = try oauthBearerValidation(listener: listener) }
            if name == .gssapi { settings.gssapi = try gssapiSettings(listener: listener) }
        }
        return settings
    }

    /// The SASL listeners' settings and the broker-wide SASL limits.
    func configureSasl(_ c: inout BrokerConfig) throws(InvalidValue) {
        for listener in c.listeners where listener.securityProtocol.usesSASL {
            c.sasl[listener.name] = try saslSettings(listener: listener.name)
        }
        if let v = values["sasl.server.max.receive.size"] { c.saslServerMaxReceiveSize = Int(try int32("sasl.server.max.receive.size", v, min: 1)) }
        if let v = values["connection.failed.authentication.delay.ms"] {
            c.failedAuthenticationDelayMs = Int(try int32("connection.failed.authentication.delay.ms", v, min: 0))
        }
        if let v = values["connections.max.reauth.ms"] { c.connectionsMaxReauthMs = try int64("connections.max.reauth.ms", v, min: 0) }
        // delegation.token.master.key is the name before Kafka 2.8 (KIP-681).
        if let v = values["delegation.token.secret.key"] ?? values["delegation.token.master.key"], !v.trimmed.isEmpty {
            c.delegationTokenSecretKey = v.trimmed
        }
        if let v = values["delegation.token.max.lifetime.ms"] { c.delegationTokenMaxLifetimeMs = try int64("delegation.token.max.lifetime.ms", v, min: 1) }
        if let v = values["delegation.token.expiry.time.ms"] { c.delegationTokenExpiryTimeMs = try int64("delegation.token.expiry.time.ms", v, min: 1) }
    }
}

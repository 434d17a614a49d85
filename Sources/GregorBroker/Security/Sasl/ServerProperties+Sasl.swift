extension ServerProperties {
    /// The SASL settings of a SASL_PLAINTEXT or SASL_SSL listener. Kafka's default mechanism is
    /// GSSAPI, which needs a keytab: a listener left at the default without one stops startup
    /// saying so.
    func saslSettings(listener: String) throws(InvalidValue) -> SaslSettings {
        let key = raw("listener.name.\(listener.lowercased()).sasl.enabled.mechanisms") != nil
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
                settings.plainUsers = JaasConfig.plainUsers(raw(jaasKey) ?? "")
                guard !settings.plainUsers.isEmpty else {
                    throw InvalidValue(key: jaasKey, value: raw(jaasKey) ?? "", reason: "listener \(listener) enables PLAIN but names no users: "
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
        if let v = try int32("sasl.server.max.receive.size") { c.saslServerMaxReceiveSize = Int(v) }
        if let v = try int32("connection.failed.authentication.delay.ms") { c.failedAuthenticationDelayMs = Int(v) }
        if let v = try int64("connections.max.reauth.ms") { c.connectionsMaxReauthMs = v }
        // delegation.token.master.key is the name before Kafka 2.8 (KIP-681).
        if let v = raw("delegation.token.secret.key") ?? raw("delegation.token.master.key"), !v.trimmed.isEmpty {
            c.delegationTokenSecretKey = v.trimmed
        }
        if let v = try int64("delegation.token.max.lifetime.ms") { c.delegationTokenMaxLifetimeMs = v }
        if let v = try int64("delegation.token.expiry.time.ms") { c.delegationTokenExpiryTimeMs = v }
    }
}

// TLS settings of a listener, in Kafka's `ssl.*` names (SslConfigs, BrokerSecurityConfigs). Each
// is read first as `listener.name.<listener, lower case>.<key>`, then as `<key>`, as Kafka's
// per-listener configs are. Key stores are PEM (KIP-651: a file with the private key and the
// certificate chain, or the two inline) or PKCS12; Java's JKS is not readable here.

import NIOSSL

/// How a listener's TLS is set up.
public struct TLSSettings: Sendable, Equatable {
    /// Where the broker's private key and certificate chain come from.
    public enum KeyStore: Sendable, Equatable {
        /// `ssl.keystore.type=PEM`: a file holding the key and the chain, or both given inline.
        case pem(location: String?, certificateChain: String?, key: String?)
        /// `ssl.keystore.type=PKCS12` with `ssl.keystore.password`.
        case pkcs12(location: String, password: String?)
    }

    /// `ssl.client.auth`.
    public enum ClientAuth: String, Sendable, Equatable {
        case none, requested, required
    }

    /// TLS protocol versions as Kafka names them.
    public enum ProtocolVersion: String, Sendable, Equatable, Comparable, CaseIterable {
        case tls12 = "TLSv1.2"
        case tls13 = "TLSv1.3"
        public static func < (a: Self, b: Self) -> Bool { a == .tls12 && b == .tls13 }
    }

    public var keyStore: KeyStore
    /// `ssl.key.password`: the passphrase of an encrypted private key.
    public var keyPassword: String?
    /// `ssl.truststore.location` or `ssl.truststore.certificates` (PEM): the CAs client
    /// certificates must chain to; the system's when unset.
    public var trustStoreLocation: String?
    public var trustStoreCertificates: String?
    public var clientAuth: ClientAuth = .none
    /// `ssl.enabled.protocols`.
    public var enabledProtocols: [ProtocolVersion] = [.tls12, .tls13]
    /// `ssl.cipher.suites`: the TLS 1.2 suites allowed; nil for the library's defaults.
    public var cipherSuites: [NIOTLSCipher]?
    /// `ssl.endpoint.identification.algorithm`: `https` (the default) checks a broker's host name
    /// against its certificate when this broker connects to it; empty checks only the chain.
    public var verifyServerHostname = true
    /// `ssl.principal.mapping.rules` (KIP-371): the client certificate's subject to a user name.
    var principalMapper = SslPrincipalMapper.defaultMapper

    public init(keyStore: KeyStore) {
        self.keyStore = keyStore
    }
}

extension ServerProperties {
    /// A listener's value of `key`: the listener's own, else the broker's.
    func value(_ key: String, listener: String) -> String? {
        raw("listener.name.\(listener.lowercased()).\(key)") ?? raw(key)
    }

    /// The TLS settings of an SSL or SASL_SSL listener.
    func tlsSettings(listener: String) throws(InvalidValue) -> TLSSettings {
        func v(_ key: String) -> String? {
            guard let s = value(key, listener: listener)?.trimmed, !s.isEmpty else { return nil }
            return s
        }
        let prefixed = { (key: String) in raw("listener.name.\(listener.lowercased()).\(key)") != nil ? "listener.name.\(listener.lowercased()).\(key)" : key }
        let storeType = (v("ssl.keystore.type") ?? (v("ssl.keystore.key") != nil ? "PEM" : "JKS")).uppercased()
        var settings: TLSSettings
        switch storeType {
        case "PEM":
            let location = v("ssl.keystore.location"), chain = v("ssl.keystore.certificate.chain"), key = v("ssl.keystore.key")
            guard location != nil || (chain != nil && key != nil) else {
                throw InvalidValue(key: prefixed("ssl.keystore.location"), value: "", reason: "listener \(listener) needs a PEM key store: ssl.keystore.location, or ssl.keystore.certificate.chain with ssl.keystore.key")
            }
            settings = TLSSettings(keyStore: .pem(location: location, certificateChain: chain, key: key))
        case "PKCS12":
            guard let location = v("ssl.keystore.location") else {
                throw InvalidValue(key: prefixed("ssl.keystore.location"), value: "", reason: "listener \(listener) needs ssl.keystore.location for its PKCS12 key store")
            }
            settings = TLSSettings(keyStore: .pkcs12(location: location, password: v("ssl.keystore.password")))
        default:
            throw InvalidValue(key: prefixed("ssl.keystore.type"), value: storeType,
                               reason: "listener \(listener): key store type \(storeType) is not readable here; use PEM or PKCS12")
        }
        settings.keyPassword = v("ssl.key.password")
        if let type = v("ssl.truststore.type"), type.uppercased() != "PEM" {
            throw InvalidValue(key: prefixed("ssl.truststore.type"), value: type, reason: "listener \(listener): trust stores must be PEM")
        }
        settings.trustStoreLocation = v("ssl.truststore.location")
        settings.trustStoreCertificates = v("ssl.truststore.certificates")
        if let auth = v("ssl.client.auth") {
            guard let a = TLSSettings.ClientAuth(rawValue: auth.lowercased()) else {
                throw InvalidValue(key: prefixed("ssl.client.auth"), value: auth, reason: "must be required, requested or none")
            }
            settings.clientAuth = a
        }
        if let list = v("ssl.enabled.protocols") {
            var enabled: [TLSSettings.ProtocolVersion] = []
            for name in list.split(separator: ",").map({ String($0).trimmed }) where !name.isEmpty {
                // Kafka accepts TLSv1 and TLSv1.1 by name, but no current client or TLS library offers them.
                guard let p = TLSSettings.ProtocolVersion(rawValue: name) else {
                    throw InvalidValue(key: prefixed("ssl.enabled.protocols"), value: list, reason: "supported protocols are TLSv1.2 and TLSv1.3")
                }
                enabled.append(p)
            }
            guard !enabled.isEmpty else { throw InvalidValue(key: prefixed("ssl.enabled.protocols"), value: list, reason: "no protocol") }
            settings.enabledProtocols = enabled
        }
        if let list = v("ssl.cipher.suites") {
            let names = list.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
            switch TLSCipherSuites.parse(names) {
            case .success(let suites): settings.cipherSuites = names.isEmpty ? nil : suites
            case .failure(let unknown):
                throw InvalidValue(key: prefixed("ssl.cipher.suites"), value: list, reason: "\(unknown.name) is not a suite this TLS library offers; it has "
                                   + TLSCipherSuites.tls12.keys.sorted().joined(separator: ", ") + " (TLS 1.2) and always enables the TLS 1.3 ones")
            }
        }
        if let algorithm = value("ssl.endpoint.identification.algorithm", listener: listener)?.trimmed {
            guard algorithm.isEmpty || algorithm.lowercased() == "https" else {
                throw InvalidValue(key: prefixed("ssl.endpoint.identification.algorithm"), value: algorithm, reason: "must be https or empty")
            }
            settings.verifyServerHostname = !algorithm.isEmpty
        }
        if let rules = v("ssl.principal.mapping.rules") {
            do { settings.principalMapper = try SslPrincipalMapper(rules: rules) } catch {
                throw InvalidValue(key: prefixed("ssl.principal.mapping.rules"), value: rules, reason: "\(error)")
            }
        }
        return settings
    }
}

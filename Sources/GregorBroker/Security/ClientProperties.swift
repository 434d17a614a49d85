import GregorClient
import GregorStorage
import NIOSSL

/// A Kafka client's security settings, as Kafka's tools read them from `--command-config`
/// (`client.properties`): `security.protocol`, `sasl.mechanism` with the `username` and
/// `password` of `sasl.jaas.config`, and for TLS `ssl.truststore.location` (PEM; the system's CAs
/// when unset), an optional PEM `ssl.keystore.location` for client certificates, and
/// `ssl.endpoint.identification.algorithm`.
public enum ClientProperties {
    /// A setting that cannot be used, with the key it came from.
    public struct Invalid: Error, CustomStringConvertible {
        public let key: String
        public let reason: String
        public var description: String { "\(key): \(reason)" }
    }

    public static func security(_ text: String) throws -> ClientSecurity {
        var values: [String: String] = [:]
        for case .entry(let key, let value) in PropertiesText.lines(text) { values[key] = value.trimmed }
        func v(_ key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }
        let protocolName = (v("security.protocol") ?? "PLAINTEXT").uppercased()
        guard let proto = SecurityProtocol(rawValue: protocolName) else {
            throw Invalid(key: "security.protocol", reason: "\(protocolName) is not PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
        }
        var security = ClientSecurity()
        if proto.usesTLS {
            var tls = TLSSettings(keyStore: .pem(location: v("ssl.keystore.location"), certificateChain: v("ssl.keystore.certificate.chain"),
                                                 key: v("ssl.keystore.key")))
            if let type = v("ssl.keystore.type") ?? (v("ssl.keystore.location") == nil ? nil : "JKS"), type.uppercased() != "PEM" {
                throw Invalid(key: "ssl.keystore.type", reason: "\(type) key stores are not readable here; use PEM (ssl.keystore.type=PEM)")
            }
            if let type = v("ssl.truststore.type"), type.uppercased() != "PEM" {
                throw Invalid(key: "ssl.truststore.type", reason: "trust stores must be PEM")
            }
            tls.keyPassword = v("ssl.key.password")
            tls.trustStoreLocation = v("ssl.truststore.location")
            tls.trustStoreCertificates = v("ssl.truststore.certificates")
            tls.verifyServerHostname = values["ssl.endpoint.identification.algorithm"].map { !$0.isEmpty } ?? true
            do { security.tls = try tls.makeClientContext() } catch {
                throw Invalid(key: "ssl.*", reason: "\(error)")
            }
        }
        if proto.usesSASL {
            let mechanismName = (v("sasl.mechanism") ?? "GSSAPI").uppercased()
            guard let mechanism = SaslCredentials.Mechanism(rawValue: mechanismName) else {
                throw Invalid(key: "sasl.mechanism", reason: "gregor logs in with \(SaslCredentials.Mechanism.allCases.map(\.rawValue).joined(separator: ", ")), not \(mechanismName)")
            }
            let options = Dictionary(JaasConfig.options(values["sasl.jaas.config"] ?? ""), uniquingKeysWith: { $1 })
            guard let username = options["username"], let password = options["password"] else {
                throw Invalid(key: "sasl.jaas.config", reason: "name the user: ... required username=\"...\" password=\"...\";")
            }
            security.sasl = SaslCredentials(mechanism: mechanism, username: username, password: password)
        }
        return security
    }
}

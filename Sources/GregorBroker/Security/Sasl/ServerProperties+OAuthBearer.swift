import Foundation
import NIOSSL

extension ServerProperties {
    /// Kafka's names for the two token validators (KIP-255, KIP-768).
    static let unsecuredValidator = "org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler"
    static let signedValidators: Set<String> = [
        "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler",
        "org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler",
    ]

    /// A listener's OAUTHBEARER validation: unsecured tokens (Kafka's default, options on the
    /// JAAS line) unless `listener.name.<l>.oauthbearer.sasl.server.callback.handler.class` names
    /// Kafka's JWT validator, which checks signatures against `sasl.oauthbearer.jwks.endpoint.url`.
    func oauthBearerValidation(listener: String) throws(InvalidValue) -> OAuthBearerValidation {
        let prefix = "listener.name.\(listener.lowercased()).oauthbearer."
        func v(_ key: String) -> (key: String, value: String)? {
            if let s = raw(prefix + key) { return (prefix + key, s.trimmed) }
            if let s = raw("listener.name.\(listener.lowercased()).\(key)") { return ("listener.name.\(listener.lowercased()).\(key)", s.trimmed) }
            if let s = raw(key) { return (key, s.trimmed) }
            return nil
        }
        let handler = v("sasl.server.callback.handler.class")
        if let handler, !Self.signedValidators.contains(handler.value) {
            guard handler.value == Self.unsecuredValidator else {
                throw InvalidValue(key: handler.key, value: handler.value, reason: "only Kafka's own OAUTHBEARER validators can be named here")
            }
        }
        guard let handler, Self.signedValidators.contains(handler.value) else {
            var options: [String: String] = [:]
            for (key, value) in JaasConfig.options(raw(prefix + "sasl.jaas.config") ?? "") { options[key] = value }
            var skew: Int64 = 0
            if let s = options["unsecuredValidatorAllowableClockSkewMs"] {
                guard let n = Int64(s), n >= 0 else {
                    throw InvalidValue(key: prefix + "sasl.jaas.config", value: s, reason: "unsecuredValidatorAllowableClockSkewMs must be a non-negative number")
                }
                skew = n
            }
            return .unsecured(
                principalClaim: options["unsecuredValidatorPrincipalClaimName"] ?? "sub",
                scopeClaim: options["unsecuredValidatorScopeClaimName"] ?? "scope",
                requiredScope: (options["unsecuredValidatorRequiredScope"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init),
                clockSkewMs: skew)
        }
        guard let url = v("sasl.oauthbearer.jwks.endpoint.url") else {
            throw InvalidValue(key: prefix + "sasl.oauthbearer.jwks.endpoint.url", value: "", reason: "listener \(listener) validates signed tokens but names no JWKS")
        }
        let keys = try jwksSource(url, listener: listener, jaas: values[prefix + "sasl.jaas.config"] ?? "", v)
        var signed = OAuthBearerValidation.Signed(keys: keys)
        signed.expectedIssuer = v("sasl.oauthbearer.expected.issuer")?.value
        signed.expectedAudience = (v("sasl.oauthbearer.expected.audience")?.value ?? "").split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        if let s = v("sasl.oauthbearer.sub.claim.name") { signed.subClaim = s.value }
        if let s = v("sasl.oauthbearer.scope.claim.name") { signed.scopeClaim = s.value }
        if let s = v("sasl.oauthbearer.clock.skew.seconds") { signed.clockSkewMs = try int64(s.key, s.value, min: Self.minimum(s.key)) * 1000 }
        return .signed(signed)
    }
}

extension ServerProperties {
    /// The JWKS of `sasl.oauthbearer.jwks.endpoint.url`: a `file:` URL read now, or an `http(s):`
    /// endpoint fetched now and refreshed. An https endpoint is trusted with the system's CAs, or
    /// with the PEM CAs of the JAAS option `ssl.truststore.location` (Kafka's JaasOptionsUtils
    /// reads the endpoint's TLS settings from the JAAS line).
    func jwksSource(_ url: (key: String, value: String), listener: String, jaas: String,
                    _ v: (String) -> (key: String, value: String)?) throws(InvalidValue) -> JwksSource {
        if url.value.hasPrefix("file:") {
            let path = URL(string: url.value)?.path ?? String(url.value.dropFirst(5))
            do {
                guard let data = FileManager.default.contents(atPath: path) else { throw JWT.Invalid("\(path) cannot be read") }
                return JwksSource(fixed: try JWKS(json: Array(data)), url: url.value)
            } catch {
                throw InvalidValue(key: url.key, value: url.value, reason: "\(error)")
            }
        }
        guard let endpoint = URL(string: url.value), ["http", "https"].contains(endpoint.scheme?.lowercased() ?? "") else {
            throw InvalidValue(key: url.key, value: url.value, reason: "a JWKS URL is file:, http: or https:")
        }
        var refreshMs: Int64 = 3_600_000, backoffMaxMs: Int64 = 10_000
        if let s = v("sasl.oauthbearer.jwks.endpoint.refresh.ms") { refreshMs = try int64(s.key, s.value, min: 0) }
        if let s = v("sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms") { backoffMaxMs = try int64(s.key, s.value, min: 0) }
        let options = Dictionary(JaasConfig.options(jaas), uniquingKeysWith: { _, last in last })
        let trust: NIOSSLTrustRoots = options["ssl.truststore.location"].map { .file($0) } ?? .default
        do {
            return try JwksSource(endpoint: endpoint, trustRoots: trust, refreshMs: refreshMs, retryBackoffMaxMs: backoffMaxMs, now: Broker.wallClock())
        } catch {
            throw InvalidValue(key: url.key, value: url.value, reason: "the JWKS could not be fetched: \(error)")
        }
    }
}

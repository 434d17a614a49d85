import Foundation

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
        guard url.value.hasPrefix("file:") else {
            throw InvalidValue(key: url.key, value: url.value, reason: "only file: JWKS URLs are supported so far")
        }
        let path = URL(string: url.value)?.path ?? String(url.value.dropFirst(5))
        let jwks: JWKS
        do {
            guard let data = FileManager.default.contents(atPath: path) else { throw JWT.Invalid("\(path) cannot be read") }
            jwks = try JWKS(json: Array(data))
        } catch {
            throw InvalidValue(key: url.key, value: url.value, reason: "\(error)")
        }
        var signed = OAuthBearerValidation.Signed(jwks: jwks)
        signed.expectedIssuer = v("sasl.oauthbearer.expected.issuer")?.value
        signed.expectedAudience = (v("sasl.oauthbearer.expected.audience")?.value ?? "").split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
        if let s = v("sasl.oauthbearer.sub.claim.name") { signed.subClaim = s.value }
        if let s = v("sasl.oauthbearer.scope.claim.name") { signed.scopeClaim = s.value }
        if let s = v("sasl.oauthbearer.clock.skew.seconds") { signed.clockSkewMs = try int64(s.key, s.value, min: Self.minimum(s.key)) * 1000 }
        return .signed(signed)
    }
}

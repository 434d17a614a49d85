import Foundation

/// OAUTHBEARER (RFC 7628, KIP-255) as Kafka's OAuthBearerSaslServer runs it: one client message
/// `gs2-header ^A auth=Bearer <token> ^A [key=value ^A]* ^A`. A token that fails validation is
/// answered with an RFC 7628 error document as a challenge; the client's `^A` reply then ends
/// the exchange with SASL_AUTHENTICATION_FAILED. SASL extensions (KIP-342) are passed on.
struct OAuthBearerServer: SaslServerMechanism {
    let validation: OAuthBearerValidation
    let now: @Sendable () -> Int64
    private var failure: String?
    private var done = false
    /// The extensions the client sent (never `auth`).
    private(set) var extensions: [String: String] = [:]
    /// The accepted token's `exp`: a re-authenticating session ends by then (KIP-368).
    private(set) var credentialExpiresAtMs: Int64?
    private(set) var failureDetail: String?

    init(validation: OAuthBearerValidation, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.validation = validation
        self.now = now
    }

    mutating func evaluate(_ token: [UInt8]) -> SaslStep {
        if let failure {
            // The client acknowledged the error document with a lone ^A.
            done = true
            return .failure(failure)
        }
        guard !done else { return .failure("Unexpected OAUTHBEARER message after the exchange ended") }
        done = true
        let message = String(decoding: token, as: UTF8.self)
        let parts = message.split(separator: "\u{1}", omittingEmptySubsequences: false).map(String.init)
        // gs2-header, the pairs, then two empty strings from the closing ^A^A.
        guard parts.count >= 4, parts[parts.count - 1].isEmpty, parts[parts.count - 2].isEmpty else {
            return .failure("Invalid OAUTHBEARER client first message")
        }
        let header = parts[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard header.count == 3, header[0] == "n" || header[0] == "y", header[2].isEmpty else {
            return .failure("Invalid OAUTHBEARER client first message: bad GS2 header")
        }
        var pairs: [String: String] = [:]
        for pair in parts[1..<(parts.count - 2)] {
            guard let eq = pair.firstIndex(of: "="), pair[..<eq].allSatisfy({ $0.isASCII && $0.isLetter }) else {
                return .failure("Invalid OAUTHBEARER client first message: bad key/value pair")
            }
            pairs[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        guard let auth = pairs.removeValue(forKey: "auth"), auth.lowercased().hasPrefix("bearer ") else {
            return .failure("Invalid OAUTHBEARER client first message: no auth=Bearer token")
        }
        extensions = pairs
        let validated: ValidatedToken
        do {
            validated = try validation.validate(String(auth.dropFirst(7)).trimmingCharacters(in: .whitespaces), now: now())
        } catch {
            done = false
            let status = error.missingScope == nil ? #"{"status":"invalid_token"}"# : #"{"status":"insufficient_scope","scope":"\#(error.missingScope!.joined(separator: " "))"}"#
            // OAuthBearerSaslServer: the client is told the error document; why, only the log.
            failure = status
            failureDetail = error.description
            return .challenge(Array(status.utf8))
        }
        credentialExpiresAtMs = validated.lifetimeMs
        if header[1].hasPrefix("a="), String(header[1].dropFirst(2)) != validated.principalName {
            return .failure("Authentication failed: Client requested an authorization id that is different from the token's principal name")
        }
        return .success(principal: "User:\(validated.principalName)", final: [])
    }
}

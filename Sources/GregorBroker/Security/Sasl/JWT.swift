import Crypto
import Foundation
import _CryptoExtras

/// A JSON Web Token split into its parts (RFC 7519), with the claims Kafka's validators read.
struct JWT: Sendable {
    let header: [String: JSONValue]
    let claims: [String: JSONValue]
    /// `header.payload` as sent: what a signature covers.
    let signingInput: String
    let signature: [UInt8]

    /// Why a token is refused, as Kafka's validators word it.
    struct Invalid: Error, Equatable, CustomStringConvertible {
        let description: String
        /// The scope the token lacked (OAUTHBEARER answers `insufficient_scope` then).
        var missingScope: [String]? = nil
        init(_ description: String, missingScope: [String]? = nil) {
            self.description = description
            self.missingScope = missingScope
        }
    }

    init(compact: String) throws(Invalid) {
        let parts = compact.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw Invalid("JWS compact serializations must have 3 dot-separated Base64URL-encoded values") }
        guard let h = Self.base64URL(parts[0]), let header = JSONValue.object(h) else { throw Invalid("The JOSE header is not a JSON object") }
        guard let p = Self.base64URL(parts[1]), let claims = JSONValue.object(p) else { throw Invalid("The claims are not a JSON object") }
        guard let signature = parts[2].isEmpty ? [] : Self.base64URL(parts[2]) else { throw Invalid("The signature is not Base64URL") }
        self.header = header
        self.claims = claims
        self.signingInput = "\(parts[0]).\(parts[1])"
        self.signature = signature
    }

    static func base64URL(_ s: Substring) -> [UInt8]? {
        var text = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Data(base64Encoded: text).map(Array.init)
    }

    /// A time claim in milliseconds (JWT NumericDate: seconds, possibly fractional).
    func timeMs(_ name: String) -> Int64? {
        guard case .number(let seconds)? = claims[name] else { return nil }
        return Int64(seconds * 1000)
    }

    func string(_ name: String) -> String? {
        if case .string(let s)? = claims[name] { return s }
        return nil
    }

    /// A scope claim: a space-separated string or a list of strings.
    func scope(_ name: String) -> [String] {
        switch claims[name] {
        case .string(let s)?: return s.split(separator: " ").map(String.init)
        case .array(let items)?: return items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        default: return []
        }
    }

    /// Checks `exp`, `nbf` and `iat` against `now` with `skewMs` of allowance, as jose4j does.
    func checkTimes(now: Int64, skewMs: Int64) throws(Invalid) {
        guard let exp = timeMs("exp") else { throw Invalid("No expiration time (exp) in the token") }
        guard now <= exp + skewMs else { throw Invalid("The token expired at \(exp) ms, now is \(now) ms") }
        if let nbf = timeMs("nbf"), now + skewMs < nbf { throw Invalid("The token is not valid before \(nbf) ms, now is \(now) ms") }
        if let iat = timeMs("iat"), now + skewMs < iat { throw Invalid("The token was issued in the future (iat \(iat) ms, now \(now) ms)") }
    }
}

/// Just enough JSON for JWT headers, claims and JWKS documents.
enum JSONValue: Sendable, Equatable {
    case string(String), number(Double), bool(Bool), array([JSONValue]), object([String: JSONValue]), null

    static func object(_ bytes: [UInt8]) -> [String: JSONValue]? {
        guard let any = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            case .object(let o) = JSONValue(any)
        else { return nil }
        return o
    }

    init(_ any: Any) {
        switch any {
        case let s as String: self = .string(s)
        case let n as NSNumber:
            self = String(cString: n.objCType) == "c" ? .bool(n.boolValue) : .number(n.doubleValue)
        case let a as [Any]: self = .array(a.map(JSONValue.init))
        case let o as [String: Any]: self = .object(o.mapValues(JSONValue.init))
        default: self = .null
        }
    }
}

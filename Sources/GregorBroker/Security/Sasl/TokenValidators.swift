import Crypto
import Foundation
import _CryptoExtras

/// What OAUTHBEARER needs of a validated token.
struct ValidatedToken: Equatable, Sendable {
    var principalName: String
    var scope: [String]
    var lifetimeMs: Int64
}

/// How a listener validates OAUTHBEARER tokens.
public enum OAuthBearerValidation: Sendable, Equatable {
    /// Kafka's default OAuthBearerUnsecuredValidatorCallbackHandler: unsigned tokens (alg "none"),
    /// for development only, with the `unsecuredValidator*` options of the JAAS line.
    case unsecured(principalClaim: String = "sub", scopeClaim: String = "scope", requiredScope: [String] = [], clockSkewMs: Int64 = 0)
    /// OAuthBearerValidatorCallbackHandler (KIP-768): tokens signed with RS256/384/512 or ES256,
    /// checked against a JWKS document, with `sasl.oauthbearer.*` expectations.
    case signed(Signed)

    public struct Signed: Sendable, Equatable {
        /// The signing keys: a file's, or an endpoint's, refreshed.
        public var keys: JwksSource
        public var expectedIssuer: String?
        public var expectedAudience: [String] = []
        public var subClaim = "sub"
        public var scopeClaim = "scope"
        public var clockSkewMs: Int64 = 30_000
        public init(jwks: JWKS) { self.keys = JwksSource(fixed: jwks) }
        public init(keys: JwksSource) { self.keys = keys }
    }

    func validate(_ compact: String, now: Int64) throws(JWT.Invalid) -> ValidatedToken {
        let jwt = try JWT(compact: compact)
        switch self {
        case .unsecured(let principalClaim, let scopeClaim, let requiredScope, let skew):
            // OAuthBearerUnsecuredJws: an unsecured JWS has alg "none" and no signature.
            guard case .string("none")? = jwt.header["alg"] else { throw JWT.Invalid("Unsecured JWS must have alg \"none\"") }
            guard jwt.signature.isEmpty else { throw JWT.Invalid("Unsecured JWS must have an empty signature") }
            try jwt.checkTimes(now: now, skewMs: skew)
            guard let name = jwt.string(principalClaim), !name.isEmpty else {
                throw JWT.Invalid("No principal name in the '\(principalClaim)' claim")
            }
            let scope = jwt.scope(scopeClaim)
            let missing = requiredScope.filter { !scope.contains($0) }
            guard missing.isEmpty else { throw JWT.Invalid("The token lacks the required scope \(requiredScope)", missingScope: requiredScope) }
            return ValidatedToken(principalName: name, scope: scope, lifetimeMs: jwt.timeMs("exp") ?? 0)
        case .signed(let s):
            try s.keys.verify(jwt, now: now)
            try jwt.checkTimes(now: now, skewMs: s.clockSkewMs)
            if let issuer = s.expectedIssuer, jwt.string("iss") != issuer {
                throw JWT.Invalid("The token's issuer is not the expected \(issuer)")
            }
            if !s.expectedAudience.isEmpty {
                let audience: [String] = switch jwt.claims["aud"] {
                case .string(let a)?: [a]
                case .array(let items)?: items.compactMap { if case .string(let a) = $0 { a } else { nil } }
                default: []
                }
                guard audience.contains(where: s.expectedAudience.contains) else {
                    throw JWT.Invalid("The token's audience \(audience) is none of the expected \(s.expectedAudience)")
                }
            }
            guard let name = jwt.string(s.subClaim), !name.isEmpty else { throw JWT.Invalid("No principal name in the '\(s.subClaim)' claim") }
            return ValidatedToken(principalName: name, scope: jwt.scope(s.scopeClaim), lifetimeMs: jwt.timeMs("exp") ?? 0)
        }
    }
}

/// A JSON Web Key Set (RFC 7517): RSA and P-256 public keys by key id.
public struct JWKS: Sendable, Equatable {
    struct Key: Sendable, Equatable {
        enum Material: Sendable, Equatable {
            case rsa(n: [UInt8], e: [UInt8])
            case p256(x: [UInt8], y: [UInt8])
        }
        var id: String?
        var material: Material
    }
    var keys: [Key]

    /// Reads a JWKS document; keys of other types are skipped, as a verifier would ignore them.
    public init(json: [UInt8]) throws {
        guard let object = JSONValue.object(json), case .array(let items)? = object["keys"] else {
            throw JWT.Invalid("A JWKS document is an object with a \"keys\" array")
        }
        var keys: [Key] = []
        for case .object(let k) in items {
            func b64(_ name: String) -> [UInt8]? {
                if case .string(let s)? = k[name] { return JWT.base64URL(Substring(s)) }
                return nil
            }
            let id: String? = if case .string(let s)? = k["kid"] { s } else { nil }
            switch k["kty"] {
            case .string("RSA")?:
                if let n = b64("n"), let e = b64("e") { keys.append(Key(id: id, material: .rsa(n: n, e: e))) }
            case .string("EC")?:
                if case .string("P-256")? = k["crv"], let x = b64("x"), let y = b64("y") { keys.append(Key(id: id, material: .p256(x: x, y: y))) }
            default:
                continue
            }
        }
        guard !keys.isEmpty else { throw JWT.Invalid("The JWKS document has no RSA or P-256 key") }
        self.keys = keys
    }

    /// Checks the token's signature with the key its `kid` names (or the only key).
    func verify(_ jwt: JWT) throws(JWT.Invalid) {
        guard case .string(let alg)? = jwt.header["alg"] else { throw JWT.Invalid("The token has no alg") }
        let kid: String? = if case .string(let s)? = jwt.header["kid"] { s } else { nil }
        let candidates = kid.map { id in keys.filter { $0.id == id } } ?? (keys.count == 1 ? keys : [])
        guard let key = candidates.first else { throw JWT.Invalid("No key in the JWKS for kid \(kid ?? "(none)")") }
        let input = Array(jwt.signingInput.utf8)
        let valid: Bool
        switch (alg, key.material) {
        case ("RS256", .rsa(let n, let e)), ("RS384", .rsa(let n, let e)), ("RS512", .rsa(let n, let e)):
            guard let publicKey = try? _RSA.Signing.PublicKey(n: n, e: e) else { throw JWT.Invalid("The JWKS RSA key is unusable") }
            let signature = _RSA.Signing.RSASignature(rawRepresentation: jwt.signature)
            valid = switch alg {
            case "RS256": publicKey.isValidSignature(signature, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
            case "RS384": publicKey.isValidSignature(signature, for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
            default: publicKey.isValidSignature(signature, for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
            }
        case ("ES256", .p256(let x, let y)):
            guard let publicKey = try? P256.Signing.PublicKey(rawRepresentation: x + y),
                let signature = try? P256.Signing.ECDSASignature(rawRepresentation: jwt.signature)
            else { throw JWT.Invalid("The ES256 key or signature is malformed") }
            valid = publicKey.isValidSignature(signature, for: SHA256.hash(data: input))
        default:
            throw JWT.Invalid("Algorithm \(alg) is not accepted with this key")
        }
        guard valid else { throw JWT.Invalid("The token's signature does not verify") }
    }
}

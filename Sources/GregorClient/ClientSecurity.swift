import Crypto
import Foundation
import KafkaProtocol
import NIOSSL
import _CryptoExtras

/// How a connection secures itself: TLS (an SSL or SASL_SSL listener) and a SASL login (a
/// SASL_PLAINTEXT or SASL_SSL one). A broker uses it to reach the other brokers on
/// `inter.broker.listener.name`.
public struct ClientSecurity: Sendable {
    /// The TLS context the connection handshakes with; nil for plaintext.
    public var tls: NIOSSLContext?
    /// The login after ApiVersions; nil for none.
    public var sasl: SaslCredentials?

    public init(tls: NIOSSLContext? = nil, sasl: SaslCredentials? = nil) {
        self.tls = tls
        self.sasl = sasl
    }
}

/// A SASL client login: PLAIN or SCRAM-SHA-256/512, with a user name and password.
public struct SaslCredentials: Sendable, Equatable {
    public enum Mechanism: String, Sendable, CaseIterable {
        case plain = "PLAIN"
        case scramSha256 = "SCRAM-SHA-256"
        case scramSha512 = "SCRAM-SHA-512"
    }

    public var mechanism: Mechanism
    public var username: String
    public var password: String

    public init(mechanism: Mechanism, username: String, password: String) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
    }
}

extension SaslHandshakeRequest: ClientRequest { public typealias Response = SaslHandshakeResponse }
extension SaslAuthenticateRequest: ClientRequest { public typealias Response = SaslAuthenticateResponse }

extension KafkaClient {
    /// SaslHandshake, then SaslAuthenticate until the mechanism is done (KIP-152: the tokens
    /// framed as Kafka requests). A refusal is the broker's error (SASL_AUTHENTICATION_FAILED,
    /// UNSUPPORTED_SASL_MECHANISM).
    func authenticate(_ credentials: SaslCredentials) async throws {
        let handshake = try await send(SaslHandshakeRequest(mechanism: credentials.mechanism.rawValue))
        try GregorClientError.check(handshake.errorCode, nil, "SaslHandshake \(credentials.mechanism.rawValue) (the broker enables \(handshake.mechanisms))")
        func round(_ bytes: [UInt8]) async throws -> [UInt8] {
            let answer = try await send(SaslAuthenticateRequest(authBytes: bytes))
            try GregorClientError.check(answer.errorCode, answer.errorMessage, "SaslAuthenticate as \(credentials.username)")
            return answer.authBytes
        }
        switch credentials.mechanism {
        case .plain:
            _ = try await round(Array("\u{0}\(credentials.username)\u{0}\(credentials.password)".utf8))
        case .scramSha256, .scramSha512:
            var scram = ScramClientExchange(sha512: credentials.mechanism == .scramSha512, username: credentials.username,
                                            password: credentials.password)
            let serverFirst = try await round(scram.clientFirst)
            let serverFinal = try await round(try scram.clientFinal(serverFirst: serverFirst))
            try scram.verify(serverFinal: serverFinal)
        }
    }
}

/// The client side of SCRAM (RFC 5802) as Kafka's ScramSaslClient runs it: no channel binding,
/// the user name escaped (`=2C`, `=3D`), the server's signature checked at the end.
struct ScramClientExchange {
    let sha512: Bool
    let username: String
    let password: String
    let nonce: String
    private var clientFirstBare = ""
    private var serverSignature: [UInt8] = []

    init(sha512: Bool, username: String, password: String, nonce: String = UUID().uuidString.replacingOccurrences(of: "-", with: "")) {
        self.sha512 = sha512
        self.username = username
        self.password = password
        self.nonce = nonce
    }

    private func hmac(_ key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        sha512 ? Array(HMAC<SHA512>.authenticationCode(for: data, using: SymmetricKey(data: key)))
            : Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: key)))
    }

    private func hash(_ data: [UInt8]) -> [UInt8] { sha512 ? Array(SHA512.hash(data: data)) : Array(SHA256.hash(data: data)) }

    var clientFirst: [UInt8] {
        mutating get {
            let name = username.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
            clientFirstBare = "n=\(name),r=\(nonce)"
            return Array("n,,\(clientFirstBare)".utf8)
        }
    }

    mutating func clientFinal(serverFirst: [UInt8]) throws -> [UInt8] {
        let text = String(decoding: serverFirst, as: UTF8.self)
        var fields: [Character: String] = [:]
        for part in text.split(separator: ",") where part.count >= 2 && part.dropFirst().first == "=" {
            fields[part.first!] = String(part.dropFirst(2))
        }
        guard let combined = fields["r"], combined.hasPrefix(nonce), combined.count > nonce.count,
              let saltText = fields["s"], let salt = Data(base64Encoded: saltText),
              let iterations = fields["i"].flatMap(Int.init), iterations > 0
        else { throw GregorClientError.malformedResponse("SCRAM server-first message '\(text)'") }
        let salted = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: Array(salt), using: sha512 ? .sha512 : .sha256,
            outputByteCount: sha512 ? 64 : 32, unsafeUncheckedRounds: iterations
        ).withUnsafeBytes { Array($0) }
        let withoutProof = "c=biws,r=\(combined)"
        let authMessage = Array("\(clientFirstBare),\(text),\(withoutProof)".utf8)
        let clientKey = hmac(salted, Array("Client Key".utf8))
        let signature = hmac(hash(clientKey), authMessage)
        let proof = zip(clientKey, signature).map { $0 ^ $1 }
        serverSignature = hmac(hmac(salted, Array("Server Key".utf8)), authMessage)
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }

    /// The broker proved it knows the credential (`v=`), or said why not (`e=`).
    func verify(serverFinal: [UInt8]) throws {
        let text = String(decoding: serverFinal, as: UTF8.self)
        guard text.hasPrefix("v="), Data(base64Encoded: String(text.dropFirst(2))).map(Array.init) == serverSignature else {
            throw GregorClientError.malformedResponse("SCRAM server-final message '\(text)' does not prove the server knows the credential")
        }
    }
}

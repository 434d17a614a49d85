import Foundation

/// The server side of a SCRAM exchange (RFC 5802 section 5), as Kafka's ScramSaslServer runs it:
/// client-first, server-first, client-final, server-final. Every check of the RFC is made: the
/// client-final nonce must be the client's nonce followed by the server's (CVE-2024-56128; see
/// `clientFinal` for the one librdkafka variant also taken), the channel binding must repeat the GS2 header, the proof is compared in
/// constant time, and the iteration count must be at least 4096. Nothing is accepted after the
/// exchange ends, so a replayed client-final fails.
struct ScramServer: SaslServerMechanism {
    let mechanism: ScramMechanism
    /// The credential of a user, nil for an unknown one.
    let credential: @Sendable (String) -> ScramCredential?
    /// A fresh server nonce (printable ASCII, no comma).
    let nonce: @Sendable () -> String
    /// A delegation token's credential and owner by token id, for `tokenauth` logins (KIP-48).
    let token: @Sendable (String) -> (credential: ScramCredential, owner: String)?
    /// The login used a delegation token: the principal is the token's owner.
    private(set) var tokenAuthenticated = false
    private var tokenOwner: String?

    private enum State: Sendable {
        case clientFirst
        case clientFinal(user: String, gs2Header: String, clientFirstBare: String, serverFirst: String, clientNonce: String, nonce: String,
                         credential: ScramCredential)
        case done
    }
    private var state = State.clientFirst

    init(mechanism: ScramMechanism, credential: @escaping @Sendable (String) -> ScramCredential?, nonce: @escaping @Sendable () -> String = ScramServer.randomNonce,
         token: @escaping @Sendable (String) -> (credential: ScramCredential, owner: String)? = { _ in nil }) {
        self.mechanism = mechanism
        self.credential = credential
        self.nonce = nonce
        self.token = token
    }

    /// 32 characters from a set without ',' (Kafka's ScramFormatter.secureRandomString).
    static func randomNonce() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] })
    }

    mutating func evaluate(_ token: [UInt8]) -> SaslStep {
        let message = String(decoding: token, as: UTF8.self)
        switch state {
        case .clientFirst:
            return clientFirst(message)
        case .clientFinal(let user, let gs2Header, let clientFirstBare, let serverFirst, let clientNonce, let nonce, let credential):
            state = .done
            return clientFinal(message, user: user, gs2Header: gs2Header, clientFirstBare: clientFirstBare, serverFirst: serverFirst,
                               clientNonce: clientNonce, nonce: nonce, credential: credential)
        case .done:
            return .failure("Unexpected SASL/\(mechanism.rawValue) message after the exchange ended")
        }
    }

    private mutating func clientFirst(_ message: String) -> SaslStep {
        state = .done
        // gs2-header: "n" or "y" (no channel binding), then the optional authzid, then the bare message.
        let fields = message.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 3 else { return .failure("Invalid SCRAM client first message") }
        guard fields[0] == "n" || fields[0] == "y" else {
            return .failure("Invalid SCRAM client first message: channel binding is not supported")
        }
        let bare = fields[2]
        var attributes = Self.attributes(bare)
        guard let rawUser = attributes.first, rawUser.0 == "n", attributes.count >= 2, attributes[1].0 == "r", !attributes[1].1.isEmpty,
            let user = Self.saslName(rawUser.1)
        else {
            return .failure("Invalid SCRAM client first message")
        }
        if !fields[1].isEmpty {
            guard fields[1].hasPrefix("a="), Self.saslName(String(fields[1].dropFirst(2))) == user else {
                return .failure("Authentication failed: Client requested an authorization id that is different from username")
            }
        }
        let clientNonce = attributes[1].1
        attributes.removeFirst(2)
        // KIP-84 extensions follow the nonce; `tokenauth=true` makes the user name a delegation
        // token id and the password its Base64 HMAC (KIP-48).
        if attributes.contains(where: { $0.0 == "m" }) { return .failure("Invalid SCRAM client first message: mandatory extension") }
        let found: ScramCredential?
        if attributes.contains(where: { $0.0 == "tokenauth" && $0.1.lowercased() == "true" }) {
            let t = token(user)
            found = t?.credential
            tokenOwner = t?.owner
            tokenAuthenticated = t != nil
        } else {
            found = credential(user)
        }
        guard let credential = found else {
            return .failure("Authentication failed: Invalid user credentials")
        }
        guard credential.iterations >= ScramMechanism.minIterations else {
            return .failure("Iterations \(credential.iterations) is less than the minimum \(ScramMechanism.minIterations) for \(mechanism.rawValue)")
        }
        let combined = clientNonce + nonce()
        let serverFirst = "r=\(combined),s=\(Data(credential.salt).base64EncodedString()),i=\(credential.iterations)"
        state = .clientFinal(user: user, gs2Header: fields[0] + "," + fields[1] + ",", clientFirstBare: bare, serverFirst: serverFirst,
                             clientNonce: clientNonce, nonce: combined, credential: credential)
        return .challenge(Array(serverFirst.utf8))
    }

    private func clientFinal(_ message: String, user: String, gs2Header: String, clientFirstBare: String, serverFirst: String,
                             clientNonce: String, nonce: String, credential: ScramCredential) -> SaslStep {
        let invalid = SaslStep.failure(saslInvalidCredentials(mechanism == .sha256 ? .scramSha256 : .scramSha512))
        guard let proofStart = message.range(of: ",p=", options: .backwards) else { return .failure("Invalid SCRAM client final message") }
        let withoutProof = String(message[..<proofStart.lowerBound])
        let attributes = Self.attributes(withoutProof)
        guard attributes.count >= 2, attributes[0].0 == "c", attributes[1].0 == "r",
            let proof = Data(base64Encoded: String(message[proofStart.upperBound...]))
        else {
            return .failure("Invalid SCRAM client final message")
        }
        // The nonce must be the whole nonce the server sent (CVE-2024-56128: Kafka before 3.8.1 did
        // not check it). One variant is accepted besides: librdkafka before 2.6.1 (Debian's kcat
        // among them) sends its own nonce again in front of it (librdkafka#4895). Kafka 3.8.1-3.9
        // accepted that with endsWith, Kafka 4 refuses it; accepting exactly that prefix keeps
        // those clients working while every byte of both nonces is still checked, and the proof
        // covers the message as sent.
        guard attributes[1].1 == nonce || attributes[1].1 == clientNonce + nonce else {
            return .failure("Invalid SCRAM client final message: nonce mismatch")
        }
        guard Data(base64Encoded: attributes[0].1) == Data(gs2Header.utf8) else {
            return .failure("Invalid SCRAM client final message: channel binding mismatch")
        }
        let authMessage = Array((clientFirstBare + "," + serverFirst + "," + withoutProof).utf8)
        let clientSignature = mechanism.hmac(key: credential.storedKey, authMessage)
        guard proof.count == clientSignature.count else { return invalid }
        let clientKey = zip(proof, clientSignature).map { $0 ^ $1 }
        let computed = mechanism.hash(clientKey)
        // Constant time: every byte is compared whatever the first difference.
        guard computed.count == credential.storedKey.count, zip(computed, credential.storedKey).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            return invalid
        }
        let serverSignature = mechanism.hmac(key: credential.serverKey, authMessage)
        return .success(principal: tokenOwner ?? "User:\(user)", final: Array("v=\(Data(serverSignature).base64EncodedString())".utf8))
    }

    /// `k=v,k=v` pairs in order (values may contain '=').
    static func attributes(_ text: String) -> [(String, String)] {
        text.split(separator: ",", omittingEmptySubsequences: false).map { field in
            guard let eq = field.firstIndex(of: "=") else { return (String(field), "") }
            return (String(field[..<eq]), String(field[field.index(after: eq)...]))
        }
    }

    /// RFC 5802's saslname: "=2C" is ',' and "=3D" is '='; any other '=' is invalid.
    static func saslName(_ encoded: String) -> String? {
        var out = ""
        var rest = Substring(encoded)
        while let eq = rest.firstIndex(of: "=") {
            out += rest[..<eq]
            let code = rest[rest.index(after: eq)...].prefix(2)
            switch code {
            case "2C": out += ","
            case "3D": out += "="
            default: return nil
            }
            rest = rest[rest.index(eq, offsetBy: 3)...]
        }
        return out + rest
    }
}

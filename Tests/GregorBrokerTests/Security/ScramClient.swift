import Foundation

@testable import GregorBroker

/// The client side of SCRAM for tests (RFC 5802 section 3), with a chosen nonce.
struct ScramClient {
    let mechanism: ScramMechanism
    let user: String
    let password: String
    let nonce: String
    /// KIP-84 extensions after the nonce, e.g. `tokenauth=true`.
    var extensions = ""
    var clientFirstBare: String { "n=\(user),r=\(nonce)\(extensions.isEmpty ? "" : "," + extensions)" }
    var clientFirst: [UInt8] { Array("n,,\(clientFirstBare)".utf8) }

    /// The client-final message for `serverFirst`, with the nonce the server sent unless overridden.
    func clientFinal(_ serverFirst: [UInt8], nonceOverride: String? = nil) throws -> [UInt8] {
        let text = String(decoding: serverFirst, as: UTF8.self)
        let attributes = Dictionary(ScramServer.attributes(text), uniquingKeysWith: { a, _ in a })
        let salt = [UInt8](Data(base64Encoded: attributes["s"]!)!)
        let iterations = Int(attributes["i"]!)!
        let withoutProof = "c=biws,r=\(nonceOverride ?? attributes["r"]!)"
        let salted = try mechanism.saltedPassword(password, salt: salt, iterations: iterations)
        let clientKey = mechanism.hmac(key: salted, Array("Client Key".utf8))
        let storedKey = mechanism.hash(clientKey)
        let authMessage = Array("\(clientFirstBare),\(text),\(withoutProof)".utf8)
        let signature = mechanism.hmac(key: storedKey, authMessage)
        let proof = zip(clientKey, signature).map { $0 ^ $1 }
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }
}

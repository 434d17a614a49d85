import Crypto
import _CryptoExtras
import Foundation

/// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) as Kafka serves them (KIP-84).
public enum ScramMechanism: String, Sendable, CaseIterable, Codable {
    case sha256 = "SCRAM-SHA-256"
    case sha512 = "SCRAM-SHA-512"

    /// The mechanism's number in AlterUserScramCredentials and DescribeUserScramCredentials (KIP-554).
    public var type: Int8 { self == .sha256 ? 1 : 2 }

    public init?(type: Int8) {
        switch type {
        case 1: self = .sha256
        case 2: self = .sha512
        default: return nil
        }
    }

    /// Kafka's ScramMechanism.minIterations; AlterUserScramCredentials also refuses more than 16384.
    public static let minIterations: Int32 = 4096
    public static let maxIterations: Int32 = 16384

    func hash(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha256: Array(SHA256.hash(data: data))
        case .sha512: Array(SHA512.hash(data: data))
        }
    }

    func hmac(key: [UInt8], _ data: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        switch self {
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: data, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: data, using: key))
        }
    }

    /// Hi(password, salt, i) of RFC 5802: PBKDF2 with this mechanism's HMAC.
    public func saltedPassword(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: self == .sha256 ? .sha256 : .sha512,
            outputByteCount: self == .sha256 ? 32 : 64, unsafeUncheckedRounds: iterations)
        return key.withUnsafeBytes { Array($0) }
    }
}

/// What the broker keeps of a SCRAM password: enough to check a proof and prove itself, never
/// the password (RFC 5802 section 3).
struct ScramCredential: Sendable, Equatable, Codable {
    var salt: [UInt8]
    var storedKey: [UInt8]
    var serverKey: [UInt8]
    var iterations: Int32

    /// From a salted password, as AlterUserScramCredentials sends it (the client salts it).
    init(mechanism: ScramMechanism, salt: [UInt8], saltedPassword: [UInt8], iterations: Int32) {
        let clientKey = mechanism.hmac(key: saltedPassword, Array("Client Key".utf8))
        self.salt = salt
        self.storedKey = mechanism.hash(clientKey)
        self.serverKey = mechanism.hmac(key: saltedPassword, Array("Server Key".utf8))
        self.iterations = iterations
    }

    /// From a password, with a new random salt (`gregor users add`, tests).
    init(mechanism: ScramMechanism, password: String, iterations: Int32 = ScramMechanism.minIterations) throws {
        var salt = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &rng) }
        self.init(mechanism: mechanism, salt: salt,
                  saltedPassword: try mechanism.saltedPassword(password, salt: salt, iterations: Int(iterations)), iterations: iterations)
    }
}

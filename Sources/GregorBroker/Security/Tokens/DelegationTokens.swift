import Crypto
import Foundation
import GregorStorage
import KafkaProtocol
import NIOCore
import Synchronization

/// Delegation tokens (KIP-48), as Kafka's DelegationTokenManager keeps them: a token id and an
/// HMAC-SHA512 of it under `delegation.token.secret.key`, owned by a principal, renewable by the
/// owner and the named renewers until its max timestamp. A client logs in with SCRAM using the
/// token id as user name, the Base64 HMAC as password and the `tokenauth=true` extension, and
/// acts as the owner. Tokens are durable in the data directory and dropped once expired.
final class DelegationTokens: Sendable {
    /// One token as stored.
    struct Token: Codable, Sendable, Equatable {
        var tokenId: String
        var owner: String
        var requester: String
        var renewers: [String]
        var issueTimestamp: Int64
        var expiryTimestamp: Int64
        var maxTimestamp: Int64
        var hmac: [UInt8]
        /// The SCRAM credentials of the Base64 HMAC, made once at creation (KIP-48).
        var scram256: ScramCredential
        var scram512: ScramCredential

        func expired(at now: Int64) -> Bool { now > expiryTimestamp || now > maxTimestamp }
    }

    /// `delegation.token.*` settings.
    struct Settings: Sendable, Equatable {
        /// `delegation.token.secret.key`; tokens are disabled without it.
        var secretKey: String?
        var maxLifetimeMs: Int64 = 7 * 86_400_000
        var expiryTimeMs: Int64 = 86_400_000
    }

    let settings: Settings
    private let path: String
    private let clock: @Sendable () -> Int64
    private let tokens: Mutex<[String: Token]>

    static let fileName = "__gregor_delegation_tokens.json"

    init(directory: String, settings: Settings, clock: @escaping @Sendable () -> Int64) throws {
        self.settings = settings
        self.clock = clock
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        var loaded: [String: Token] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            for token in try JSONDecoder().decode([Token].self, from: data) { loaded[token.tokenId] = token }
        }
        tokens = Mutex(loaded)
    }

    var enabled: Bool { settings.secretKey?.isEmpty == false }

    /// HMAC-SHA512 of the token id under the secret key.
    func hmac(_ tokenId: String) -> [UInt8] {
        Array(HMAC<SHA512>.authenticationCode(for: Array(tokenId.utf8), using: SymmetricKey(data: Array((settings.secretKey ?? "").utf8))))
    }

    /// CreateDelegationToken: a new token for `owner` (the requester unless given).
    func create(owner: String, requester: String, renewers: [String], maxLifetimeMs: Int64) throws -> Token {
        let now = clock()
        let lifetime = maxLifetimeMs > 0 ? min(settings.maxLifetimeMs, maxLifetimeMs) : settings.maxLifetimeMs
        let maxTimestamp = now + lifetime
        let tokenId = UUID().uuidString
        let mac = hmac(tokenId)
        let password = Data(mac).base64EncodedString()
        let token = Token(
            tokenId: tokenId, owner: owner, requester: requester, renewers: renewers, issueTimestamp: now,
            expiryTimestamp: min(maxTimestamp, now + settings.expiryTimeMs), maxTimestamp: maxTimestamp, hmac: mac,
            scram256: try ScramCredential(mechanism: .sha256, password: password),
            scram512: try ScramCredential(mechanism: .sha512, password: password))
        try change { $0[tokenId] = token }
        return token
    }

    /// RenewDelegationToken and ExpireDelegationToken: a new expiry for the token with `hmac`,
    /// `period` from now (the default renew period for a negative renewal; at once, removing the
    /// token, for a negative expiry), never past its max timestamp.
    func update(hmac: [UInt8], principal: String, period: Int64, renew: Bool) throws -> (ErrorCode, Int64) {
        let now = clock()
        var outcome: (ErrorCode, Int64) = (.delegationTokenNotFound, -1)
        try change { all in
            guard let (id, token) = all.first(where: { $0.value.hmac == hmac }) else { return }
            guard token.owner == principal || token.renewers.contains(principal) else {
                outcome = (.delegationTokenOwnerMismatch, -1)
                return
            }
            guard !token.expired(at: now) else {
                outcome = (.delegationTokenExpired, -1)
                return
            }
            if !renew && period < 0 {
                all[id] = nil
                outcome = (.none, now)
                return
            }
            let expiry = min(token.maxTimestamp, now + (renew && period < 0 ? settings.expiryTimeMs : period))
            all[id]?.expiryTimestamp = expiry
            outcome = (.none, expiry)
        }
        return outcome
    }

    /// The live tokens whose owner is in `owners` (every owner when nil).
    func describe(owners: [String]?) -> [Token] {
        let now = clock()
        return tokens.withLock { $0.values }
            .filter { !$0.expired(at: now) && (owners == nil || owners!.contains($0.owner)) }
            .sorted { $0.issueTimestamp < $1.issueTimestamp }
    }

    /// The SCRAM credential and owner of a live token, for a `tokenauth` login.
    func login(tokenId: String, mechanism: ScramMechanism) -> (credential: ScramCredential, owner: String)? {
        let now = clock()
        guard let token = tokens.withLock({ $0[tokenId] }), !token.expired(at: now) else { return nil }
        return (mechanism == .sha256 ? token.scram256 : token.scram512, token.owner)
    }

    /// Applies `body` to the tokens, dropping expired ones, and writes them before returning.
    private func change(_ body: (inout [String: Token]) -> Void) throws {
        let now = clock()
        try tokens.withLock { current in
            var next = current
            body(&next)
            next = next.filter { !$0.value.expired(at: now) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try writeFileDurably(ByteBuffer(bytes: try encoder.encode(next.values.sorted { $0.tokenId < $1.tokenId })), to: path)
            current = next
        }
    }
}

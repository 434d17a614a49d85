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
/// acts as the owner. A broker on its own keeps tokens in the first log directory; a cluster
/// member keeps them in etcd (one key per token), so a token works at every broker. Expired
/// tokens are dropped at the next change.
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
    private let clock: @Sendable () -> Int64
    private let table: SecurityTable<Token>

    static let fileName = "__gregor_delegation_tokens.json"
    /// The kind under `<prefix>/security/` in etcd.
    static let kind = "tokens"

    /// Tokens durable in `directory`.
    convenience init(directory: String, settings: Settings, clock: @escaping @Sendable () -> Int64) throws {
        let path = (directory as NSString).appendingPathComponent(Self.fileName)
        var loaded: [Token] = []
        if let data = FileManager.default.contents(atPath: path) { loaded = try JSONDecoder().decode([Token].self, from: data) }
        self.init(settings: settings, clock: clock, initial: loaded, backing: .file(save: { tokens in
            try writeFileDurably(ByteBuffer(bytes: try JSONEncoder.sorted.encode(tokens.sorted { $0.tokenId < $1.tokenId })), to: path)
        }))
    }

    /// Tokens kept by the cluster: they arrive through `apply`.
    convenience init(settings: Settings, clock: @escaping @Sendable () -> Int64, cluster: any SecurityEntrySink) {
        self.init(settings: settings, clock: clock, initial: [], backing: .cluster(kind: Self.kind, sink: cluster))
    }

    private init(settings: Settings, clock: @escaping @Sendable () -> Int64, initial: [Token], backing: SecurityTable<Token>.Backing) {
        self.settings = settings
        self.clock = clock
        table = SecurityTable(backing: backing, initial: initial, key: \.tokenId)
    }

    /// The cluster's changes, as the etcd watch brings them.
    func apply(_ changes: [(key: String, value: [UInt8]?)]) -> [String] { table.apply(changes) }

    var enabled: Bool { settings.secretKey?.isEmpty == false }

    /// HMAC-SHA512 of the token id under the secret key.
    func hmac(_ tokenId: String) -> [UInt8] {
        Array(HMAC<SHA512>.authenticationCode(for: Array(tokenId.utf8), using: SymmetricKey(data: Array((settings.secretKey ?? "").utf8))))
    }

    /// CreateDelegationToken: a new token for `owner` (the requester unless given).
    func create(owner: String, requester: String, renewers: [String], maxLifetimeMs: Int64) async throws -> Token {
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
        try await change { $0[tokenId] = token }
        return token
    }

    /// RenewDelegationToken and ExpireDelegationToken: a new expiry for the token with `hmac`,
    /// `period` from now (the default renew period for a negative renewal; at once, removing the
    /// token, for a negative expiry), never past its max timestamp.
    func update(hmac: [UInt8], principal: String, period: Int64, renew: Bool) async throws -> (ErrorCode, Int64) {
        let now = clock()
        let expiryTimeMs = settings.expiryTimeMs
        return try await change { all -> (ErrorCode, Int64) in
            guard let (id, token) = all.first(where: { $0.value.hmac == hmac }) else { return (.delegationTokenNotFound, -1) }
            guard token.owner == principal || token.renewers.contains(principal) else { return (.delegationTokenOwnerMismatch, -1) }
            guard !token.expired(at: now) else { return (.delegationTokenExpired, -1) }
            if !renew && period < 0 {
                all[id] = nil
                return (.none, now)
            }
            let expiry = min(token.maxTimestamp, now + (renew && period < 0 ? expiryTimeMs : period))
            all[id]?.expiryTimestamp = expiry
            return (.none, expiry)
        }
    }

    /// The live tokens whose owner is in `owners` (every owner when nil).
    func describe(owners: [String]?) -> [Token] {
        let now = clock()
        return table.entries
            .filter { !$0.expired(at: now) && (owners == nil || owners!.contains($0.owner)) }
            .sorted { $0.issueTimestamp < $1.issueTimestamp }
    }

    /// The SCRAM credential and owner of a live token, for a `tokenauth` login.
    func login(tokenId: String, mechanism: ScramMechanism) -> (credential: ScramCredential, owner: String)? {
        let now = clock()
        guard let token = table.entry(tokenId), !token.expired(at: now) else { return nil }
        return (mechanism == .sha256 ? token.scram256 : token.scram512, token.owner)
    }

    /// Applies `body` to the tokens, dropping expired ones; durable before it returns.
    private func change<R>(_ body: (inout [String: Token]) -> R) async throws -> R {
        let now = clock()
        return try await table.change { _, tokens in
            let result = body(&tokens)
            tokens = tokens.filter { !$0.value.expired(at: now) }
            return result
        }
    }
}

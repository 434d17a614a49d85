import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension CreateDelegationTokenRequest: TestRequest { typealias Response = CreateDelegationTokenResponse }
extension RenewDelegationTokenRequest: TestRequest { typealias Response = RenewDelegationTokenResponse }
extension ExpireDelegationTokenRequest: TestRequest { typealias Response = ExpireDelegationTokenResponse }
extension DescribeDelegationTokenRequest: TestRequest { typealias Response = DescribeDelegationTokenResponse }

/// Delegation tokens (KIP-48) over the wire: created, used for a SCRAM login, renewed,
/// described and expired, with Kafka's refusals.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct DelegationTokenTests {
    static func loggedIn(_ port: Int, _ user: String) async throws -> KafkaTestClient {
        let client = try await KafkaTestClient.connect(port: port)
        #expect(try await SaslListenerTests.login(client, user, "\(user)-secret").errorCode == 0)
        return client
    }

    /// A SCRAM-SHA-256 login with the token id and Base64 HMAC, `tokenauth=true`.
    static func tokenLogin(_ port: Int, tokenId: String, hmac: [UInt8]) async throws -> (KafkaTestClient, Int16) {
        let client = try await KafkaTestClient.connect(port: port)
        #expect(try await client.request(SaslHandshakeRequest(mechanism: "SCRAM-SHA-256"), version: 1).errorCode == 0)
        var scram = ScramClient(mechanism: .sha256, user: tokenId, password: Data(hmac).base64EncodedString(), nonce: "token-nonce")
        scram.extensions = "tokenauth=true"
        let first = try await client.request(SaslAuthenticateRequest(authBytes: scram.clientFirst), version: 2)
        guard first.errorCode == 0 else { return (client, first.errorCode) }
        let final = try await client.request(SaslAuthenticateRequest(authBytes: try scram.clientFinal(first.authBytes)), version: 2)
        return (client, final.errorCode)
    }

    @Test func tokensAreRefusedWithoutASecretKeyAndOnPlaintext() async throws {
        try await SaslListenerTests.withBroker { _, plain, port in
            let alice = try await Self.loggedIn(port, "alice")
            #expect(try await alice.request(CreateDelegationTokenRequest(renewers: [], maxLifetimeMs: -1), version: 3).errorCode
                == ErrorCode.delegationTokenAuthDisabled.rawValue)
            await alice.close()
            #expect(try await plain.request(CreateDelegationTokenRequest(renewers: [], maxLifetimeMs: -1), version: 3).errorCode
                == ErrorCode.delegationTokenRequestNotAllowed.rawValue)
        }
    }

    @Test func aTokenLogsInAsItsOwnerAndLivesUntilExpired() async throws {
        try await SaslListenerTests.withBroker(tokenSecret: "a-long-secret") { broker, _, port in
            let alice = try await Self.loggedIn(port, "alice")
            let created = try await alice.request(
                CreateDelegationTokenRequest(renewers: [.init(principalType: "User", principalName: "bob")], maxLifetimeMs: 3_600_000), version: 3)
            #expect(created.errorCode == 0 && created.principalName == "alice" && created.tokenRequesterPrincipalName == "alice")
            #expect(created.hmac.count == 64 && !created.tokenId.isEmpty)
            #expect(created.maxTimestampMs == created.issueTimestampMs + 3_600_000 && created.expiryTimestampMs == created.maxTimestampMs)

            // The token logs in; a token-authenticated connection may not manage tokens.
            let (viaToken, code) = try await Self.tokenLogin(port, tokenId: created.tokenId, hmac: created.hmac)
            #expect(code == 0)
            #expect(try await viaToken.request(CreateDelegationTokenRequest(renewers: [], maxLifetimeMs: -1), version: 3).errorCode
                == ErrorCode.delegationTokenRequestNotAllowed.rawValue)
            await viaToken.close()
            let (_, wrong) = try await Self.tokenLogin(port, tokenId: created.tokenId, hmac: Array(created.hmac.reversed()))
            #expect(wrong == ErrorCode.saslAuthenticationFailed.rawValue)

            // Durable before it is acknowledged.
            let reopened = try DelegationTokens(directory: broker.broker.config.logDirs[0], settings: .init(secretKey: "a-long-secret"), clock: broker.broker.clock)
            #expect(reopened.describe(owners: nil).map(\.tokenId) == [created.tokenId])

            let described = try await alice.request(DescribeDelegationTokenRequest(owners: nil), version: 3)
            #expect(described.tokens.map(\.tokenId) == [created.tokenId] && described.tokens.first?.renewers.map(\.principalName) == ["bob"])

            // The renewer may renew, another user may not.
            let bob = try await Self.loggedIn(port, "bob")
            let renewed = try await bob.request(RenewDelegationTokenRequest(hmac: created.hmac, renewPeriodMs: 60_000), version: 2)
            #expect(renewed.errorCode == 0 && renewed.expiryTimestampMs <= created.maxTimestampMs && renewed.expiryTimestampMs < created.expiryTimestampMs)
            let carol = try await Self.loggedIn(port, "carol")
            #expect(try await carol.request(RenewDelegationTokenRequest(hmac: created.hmac, renewPeriodMs: 60_000), version: 2).errorCode
                == ErrorCode.delegationTokenOwnerMismatch.rawValue)
            #expect(try await carol.request(RenewDelegationTokenRequest(hmac: [1, 2, 3], renewPeriodMs: 60_000), version: 2).errorCode
                == ErrorCode.delegationTokenNotFound.rawValue)

            // Expired at once by its owner: gone, and no longer a login.
            #expect(try await alice.request(ExpireDelegationTokenRequest(hmac: created.hmac, expiryTimePeriodMs: -1), version: 2).errorCode == 0)
            #expect(try await alice.request(DescribeDelegationTokenRequest(owners: nil), version: 3).tokens.isEmpty)
            let (_, gone) = try await Self.tokenLogin(port, tokenId: created.tokenId, hmac: created.hmac)
            #expect(gone == ErrorCode.saslAuthenticationFailed.rawValue)
            for client in [alice, bob, carol] { await client.close() }
        }
    }
}

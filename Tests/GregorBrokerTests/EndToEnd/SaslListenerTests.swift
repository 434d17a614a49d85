import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension SaslHandshakeRequest: TestRequest { typealias Response = SaslHandshakeResponse }
extension SaslAuthenticateRequest: TestRequest { typealias Response = SaslAuthenticateResponse }
extension AlterUserScramCredentialsRequest: TestRequest { typealias Response = AlterUserScramCredentialsResponse }
extension DescribeUserScramCredentialsRequest: TestRequest { typealias Response = DescribeUserScramCredentialsResponse }

/// SASL_PLAINTEXT listeners over the wire: the gate before authentication, PLAIN, SCRAM with
/// credentials set through AlterUserScramCredentials, and the v0 handshake's bare tokens.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct SaslListenerTests {
    /// A broker with PLAINTEXT (the client `body` gets) and SASL_PLAINTEXT listeners; the SASL port.
    static func withBroker<T>(
        reauthMs: Int64 = 0, tokenSecret: String? = nil, authorizer: AclAuthorizerSettings? = nil,
        _ body: (TestBroker, KafkaTestClient, Int) async throws -> T
    ) async throws -> T {
        try await TestBroker.with({ c in
            c.authorizer = authorizer
            c.connectionsMaxReauthMs = reauthMs
            c.delegationTokenSecretKey = tokenSecret
            c.listeners = [Listener(host: "127.0.0.1", port: 0), Listener(name: "SASL_PLAINTEXT", host: "127.0.0.1", port: 0, securityProtocol: .saslPlaintext)]
            c.advertisedListeners = [.init(host: "127.0.0.1", port: 0), .init(name: "SASL_PLAINTEXT", host: "127.0.0.1", port: 0)]
            c.sasl["SASL_PLAINTEXT"] = SaslSettings(
                enabledMechanisms: ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"], plainUsers: ["alice": "alice-secret", "bob": "bob-secret", "carol": "carol-secret"])
            c.failedAuthenticationDelayMs = 20
        }) { broker, client in
            let port = try #require(broker.broker.advertised.first { $0.name == "SASL_PLAINTEXT" }?.port)
            return try await body(broker, client, port)
        }
    }

    static func plainToken(_ user: String, _ password: String) -> [UInt8] { Array("\u{0}\(user)\u{0}\(password)".utf8) }

    @Test func plainLoginOpensEveryApi() async throws {
        try await Self.withBroker { _, _, port in
            let client = try await KafkaTestClient.connect(port: port)
            #expect(try await client.request(ApiVersionsRequest(), version: 3).errorCode == 0)
            let handshake = try await client.request(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)
            #expect(handshake.errorCode == 0 && handshake.mechanisms == ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"])
            let auth = try await client.request(SaslAuthenticateRequest(authBytes: Self.plainToken("alice", "alice-secret")), version: 2)
            #expect(auth.errorCode == 0 && auth.sessionLifetimeMs == 0)
            let metadata = try await client.request(Requests.metadata([]), version: 12)
            #expect(metadata.brokers.map(\.port) == [Int32(port)])
            await client.close()
        }
    }

    @Test func aWrongPasswordIsAnsweredThenTheConnectionCloses() async throws {
        try await Self.withBroker { _, plain, port in
            let client = try await KafkaTestClient.connect(port: port)
            _ = try await client.request(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)
            let auth = try await client.request(SaslAuthenticateRequest(authBytes: Self.plainToken("alice", "guess")), version: 1)
            #expect(auth.errorCode == ErrorCode.saslAuthenticationFailed.rawValue)
            #expect(auth.errorMessage == "Authentication failed: Invalid username or password")
            #expect(try await client.waitForClose(timeout: .seconds(5)) == 0)
            await client.close()
            try await plain.expectServed()
        }
    }

    /// Every API key Kafka defines but ApiVersions and SaslHandshake, and an unknown one: the
    /// connection closes before the request's body is read, and the broker serves the others.
    @Test func everyOtherApiBeforeTheHandshakeClosesUnanswered() async throws {
        try await Self.withBroker { _, plain, port in
            let keys = ApiKey.allKnown.filter { $0 != .apiVersions && $0 != .saslHandshake } + [ApiKey(rawValue: 999)]
            for key in keys {
                let client = try await KafkaTestClient.connect(port: port)
                var payload = ByteBuffer()
                payload.writeInteger(key.rawValue)
                payload.writeInteger(Int16(1))
                payload.writeInteger(Int32(7))
                payload.writeInteger(Int16(-1))
                try await client.write(KafkaTestClient.sizePrefixed(payload))
                #expect(try await client.waitForClose(timeout: .seconds(5)) == 0, "\(key)")
                await client.close()
            }
            try await plain.expectServed()
        }
    }

    @Test func anUnsupportedMechanismIsRefusedWithTheEnabledOnes() async throws {
        try await Self.withBroker { _, _, port in
            let client = try await KafkaTestClient.connect(port: port)
            let handshake = try await client.request(SaslHandshakeRequest(mechanism: "GSSAPI"), version: 1)
            #expect(handshake.errorCode == ErrorCode.unsupportedSaslMechanism.rawValue)
            #expect(handshake.mechanisms == ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"])
            #expect(try await client.waitForClose(timeout: .seconds(5)) == 0)
            await client.close()
        }
    }

    @Test func anOversizedFrameBeforeAuthenticationCloses() async throws {
        try await Self.withBroker { _, plain, port in
            let client = try await KafkaTestClient.connect(port: port)
            var size = ByteBuffer()
            size.writeInteger(Int32(524_289))
            try await client.write(size)
            #expect(try await client.waitForClose(timeout: .seconds(5)) == 0)
            await client.close()
            try await plain.expectServed()
        }
    }

    @Test func aV0HandshakeCarriesBareTokens() async throws {
        try await Self.withBroker { _, _, port in
            let client = try await KafkaTestClient.connect(port: port)
            #expect(try await client.request(SaslHandshakeRequest(mechanism: "PLAIN"), version: 0).errorCode == 0)
            try await client.write(KafkaTestClient.sizePrefixed(ByteBuffer(bytes: Self.plainToken("alice", "alice-secret"))))
            let reply = try #require(try await client.nextFrame())
            #expect(reply.readableBytes == 0)
            #expect(try await client.request(Requests.metadata([]), version: 12).brokers.count == 1)
            await client.close()
        }
    }

    @Test(arguments: [ScramMechanism.sha256, .sha512])
    func scramCredentialsSetByTheAdminApiLogIn(mechanism: ScramMechanism) async throws {
        try await Self.withBroker { broker, admin, port in
            let salt = Array("pepper-and-salt".utf8)
            let salted = try mechanism.saltedPassword("bob-secret", salt: salt, iterations: 4096)
            let altered = try await admin.request(AlterUserScramCredentialsRequest(upsertions: [
                .init(name: "bob", mechanism: mechanism.type, iterations: 4096, salt: salt, saltedPassword: salted),
                .init(name: "weak", mechanism: mechanism.type, iterations: 100, salt: salt, saltedPassword: salted),
            ]), version: 0)
            #expect(altered.results.map(\.errorCode) == [0, ErrorCode.unacceptableCredential.rawValue])
            let described = try await admin.request(DescribeUserScramCredentialsRequest(users: [.init(name: "bob"), .init(name: "nobody")]), version: 0)
            #expect(described.results.map(\.user) == ["bob", "nobody"])
            #expect(described.results[0].credentialInfos.map(\.mechanism) == [mechanism.type])
            #expect(described.results[1].errorCode == ErrorCode.resourceNotFound.rawValue)

            let client = try await KafkaTestClient.connect(port: port)
            #expect(try await client.request(SaslHandshakeRequest(mechanism: mechanism.rawValue), version: 1).errorCode == 0)
            let scram = ScramClient(mechanism: mechanism, user: "bob", password: "bob-secret", nonce: "client-nonce-1")
            let first = try await client.request(SaslAuthenticateRequest(authBytes: scram.clientFirst), version: 2)
            #expect(first.errorCode == 0)
            let final = try await client.request(SaslAuthenticateRequest(authBytes: try scram.clientFinal(first.authBytes)), version: 2)
            #expect(final.errorCode == 0 && String(decoding: final.authBytes, as: UTF8.self).hasPrefix("v="))
            #expect(try await client.request(Requests.metadata([]), version: 12).brokers.count == 1)
            await client.close()

            // Durable: a store opened anew on the same directory has them.
            let reopened = try ScramCredentialStore(directory: broker.broker.config.logDirs[0])
            #expect(reopened.credential("bob", mechanism) == broker.broker.scramCredentials.credential("bob", mechanism))
            #expect(reopened.credential("weak", mechanism) == nil)

            let deleted = try await admin.request(AlterUserScramCredentialsRequest(deletions: [.init(name: "bob", mechanism: mechanism.type)]), version: 0)
            #expect(deleted.results.map(\.errorCode) == [0])
            let again = try await admin.request(AlterUserScramCredentialsRequest(deletions: [.init(name: "bob", mechanism: mechanism.type)]), version: 0)
            #expect(again.results.map(\.errorCode) == [ErrorCode.resourceNotFound.rawValue])
        }
    }

    @Test func oauthBearerWithAnUnsecuredTokenAndWithABadOne() async throws {
        try await Self.withBroker { _, plain, port in
            let exp = Date().timeIntervalSince1970 + 600
            let good = OAuthBearerTests.message(OAuthBearerTests.unsecured(["sub": "svc", "exp": exp]))
            let client = try await KafkaTestClient.connect(port: port)
            #expect(try await client.request(SaslHandshakeRequest(mechanism: "OAUTHBEARER"), version: 1).errorCode == 0)
            #expect(try await client.request(SaslAuthenticateRequest(authBytes: good), version: 2).errorCode == 0)
            #expect(try await client.request(Requests.metadata([]), version: 12).brokers.count == 1)
            await client.close()

            let bad = OAuthBearerTests.message(OAuthBearerTests.unsecured(["sub": "svc", "exp": exp - 1200]))
            let refused = try await KafkaTestClient.connect(port: port)
            _ = try await refused.request(SaslHandshakeRequest(mechanism: "OAUTHBEARER"), version: 1)
            let challenge = try await refused.request(SaslAuthenticateRequest(authBytes: bad), version: 2)
            #expect(challenge.errorCode == 0 && challenge.authBytes == Array(#"{"status":"invalid_token"}"#.utf8))
            let final = try await refused.request(SaslAuthenticateRequest(authBytes: [1]), version: 2)
            #expect(final.errorCode == ErrorCode.saslAuthenticationFailed.rawValue)
            #expect(try await refused.waitForClose(timeout: .seconds(5)) == 0)
            await refused.close()
            try await plain.expectServed()
        }
    }

    static func login(_ client: KafkaTestClient, _ user: String, _ password: String) async throws -> SaslAuthenticateResponse {
        #expect(try await client.request(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1).errorCode == 0)
        return try await client.request(SaslAuthenticateRequest(authBytes: plainToken(user, password)), version: 2)
    }

    @Test func withoutReauthenticationALoginAgainIsIllegalAndHarmless() async throws {
        try await Self.withBroker { _, _, port in
            let client = try await KafkaTestClient.connect(port: port)
            #expect(try await Self.login(client, "alice", "alice-secret").sessionLifetimeMs == 0)
            let again = try await client.request(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)
            #expect(again.errorCode == ErrorCode.illegalSaslState.rawValue)
            let token = try await client.request(SaslAuthenticateRequest(authBytes: Self.plainToken("bob", "bob-secret")), version: 2)
            #expect(token.errorCode == ErrorCode.illegalSaslState.rawValue)
            #expect(try await client.request(Requests.metadata([]), version: 12).brokers.count == 1)
            await client.close()
        }
    }

    @Test func reauthenticationRenewsTheSessionAsTheSamePrincipalOnly() async throws {
        try await Self.withBroker(reauthMs: 1500) { _, _, port in
            let client = try await KafkaTestClient.connect(port: port)
            #expect(try await Self.login(client, "alice", "alice-secret").sessionLifetimeMs == 1500)
            // Logging in again before the end renews the session.
            try await Task.sleep(for: .milliseconds(1000))
            #expect(try await Self.login(client, "alice", "alice-secret").sessionLifetimeMs == 1500)
            try await Task.sleep(for: .milliseconds(1000))
            #expect(try await client.request(Requests.metadata([]), version: 12).brokers.count == 1)
            // Another principal on the same connection is refused, and the connection closed.
            let other = try await Self.login(client, "bob", "bob-secret")
            #expect(other.errorCode == ErrorCode.saslAuthenticationFailed.rawValue)
            #expect(other.errorMessage == "Cannot change principals during re-authentication from User:alice to User:bob")
            #expect(try await client.waitForClose(timeout: .seconds(5)) == 0)
            await client.close()

            // A session left to expire: the next request closes the connection unanswered.
            let idle = try await KafkaTestClient.connect(port: port)
            _ = try await Self.login(idle, "alice", "alice-secret")
            try await Task.sleep(for: .milliseconds(1700))
            try await idle.write(try idle.frame(Requests.metadata([]), version: 12, correlationId: 99))
            #expect(try await idle.waitForClose(timeout: .seconds(5)) == 0)
            await idle.close()
        }
    }

    @Test func saslRequestsOnAPlaintextListenerAreIllegal() async throws {
        try await Self.withBroker { _, plain, _ in
            let handshake = try await plain.request(SaslHandshakeRequest(mechanism: "PLAIN"), version: 1)
            #expect(handshake.errorCode == ErrorCode.illegalSaslState.rawValue && handshake.mechanisms.isEmpty)
            try await plain.expectServed()
        }
    }
}

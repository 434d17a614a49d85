import Foundation
import Testing

@testable import GregorBroker

/// The SASL mechanisms as transcripts: client token in, server step out.
@Suite struct SaslMechanismTests {
    // RFC 7677 section 3: user "user", password "pencil".
    static let rfcSalt = [UInt8](Data(base64Encoded: "W22ZaJ0SNY7soEsUEjb6gQ==")!)
    static let rfcCredential = try! ScramCredential(
        mechanism: .sha256, salt: rfcSalt, saltedPassword: ScramMechanism.sha256.saltedPassword("pencil", salt: rfcSalt, iterations: 4096),
        iterations: 4096)

    static func rfcServer(users: [String: ScramCredential] = ["user": rfcCredential]) -> ScramServer {
        ScramServer(mechanism: .sha256, credential: { users[$0] }, nonce: { "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" })
    }

    static func text(_ step: SaslStep) -> String? {
        switch step {
        case .challenge(let b): String(decoding: b, as: UTF8.self)
        case .success(_, let b): String(decoding: b, as: UTF8.self)
        case .failure: nil
        }
    }

    @Test func scramSha256FollowsRFC7677() {
        var server = Self.rfcServer()
        let first = server.evaluate(Array("n,,n=user,r=rOprNGfwEbeRWgbNEkqO".utf8))
        #expect(Self.text(first) == "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
        let final = server.evaluate(Array("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8))
        #expect(final == .success(principal: "User:user", final: Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8)))
        // The exchange is over: the same client-final again (a replay) is refused.
        guard case .failure = server.evaluate(Array("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=".utf8)) else {
            Issue.record("a replayed client-final was accepted")
            return
        }
    }

    @Test(arguments: [ScramMechanism.sha256, .sha512])
    func aClientWithTheRightPasswordAuthenticates(mechanism: ScramMechanism) throws {
        let credential = try ScramCredential(mechanism: mechanism, password: "secret")
        var server = ScramServer(mechanism: mechanism, credential: { $0 == "alice" ? credential : nil })
        let client = ScramClient(mechanism: mechanism, user: "alice", password: "secret", nonce: "fyko+d2lbbFgONRv9qkxdawL")
        guard case .challenge(let serverFirst) = server.evaluate(client.clientFirst) else { Issue.record("no challenge"); return }
        guard case .success(let principal, let final) = server.evaluate(try client.clientFinal(serverFirst)) else { Issue.record("refused"); return }
        #expect(principal == "User:alice")
        #expect(String(decoding: final, as: UTF8.self).hasPrefix("v="))
    }

    @Test func aWrongPasswordFailsWithKafkasMessage() throws {
        let credential = try ScramCredential(mechanism: .sha256, password: "secret")
        var server = ScramServer(mechanism: .sha256, credential: { _ in credential })
        let client = ScramClient(mechanism: .sha256, user: "alice", password: "guess", nonce: "abc")
        guard case .challenge(let serverFirst) = server.evaluate(client.clientFirst) else { Issue.record("no challenge"); return }
        #expect(server.evaluate(try client.clientFinal(serverFirst))
            == .failure("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"))
    }

    @Test func aNonceThatDoesNotExtendTheServersIsRefused() throws {
        // CVE-2024-56128: the client-final nonce must be the combined nonce, not any string.
        let credential = try ScramCredential(mechanism: .sha256, password: "secret")
        for forged in ["abc", "abcX", "abc%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0extra", "zzzabc%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"] {
            var server = ScramServer(mechanism: .sha256, credential: { _ in credential }, nonce: { "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0" })
            let client = ScramClient(mechanism: .sha256, user: "alice", password: "secret", nonce: "abc")
            guard case .challenge(let serverFirst) = server.evaluate(client.clientFirst) else { Issue.record("no challenge"); return }
            #expect(server.evaluate(try client.clientFinal(serverFirst, nonceOverride: forged)) == .failure("Invalid SCRAM client final message: nonce mismatch"))
        }
    }

    @Test func librdkafkaBefore261RepeatsItsNonceAndIsAccepted() throws {
        // librdkafka#4895: the client-final nonce is the client's nonce, then the combined one.
        let credential = try ScramCredential(mechanism: .sha256, password: "secret")
        var server = ScramServer(mechanism: .sha256, credential: { _ in credential }, nonce: { "SERVER" })
        let client = ScramClient(mechanism: .sha256, user: "alice", password: "secret", nonce: "abc")
        guard case .challenge(let serverFirst) = server.evaluate(client.clientFirst) else { Issue.record("no challenge"); return }
        guard case .success = server.evaluate(try client.clientFinal(serverFirst, nonceOverride: "abcabcSERVER")) else {
            Issue.record("librdkafka's repeated nonce was refused")
            return
        }
    }

    @Test func unknownUsersChannelBindingAndFewIterationsAreRefused() throws {
        var unknown = Self.rfcServer(users: [:])
        #expect(unknown.evaluate(Array("n,,n=user,r=abc".utf8)) == .failure("Authentication failed: Invalid user credentials"))
        var binding = Self.rfcServer()
        guard case .failure = binding.evaluate(Array("p=tls-unique,,n=user,r=abc".utf8)) else { Issue.record("channel binding accepted"); return }
        var weak = ScramCredential(mechanism: .sha256, salt: [1], saltedPassword: [2], iterations: 4096)
        weak.iterations = 1000
        var few = Self.rfcServer(users: ["user": weak])
        #expect(few.evaluate(Array("n,,n=user,r=abc".utf8)) == .failure("Iterations 1000 is less than the minimum 4096 for SCRAM-SHA-256"))
        var impostor = Self.rfcServer()
        #expect(impostor.evaluate(Array("n,a=admin,n=user,r=abc".utf8))
            == .failure("Authentication failed: Client requested an authorization id that is different from username"))
        var garbage = Self.rfcServer()
        guard case .failure = garbage.evaluate(Array("hello".utf8)) else { Issue.record("garbage accepted"); return }
    }

    @Test func saslNamesDecodeCommaAndEquals() {
        #expect(ScramServer.saslName("a=2Cb=3Dc") == "a,b=c")
        #expect(ScramServer.saslName("bad=41") == nil)
        #expect(ScramServer.saslName("plain") == "plain")
    }

    @Test func plainChecksUserPasswordAndAuthzid() {
        let users = ["alice": "alice-secret", "admin": "admin-secret"]
        func run(_ token: String) -> SaslStep {
            var server = SaslPlainServer(users: users)
            return server.evaluate(Array(token.utf8))
        }
        #expect(run("\u{0}alice\u{0}alice-secret") == .success(principal: "User:alice", final: []))
        #expect(run("alice\u{0}alice\u{0}alice-secret") == .success(principal: "User:alice", final: []))
        #expect(run("\u{0}alice\u{0}wrong") == .failure("Authentication failed: Invalid username or password"))
        #expect(run("\u{0}mallory\u{0}alice-secret") == .failure("Authentication failed: Invalid username or password"))
        #expect(run("admin\u{0}alice\u{0}alice-secret") == .failure("Authentication failed: Client requested an authorization id that is different from username"))
        guard case .failure = run("alice-secret") else { Issue.record("a token without separators was accepted"); return }
    }

    @Test func jaasLinesNamePlainUsers() {
        let line = #"org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="a \"quoted\" pw";"#
        #expect(JaasConfig.plainUsers(line) == ["admin": "admin-secret", "alice": #"a "quoted" pw"#])
    }
}

import Foundation
import KafkaProtocol
import Logging
import NIOSSL
import Testing

@testable import GregorBroker

/// SSL listeners: TLS through swift-nio-ssl, with the key store and trust store Kafka's way.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct TLSListenerTests {
    /// One set of certificates for the suite (P-256 keys are quick, but not free).
    static let certificates = Result { try DevCertificates() }

    /// A broker with PLAINTEXT and SSL listeners (both on ephemeral ports) using the dev
    /// certificates written to a temporary directory; `body` gets the SSL port.
    static func withBroker<T>(
        clientAuth: TLSSettings.ClientAuth = .none, _ body: (TestBroker, KafkaTestClient, Int, DevCertificates) async throws -> T
    ) async throws -> T {
        try await withBroker(clientAuth: clientAuth) { broker, client, port, certs, _ in try await body(broker, client, port, certs) }
    }

    /// The same, also giving the directory the broker reads its certificates from.
    static func withBroker<T>(
        clientAuth: TLSSettings.ClientAuth = .none, configure: (inout BrokerConfig) -> Void = { _ in },
        _ body: (TestBroker, KafkaTestClient, Int, DevCertificates, String) async throws -> T
    ) async throws -> T {
        let certs = try certificates.get()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gregor-tls-\(UUID().uuidString)").path
        try certs.write(to: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await TestBroker.with({ c in
            c.listeners = [Listener(host: "127.0.0.1", port: 0), Listener(name: "SSL", host: "127.0.0.1", port: 0, securityProtocol: .ssl)]
            c.advertisedListeners = [.init(host: "127.0.0.1", port: 0), .init(name: "SSL", host: "localhost", port: 0)]
            var tls = TLSSettings(keyStore: .pem(location: "\(directory)/broker-keystore.pem", certificateChain: nil, key: nil))
            tls.trustStoreLocation = "\(directory)/ca.pem"
            tls.clientAuth = clientAuth
            c.tls["SSL"] = tls
            configure(&c)
        }) { broker, client in
            let port = try #require(broker.broker.advertised.first { $0.name == "SSL" }?.port)
            return try await body(broker, client, port, certs, directory)
        }
    }

    /// A client context trusting the dev CA, presenting the client certificate if `withCertificate`.
    static func clientContext(_ certs: DevCertificates, withCertificate: Bool = false, trustCA: Bool = true) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = trustCA ? .certificates(try NIOSSLCertificate.fromPEMBytes(Array(certs.caCertificate.utf8))) : .certificates([])
        if withCertificate {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certs.clientChain.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(certs.clientKey.utf8), format: .pem))
        }
        return try NIOSSLContext(configuration: tls)
    }

    @Test func recordsRoundTripOverTLS() async throws {
        try await Self.withBroker { broker, client, port, certs in
            let tls = try await KafkaTestClient.connect(port: port, tls: Self.clientContext(certs))
            _ = try await tls.createTopic("secure", partitions: 1)
            let produced = try await tls.produce(Requests.produce("secure", ["a", "b", "c"]))
            #expect(produced.errorCode == 0)
            // Fetch reads the log's records through memory here: no sendfile under TLS.
            for version: Int16 in [4, 7, 12] {
                #expect(try await tls.fetchAll("secure", version: version).map(\.value) == ["a", "b", "c"], "v\(version)")
            }
            // Metadata names the SSL listener's endpoint to a client on it, the plaintext one to the other.
            let metadata = try await tls.request(Requests.metadata([]), version: 12)
            #expect(metadata.brokers.map(\.host) == ["localhost"] && metadata.brokers.map(\.port) == [Int32(port)])
            let plain = try await client.request(Requests.metadata([]), version: 12)
            #expect(plain.brokers.map(\.port) == [Int32(broker.port)])
            await tls.close()
        }
    }

    @Test func plaintextBytesOnTheTLSPortCloseThatConnectionOnly() async throws {
        try await Self.withBroker { _, client, port, _ in
            let confused = try await KafkaTestClient.connect(port: port)
            try await confused.write(try confused.frame(ApiVersionsRequest(), version: 3, correlationId: 1))
            #expect(try await confused.waitForClose(timeout: .seconds(5)) == 0)
            await confused.close()
            try await client.expectServed()
        }
    }

    @Test func tlsOnThePlaintextPortClosesThatConnectionOnly() async throws {
        try await Self.withBroker { broker, client, _, certs in
            await #expect(throws: (any Error).self) {
                let confused = try await KafkaTestClient.connect(port: broker.port, tls: Self.clientContext(certs))
                defer { Task { await confused.close() } }
                _ = try await confused.request(ApiVersionsRequest(), version: 3, timeout: .seconds(5))
            }
            try await client.expectServed()
        }
    }

    @Test func aClientThatDoesNotTrustTheBrokerCannotConnect() async throws {
        try await Self.withBroker { _, client, port, certs in
            await #expect(throws: (any Error).self) {
                let untrusting = try await KafkaTestClient.connect(port: port, tls: Self.clientContext(certs, trustCA: false))
                defer { Task { await untrusting.close() } }
                _ = try await untrusting.request(ApiVersionsRequest(), version: 3, timeout: .seconds(5))
            }
            try await client.expectServed()
        }
    }

    @Test func requiredClientAuthNeedsACertificateSignedByTheTrustStore() async throws {
        try await Self.withBroker(clientAuth: .required) { _, _, port, certs in
            await #expect(throws: (any Error).self) {
                let anonymous = try await KafkaTestClient.connect(port: port, tls: Self.clientContext(certs))
                defer { Task { await anonymous.close() } }
                _ = try await anonymous.request(ApiVersionsRequest(), version: 3, timeout: .seconds(5))
            }
            let mutual = try await KafkaTestClient.connect(port: port, tls: Self.clientContext(certs, withCertificate: true))
            let versions = try await mutual.request(ApiVersionsRequest(), version: 3)
            #expect(versions.errorCode == 0)
            await mutual.close()
        }
    }

    @Test func aRenewedCertificateIsServedToNewConnectionsWithoutARestart() async throws {
        try await Self.withBroker { _, _, port, old, directory in
            let before = try await KafkaTestClient.connect(port: port, tls: Self.clientContext(old))
            #expect(try await before.request(ApiVersionsRequest(), version: 3).errorCode == 0)
            // A new CA and broker certificate replace the files in place.
            let renewed = try DevCertificates()
            try renewed.write(to: directory)
            try await Task.sleep(for: .milliseconds(1100))
            let after = try await KafkaTestClient.connect(port: port, tls: Self.clientContext(renewed))
            #expect(try await after.request(ApiVersionsRequest(), version: 3).errorCode == 0)
            await #expect(throws: (any Error).self) {
                let stale = try await KafkaTestClient.connect(port: port, tls: Self.clientContext(old))
                defer { Task { await stale.close() } }
                _ = try await stale.request(ApiVersionsRequest(), version: 3, timeout: .seconds(5))
            }
            // The connection made before keeps working.
            #expect(try await before.request(ApiVersionsRequest(), version: 3).errorCode == 0)
            await before.close()
            await after.close()
        }
    }

    @Test func aKeyStoreThatCannotBeReadStopsStartupNamingTheListener() async throws {
        try await ListenerTests.expectStartupFails(containing: ["listener SECURE://127.0.0.1:0 (SSL)", "broken.pem"]) { config, directory in
            try "not a key store".write(toFile: "\(directory)/broken.pem", atomically: true, encoding: .utf8)
            config.listeners = [Listener(name: "SECURE", host: "127.0.0.1", port: 0, securityProtocol: .ssl)]
            config.tls["SECURE"] = TLSSettings(keyStore: .pem(location: "\(directory)/broken.pem", certificateChain: nil, key: nil))
        }
    }
}

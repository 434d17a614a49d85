import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Testing

@testable import GregorBroker

/// A JWKS endpoint over https (KIP-768): fetched at startup, trusted through the JAAS line's
/// `ssl.truststore.location`, and fetched again when a token signed with a new key arrives.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct JwksEndpointTests {
    /// Serves `body()` at every path over TLS with the dev certificates.
    final class Server: Sendable {
        let channel: any Channel
        let served: Served

        /// What the server answers, and how often it was asked.
        final class Served: Sendable {
            let body: Mutex<[UInt8]>
            let hits = Mutex(0)
            init(_ body: [UInt8]) { self.body = Mutex(body) }
        }

        var hits: Int { served.hits.withLock { $0 } }
        func serve(_ body: [UInt8]) { served.body.withLock { $0 = body } }

        init(certs: DevCertificates, body: [UInt8]) async throws {
            let served = Served(body)
            self.served = served
            var tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(certs.brokerChain.utf8)).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(certs.brokerKey.utf8), format: .pem)))
            tls.minimumTLSVersion = .tlsv12
            let context = try NIOSSLContext(configuration: tls)
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(Handler(shared: served))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        var port: Int { channel.localAddress!.port! }

        final class Handler: ChannelInboundHandler {
            typealias InboundIn = HTTPServerRequestPart
            typealias OutboundOut = HTTPServerResponsePart
            let shared: Served
            init(shared: Served) { self.shared = shared }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                guard case .end = unwrapInboundIn(data) else { return }
                shared.hits.withLock { $0 += 1 }
                let bytes = shared.body.withLock { $0 }
                var head = HTTPResponseHead(version: .http1_1, status: .ok)
                head.headers.add(name: "Content-Length", value: "\(bytes.count)")
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    static func document(_ keys: OAuthBearerTests.Keys) -> [UInt8] {
        let (n, e) = OAuthBearerTests.Keys.rsaNumbers(keys.rsa.publicKey)
        let doc: [String: Any] = ["keys": [["kty": "RSA", "kid": "r1", "n": OAuthBearerTests.b64url(n), "e": OAuthBearerTests.b64url(e), "alg": "RS256"]]]
        return Array(try! JSONSerialization.data(withJSONObject: doc))
    }

    @Test func anHttpsEndpointIsFetchedAtStartupAndAgainForANewKey() async throws {
        let certs = try TLSListenerTests.certificates.get()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gregor-jwks-\(UUID().uuidString)").path
        try certs.write(to: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = OAuthBearerTests.Keys(), new = OAuthBearerTests.Keys()
        let server = try await Server(certs: certs, body: Self.document(old))

        var properties = ServerProperties()
        properties.set("listeners", "SASL_SSL://127.0.0.1:0")
        properties.set("ssl.keystore.type", "PEM")
        properties.set("ssl.keystore.location", "\(directory)/broker-keystore.pem")
        properties.set("sasl.enabled.mechanisms", "OAUTHBEARER")
        properties.set("listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class",
                       "org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler")
        properties.set("listener.name.sasl_ssl.oauthbearer.sasl.jaas.config",
                       "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required ssl.truststore.location=\"\(directory)/ca.pem\";")
        properties.set("sasl.oauthbearer.jwks.endpoint.url", "https://127.0.0.1:\(server.port)/jwks")
        properties.set("sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms", "0")
        let validation = try #require(try properties.brokerConfig().sasl["SASL_SSL"]?.oauthBearer)
        #expect(server.hits == 1)

        let claims: [String: Any] = ["sub": "svc", "exp": Double(Date().timeIntervalSince1970 + 300)]
        let now = Broker.wallClock()
        #expect(try validation.validate(old.sign(claims, alg: "RS256", kid: "r1"), now: now).principalName == "svc")
        // The issuer rotates its key: the first token with it fails and sends for the new JWKS.
        server.serve(Self.document(new))
        #expect(throws: JWT.Invalid.self) { try validation.validate(new.sign(claims, alg: "RS256", kid: "r1"), now: now) }
        for _ in 0..<50 where (try? validation.validate(new.sign(claims, alg: "RS256", kid: "r1"), now: now)) == nil {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try validation.validate(new.sign(claims, alg: "RS256", kid: "r1"), now: now).principalName == "svc")
        #expect(server.hits >= 2)

        // Without the CA the endpoint is not trusted, and the broker does not start.
        properties.set("listener.name.sasl_ssl.oauthbearer.sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;")
        #expect(throws: ServerProperties.InvalidValue.self) { try properties.brokerConfig() }
        try await server.channel.close()
    }
}

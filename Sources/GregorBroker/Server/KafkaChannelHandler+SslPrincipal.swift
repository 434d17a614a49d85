import NIOCore
import NIOSSL

extension KafkaChannelHandler {
    /// Kafka's DefaultKafkaPrincipalBuilder on an SSL listener: `User:` and the client
    /// certificate's subject (RFC 2253) as `ssl.principal.mapping.rules` (KIP-371) map it, or
    /// `User:ANONYMOUS` without a client certificate (`ssl.client.auth` none or requested). Nil
    /// when no rule maps the subject: Kafka fails the connection then.
    func sslPrincipal(_ context: ChannelHandlerContext) -> String? {
        guard let handler = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
              let certificate = handler.peerCertificate
        else { return "User:ANONYMOUS" }
        guard let der = try? certificate.toDERBytes(), let subject = X500Name.subject(ofDER: der) else {
            logger.info("closing connection: the client certificate's subject could not be read")
            return nil
        }
        let mapper = broker.config.tls[listener.name]?.principalMapper ?? .defaultMapper
        do {
            let principal = "User:\(try mapper.name(for: subject))"
            logger[metadataKey: "principal"] = "\(principal)"
            return principal
        } catch {
            logger.info("closing connection: ssl.principal.mapping.rules of listener \(listener.name) do not map the client certificate's subject \(subject): \(error)")
            return nil
        }
    }
}

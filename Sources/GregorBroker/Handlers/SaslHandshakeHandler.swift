// SaslHandshake (key 17).
// v0: the SASL tokens that follow travel as bare size-prefixed frames (the GSSAPI framing of
// clients before Kafka 1.0). v1 (KIP-152): they travel in SaslAuthenticate requests.
// On a listener without SASL, Kafka answers ILLEGAL_SASL_STATE with no mechanisms.
import KafkaProtocol

enum SaslHandshakeHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...1

    static func handle(_ request: SaslHandshakeRequest, _ context: RequestContext) async throws -> SaslHandshakeResponse? {
        guard let session = context.sasl else {
            return SaslHandshakeResponse(errorCode: ErrorCode.illegalSaslState.rawValue, mechanisms: [])
        }
        let (error, enabled) = session.handshake(request.mechanism, version: context.apiVersion)
        return SaslHandshakeResponse(errorCode: error.rawValue, mechanisms: enabled)
    }
}

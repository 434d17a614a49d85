// SaslAuthenticate (key 36), after SaslHandshake v1 (KIP-152).
// v1: session_lifetime_ms (KIP-368): when the client must have logged in again, from
// connections.max.reauth.ms and the credential's own expiry; 0 when it never must. v2: flexible.
// A failed exchange is answered SASL_AUTHENTICATION_FAILED with the reason, and the connection is
// closed after `connection.failed.authentication.delay.ms` (KIP-306).
import KafkaProtocol

enum SaslAuthenticateHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: SaslAuthenticateRequest, _ context: RequestContext) async throws -> SaslAuthenticateResponse? {
        guard let session = context.sasl else {
            return SaslAuthenticateResponse(
                errorCode: ErrorCode.illegalSaslState.rawValue, errorMessage: "Unexpected SaslAuthenticate request on a listener without SASL")
        }
        // Kafka's KafkaApis answers a SaslAuthenticate after the login (and outside a new one) so.
        guard session.awaitingToken || session.principal == nil else {
            return SaslAuthenticateResponse(
                errorCode: ErrorCode.illegalSaslState.rawValue, errorMessage: "SaslAuthenticate request received after successful authentication")
        }
        switch session.evaluate(request.authBytes) {
        case .challenge(let bytes):
            return SaslAuthenticateResponse(authBytes: bytes)
        case .success(_, let final):
            return SaslAuthenticateResponse(authBytes: final, sessionLifetimeMs: session.lifetimeMs)
        case .failure(let message):
            return SaslAuthenticateResponse(errorCode: ErrorCode.saslAuthenticationFailed.rawValue, errorMessage: message)
        }
    }
}

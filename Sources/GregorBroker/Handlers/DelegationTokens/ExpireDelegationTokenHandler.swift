// ExpireDelegationToken (key 40, KIP-48).
// v1: same as v0 (KIP-219). v2: flexible.
// A negative period expires the token at once; otherwise it expires that long from now, never
// past its max timestamp. Only the owner and the renewers may.
import KafkaProtocol

enum ExpireDelegationTokenHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: ExpireDelegationTokenRequest, _ context: RequestContext) async throws -> ExpireDelegationTokenResponse? {
        if let refused = DelegationTokenRules.refusal(context) { return ExpireDelegationTokenResponse(errorCode: refused.rawValue) }
        let (error, expiry) = try await context.broker.delegationTokens.update(
            hmac: request.hmac, principal: context.principal, period: request.expiryTimePeriodMs, renew: false)
        return ExpireDelegationTokenResponse(errorCode: error.rawValue, expiryTimestampMs: expiry)
    }
}

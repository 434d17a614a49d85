// RenewDelegationToken (key 39, KIP-48).
// v1: same as v0 (KIP-219). v2: flexible.
// Only the owner and the renewers may renew; the new expiry is the renew period from now (the
// broker's delegation.token.expiry.time.ms when negative), never past the token's max timestamp.
import KafkaProtocol

enum RenewDelegationTokenHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: RenewDelegationTokenRequest, _ context: RequestContext) async throws -> RenewDelegationTokenResponse? {
        if let refused = DelegationTokenRules.refusal(context) { return RenewDelegationTokenResponse(errorCode: refused.rawValue) }
        let (error, expiry) = try await context.broker.delegationTokens.update(
            hmac: request.hmac, principal: context.principal, period: request.renewPeriodMs, renew: true)
        return RenewDelegationTokenResponse(errorCode: error.rawValue, expiryTimestampMs: expiry)
    }
}

// DescribeDelegationToken (key 41, KIP-48).
// v1: same as v0 (KIP-219). v2: flexible. v3: the requester of each token (KIP-373).
// Null owners means every owner, an empty list none. A caller sees the tokens it owns, requested
// or may renew, and those it has DESCRIBE on (the token id) or DESCRIBE_TOKENS on (the owner,
// KIP-373): DelegationTokenManager.filterToken. Without an authorizer that is every token.
import KafkaProtocol

enum DescribeDelegationTokenHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...3

    static func handle(_ request: DescribeDelegationTokenRequest, _ context: RequestContext) async throws -> DescribeDelegationTokenResponse? {
        if let refused = DelegationTokenRules.refusal(context) { return DescribeDelegationTokenResponse(errorCode: refused.rawValue) }
        if request.owners?.isEmpty == true { return DescribeDelegationTokenResponse() }
        let owners = request.owners?.map { "\($0.principalType):\($0.principalName)" }
        let me = context.principal
        let visible = context.broker.delegationTokens.describe(owners: owners).filter {
            $0.owner == me || $0.requester == me || $0.renewers.contains(me)
                || context.authorized(.describe, .delegationToken, $0.tokenId) || context.authorized(.describeTokens, .user, $0.owner)
        }
        return DescribeDelegationTokenResponse(tokens: visible.map { token in
            let (type, name) = DelegationTokenRules.split(token.owner)
            let (requesterType, requesterName) = DelegationTokenRules.split(token.requester)
            return .init(
                principalType: type, principalName: name, tokenRequesterPrincipalType: requesterType,
                tokenRequesterPrincipalName: requesterName, issueTimestamp: token.issueTimestamp, expiryTimestamp: token.expiryTimestamp,
                maxTimestamp: token.maxTimestamp, tokenId: token.tokenId, hmac: token.hmac,
                renewers: token.renewers.map { let (t, n) = DelegationTokenRules.split($0); return .init(principalType: t, principalName: n) })
        })
    }
}

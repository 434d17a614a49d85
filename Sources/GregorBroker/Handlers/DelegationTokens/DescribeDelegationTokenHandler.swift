// DescribeDelegationToken (key 41, KIP-48).
// v1: same as v0 (KIP-219). v2: flexible. v3: the requester of each token (KIP-373).
// Null owners means every owner, an empty list none. Without an authorizer every principal may
// describe every token, as Kafka allows everything then.
import KafkaProtocol

enum DescribeDelegationTokenHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...3

    static func handle(_ request: DescribeDelegationTokenRequest, _ context: RequestContext) async throws -> DescribeDelegationTokenResponse? {
        if let refused = DelegationTokenRules.refusal(context) { return DescribeDelegationTokenResponse(errorCode: refused.rawValue) }
        if request.owners?.isEmpty == true { return DescribeDelegationTokenResponse() }
        let owners = request.owners?.map { "\($0.principalType):\($0.principalName)" }
        return DescribeDelegationTokenResponse(tokens: context.broker.delegationTokens.describe(owners: owners).map { token in
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

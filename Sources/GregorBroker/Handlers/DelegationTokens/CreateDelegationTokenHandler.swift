// CreateDelegationToken (key 38, KIP-48).
// v1: same as v0 (throttle behaviour, KIP-219). v2: flexible. v3: an owner other than the
// requester, and the requester in the response (KIP-373).
// Kafka refuses token requests on connections that cannot prove who they are (PLAINTEXT, SSL
// without a client certificate) and on ones that logged in with a token.
import KafkaProtocol

enum CreateDelegationTokenHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...3

    static func handle(_ request: CreateDelegationTokenRequest, _ context: RequestContext) async throws -> CreateDelegationTokenResponse? {
        let requester = context.principal
        let (type, name) = DelegationTokenRules.split(requester)
        var response = CreateDelegationTokenResponse(
            principalType: type, principalName: name, tokenRequesterPrincipalType: type, tokenRequesterPrincipalName: name)
        if let refused = DelegationTokenRules.refusal(context) {
            response.errorCode = refused.rawValue
            return response
        }
        var owner = requester
        if let ownerName = request.ownerPrincipalName, !ownerName.isEmpty {
            owner = "\(request.ownerPrincipalType ?? "User"):\(ownerName)"
            (response.principalType, response.principalName) = DelegationTokenRules.split(owner)
        }
        // KIP-373: a token for someone else needs CREATE_TOKENS on that user.
        if owner != requester && !context.authorized(.createTokens, .user, owner) {
            response.errorCode = ErrorCode.delegationTokenAuthorizationFailed.rawValue
            return response
        }
        let token = try await context.broker.delegationTokens.create(
            owner: owner, requester: requester, renewers: request.renewers.map { "\($0.principalType):\($0.principalName)" },
            maxLifetimeMs: request.maxLifetimeMs)
        response.issueTimestampMs = token.issueTimestamp
        response.expiryTimestampMs = token.expiryTimestamp
        response.maxTimestampMs = token.maxTimestamp
        response.tokenId = token.tokenId
        response.hmac = token.hmac
        return response
    }
}

/// What the token APIs share.
enum DelegationTokenRules {
    /// Kafka's `allowTokenRequests` and `tokenAuthEnabled` checks, in its order.
    static func refusal(_ context: RequestContext) -> ErrorCode? {
        let anonymousTLS = context.securityProtocol == .ssl && context.principal == "User:ANONYMOUS"
        if context.tokenAuthenticated || context.securityProtocol == .plaintext || anonymousTLS { return .delegationTokenRequestNotAllowed }
        if !context.broker.delegationTokens.enabled { return .delegationTokenAuthDisabled }
        return nil
    }

    /// "User:alice" as ("User", "alice").
    static func split(_ principal: String) -> (String, String) {
        guard let colon = principal.firstIndex(of: ":") else { return ("User", principal) }
        return (String(principal[..<colon]), String(principal[principal.index(after: colon)...]))
    }
}

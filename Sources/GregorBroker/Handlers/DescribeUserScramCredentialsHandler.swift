// DescribeUserScramCredentials (key 50, KIP-554).
// v0: the users' SCRAM mechanisms and iteration counts, never the credentials themselves; null or
// empty users means every user. v0 is also the only version in Kafka 4.0.
import KafkaProtocol

enum DescribeUserScramCredentialsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    static func handle(_ request: DescribeUserScramCredentialsRequest, _ context: RequestContext) async throws -> DescribeUserScramCredentialsResponse? {
        // Needs DESCRIBE on the cluster.
        guard context.authorizedOnCluster(.describe) else {
            return DescribeUserScramCredentialsResponse(
                errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, errorMessage: ErrorCode.clusterAuthorizationFailed.defaultMessage)
        }
        let all = context.broker.scramCredentials.all
        // Kafka's ScramImage.describe: each named user once, in first-seen order; a user named
        // twice is DUPLICATE_RESOURCE, one without credentials RESOURCE_NOT_FOUND.
        var order: [String] = []
        var duplicated: Set<String> = []
        if let users = request.users, !users.isEmpty {
            for user in users.map(\.name) {
                if order.contains(user) { duplicated.insert(user) } else { order.append(user) }
            }
        } else {
            order = all.keys.sorted()
        }
        var response = DescribeUserScramCredentialsResponse(errorMessage: nil)
        for user in order {
            var result = DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult(user: user, errorMessage: nil)
            if duplicated.contains(user) {
                result.errorCode = ErrorCode.duplicateResource.rawValue
                result.errorMessage = "Cannot describe SCRAM credentials for the same user twice in a single request: \(user)"
            } else if let credentials = all[user], !credentials.isEmpty {
                result.credentialInfos = credentials.keys.sorted { $0.type < $1.type }.map {
                    .init(mechanism: $0.type, iterations: credentials[$0]!.iterations)
                }
            } else {
                result.errorCode = ErrorCode.resourceNotFound.rawValue
                result.errorMessage = "Attempt to describe a user credential that does not exist: \(user)"
            }
            response.results.append(result)
        }
        return response
    }
}

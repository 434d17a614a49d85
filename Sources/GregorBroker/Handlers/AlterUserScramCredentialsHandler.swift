// AlterUserScramCredentials (key 51, KIP-554).
// v0: deletions (user, mechanism) and upsertions (user, mechanism, iterations, salt, salted
// password: the client salts the password, the broker never sees it). One result per user; a user
// with any invalid alteration has none of them applied, as Kafka's ScramControlManager does.
import KafkaProtocol

enum AlterUserScramCredentialsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    static func handle(_ request: AlterUserScramCredentialsRequest, _ context: RequestContext) async throws -> AlterUserScramCredentialsResponse? {
        let store = context.broker.scramCredentials
        // Needs ALTER on the cluster: every user named is answered CLUSTER_AUTHORIZATION_FAILED
        // (AlterUserScramCredentialsRequest.getErrorResponse).
        guard context.authorizedOnCluster(.alter) else {
            var users: [String] = []
            for name in request.deletions.map(\.name) + request.upsertions.map(\.name) where !users.contains(name) { users.append(name) }
            return AlterUserScramCredentialsResponse(results: users.map {
                .init(user: $0, errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, errorMessage: ErrorCode.clusterAuthorizationFailed.defaultMessage)
            })
        }
        let existing = store.all
        var order: [String] = []
        var errors: [String: (ErrorCode, String)] = [:]
        var seen: Set<String> = []
        var deletes: [String: [(String, ScramMechanism)]] = [:]
        var upserts: [String: [(String, ScramMechanism, ScramCredential)]] = [:]

        func fail(_ user: String, _ code: ErrorCode, _ message: String) {
            if errors[user] == nil { errors[user] = (code, message) }
        }
        func check(_ user: String, _ type: Int8) -> ScramMechanism? {
            if !order.contains(user) { order.append(user) }
            guard !user.isEmpty else {
                fail(user, .unacceptableCredential, "Username must not be empty")
                return nil
            }
            guard let mechanism = ScramMechanism(type: type) else {
                fail(user, .unsupportedSaslMechanism, "Unknown SCRAM mechanism")
                return nil
            }
            guard seen.insert("\(user)\u{0}\(type)").inserted else {
                fail(user, .duplicateResource, "A user credential cannot be altered twice in the same request")
                return nil
            }
            return mechanism
        }
        for d in request.deletions {
            guard let mechanism = check(d.name, d.mechanism) else { continue }
            guard existing[d.name]?[mechanism] != nil else {
                fail(d.name, .resourceNotFound, "Attempt to delete a user credential that does not exist")
                continue
            }
            deletes[d.name, default: []].append((d.name, mechanism))
        }
        for u in request.upsertions {
            guard let mechanism = check(u.name, u.mechanism) else { continue }
            guard u.iterations >= ScramMechanism.minIterations else {
                fail(u.name, .unacceptableCredential, "Too few iterations")
                continue
            }
            guard u.iterations <= ScramMechanism.maxIterations else {
                fail(u.name, .unacceptableCredential, "Too many iterations")
                continue
            }
            guard !u.salt.isEmpty, !u.saltedPassword.isEmpty else {
                fail(u.name, .unacceptableCredential, "Salt and salted password must not be empty")
                continue
            }
            let credential = ScramCredential(mechanism: mechanism, salt: u.salt, saltedPassword: u.saltedPassword, iterations: u.iterations)
            upserts[u.name, default: []].append((u.name, mechanism, credential))
        }
        let valid = order.filter { errors[$0] == nil }
        do {
            try await store.alter(delete: valid.flatMap { deletes[$0] ?? [] }, upsert: valid.flatMap { upserts[$0] ?? [] })
        } catch {
            context.logger.error("writing SCRAM credentials failed: \(error)")
            for user in valid { fail(user, .unknownServerError, "The credentials could not be stored") }
        }
        return AlterUserScramCredentialsResponse(results: order.map { user in
            let (code, message) = errors[user] ?? (.none, "")
            return .init(user: user, errorCode: code.rawValue, errorMessage: errors[user] == nil ? nil : message)
        })
    }
}

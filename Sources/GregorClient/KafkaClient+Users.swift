import KafkaProtocol

extension DescribeUserScramCredentialsRequest: ClientRequest { public typealias Response = DescribeUserScramCredentialsResponse }
extension AlterUserScramCredentialsRequest: ClientRequest { public typealias Response = AlterUserScramCredentialsResponse }

/// A user's SCRAM credential as DescribeUserScramCredentials reports it (never the secret).
public struct ScramCredentialInfo: Hashable, Sendable {
    /// 1 is SCRAM-SHA-256, 2 SCRAM-SHA-512 (KIP-554).
    public var mechanism: Int8
    public var iterations: Int32

    public var mechanismName: String {
        switch mechanism {
        case 1: "SCRAM-SHA-256"
        case 2: "SCRAM-SHA-512"
        default: "unknown(\(mechanism))"
        }
    }
}

extension KafkaClient {
    /// Every user with SCRAM credentials, or the ones named.
    public func scramUsers(_ names: [String]? = nil) async throws -> [String: [ScramCredentialInfo]] {
        let response = try await send(DescribeUserScramCredentialsRequest(users: names?.map { .init(name: $0) }))
        try GregorClientError.check(response.errorCode, response.errorMessage, "cannot describe SCRAM users")
        var out: [String: [ScramCredentialInfo]] = [:]
        for result in response.results {
            try GregorClientError.check(result.errorCode, result.errorMessage, "cannot describe SCRAM user \(result.user)")
            out[result.user] = result.credentialInfos.map { ScramCredentialInfo(mechanism: $0.mechanism, iterations: $0.iterations) }
        }
        return out
    }

    /// Sets a user's credential for one mechanism; the password arrives salted (`saltedPassword`).
    public func setScramUser(_ name: String, mechanism: Int8, iterations: Int32, salt: [UInt8], saltedPassword: [UInt8]) async throws {
        let response = try await send(AlterUserScramCredentialsRequest(upsertions: [
            .init(name: name, mechanism: mechanism, iterations: iterations, salt: salt, saltedPassword: saltedPassword),
        ]))
        for result in response.results {
            try GregorClientError.check(result.errorCode, result.errorMessage, "cannot set SCRAM credentials of \(name)")
        }
    }

    /// Removes a user's credential for one mechanism.
    public func removeScramUser(_ name: String, mechanism: Int8) async throws {
        let response = try await send(AlterUserScramCredentialsRequest(deletions: [.init(name: name, mechanism: mechanism)]))
        for result in response.results {
            try GregorClientError.check(result.errorCode, result.errorMessage, "cannot remove SCRAM credentials of \(name)")
        }
    }
}

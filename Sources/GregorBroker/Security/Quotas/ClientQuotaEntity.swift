// Client quotas (KIP-13 client ids, KIP-55 users, KIP-546 the admin API): a quota belongs to a
// user, a client id, both, or an IP address, each named or the default. A client's quota of a
// kind is the first one set in Kafka's order of precedence (DefaultQuotaCallback), and the
// clients it applies to share one rate: a user's quota is shared by all of that user's clients.

/// One part of a quota entity: a name, or the default for that entity type.
enum QuotaEntityName: Hashable, Codable, Sendable {
    case named(String)
    case `default`
}

/// Which clients a quota is for: Kafka's ClientQuotaEntity (user, client-id, ip).
struct QuotaEntity: Hashable, Codable, Sendable {
    var user: QuotaEntityName?
    var clientId: QuotaEntityName?
    var ip: QuotaEntityName?

    /// The entity types as Kafka's admin API names them.
    static let userType = "user", clientIdType = "client-id", ipType = "ip"

    /// The quota keys each kind of entity takes (QuotaConfig), and whether the value is a whole number.
    static let clientKeys: [String: Bool] = [
        "producer_byte_rate": true, "consumer_byte_rate": true, "request_percentage": false, "controller_mutation_rate": false,
    ]
    static let ipKeys: [String: Bool] = ["connection_creation_rate": true]

    /// The entity as the admin API lists it: (type, name or nil for the default).
    var parts: [(String, String?)] {
        var out: [(String, String?)] = []
        func name(_ part: QuotaEntityName) -> String? { if case .named(let n) = part { n } else { nil } }
        if let user { out.append((Self.userType, name(user))) }
        if let clientId { out.append((Self.clientIdType, name(clientId))) }
        if let ip { out.append((Self.ipType, name(ip))) }
        return out
    }
}

/// The kinds of client quota Gregor enforces.
enum ClientQuotaType: String, Sendable, CaseIterable {
    case produce = "producer_byte_rate"
    case fetch = "consumer_byte_rate"
    case request = "request_percentage"
}

/// Which rate a client's requests count against: the quota's entity with its defaults filled in
/// by the client's own user and client id (Kafka's quota metric tags).
struct QuotaSensorKey: Hashable, Sendable {
    let type: ClientQuotaType
    let user: String
    let clientId: String
}

extension QuotaEntity {
    /// DefaultQuotaCallback's order: user and client id, user and default client id, user alone,
    /// default user and client id, default user and default client id, default user, client id,
    /// default client id. Each with the sensor its clients share.
    static func candidates(user: String, clientId: String) -> [(QuotaEntity, user: String, clientId: String)] {
        let u = QuotaEntityName.named(user), c = QuotaEntityName.named(clientId)
        return [
            (QuotaEntity(user: u, clientId: c), user, clientId),
            (QuotaEntity(user: u, clientId: .default), user, clientId),
            (QuotaEntity(user: u), user, ""),
            (QuotaEntity(user: .default, clientId: c), user, clientId),
            (QuotaEntity(user: .default, clientId: .default), user, clientId),
            (QuotaEntity(user: .default), user, ""),
            (QuotaEntity(clientId: c), "", clientId),
            (QuotaEntity(clientId: .default), "", clientId),
        ]
    }
}

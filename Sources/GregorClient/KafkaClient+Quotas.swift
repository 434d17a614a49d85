import KafkaProtocol

extension DescribeClientQuotasRequest: ClientRequest { public typealias Response = DescribeClientQuotasResponse }
extension AlterClientQuotasRequest: ClientRequest { public typealias Response = AlterClientQuotasResponse }

/// A client quota entity: (type, name) pairs, a nil name for the default (KIP-546).
public typealias QuotaEntityParts = [(type: String, name: String?)]

extension KafkaClient {
    /// Sets (a value) or removes (nil) quotas of one entity (AlterClientQuotas).
    public func alterClientQuotas(_ entity: QuotaEntityParts, _ quotas: [String: Double?]) async throws {
        let response = try await send(AlterClientQuotasRequest(entries: [.init(
            entity: entity.map { .init(entityType: $0.type, entityName: $0.name) },
            ops: quotas.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value ?? 0, remove: $0.value == nil) })],
            validateOnly: false))
        for entry in response.entries {
            try GregorClientError.check(entry.errorCode, entry.errorMessage, "cannot alter client quotas")
        }
    }

    /// Every entity with quotas, and its quotas (DescribeClientQuotas, no filter).
    public func clientQuotas() async throws -> [(entity: QuotaEntityParts, quotas: [String: Double])] {
        let response = try await send(DescribeClientQuotasRequest(components: [], strict: false))
        try GregorClientError.check(response.errorCode, response.errorMessage, "cannot describe client quotas")
        return (response.entries ?? []).map { entry in
            (entry.entity.map { (type: $0.entityType, name: $0.entityName) },
             Dictionary(entry.values.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }))
        }
    }
}

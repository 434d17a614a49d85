// DescribeClientQuotas (key 48, KIP-546). v1: flexible.
// The quotas of the entities a filter matches (ClientQuotasImage.describe): per entity type at
// most once, an exact name, the default (match type 1) or any entity having that type (2);
// `strict` asks for entities with no other types. Needs DESCRIBE_CONFIGS on the cluster.
import KafkaProtocol

enum DescribeClientQuotasHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...1

    static func handle(_ request: DescribeClientQuotasRequest, _ context: RequestContext) async throws -> DescribeClientQuotasResponse? {
        guard context.authorizedOnCluster(.describeConfigs) else {
            return DescribeClientQuotasResponse(
                errorCode: ErrorCode.clusterAuthorizationFailed.rawValue, errorMessage: ErrorCode.clusterAuthorizationFailed.defaultMessage, entries: nil)
        }
        var exact: [String: String?] = [:]
        var anyName: Set<String> = []
        for component in request.components {
            func refuse(_ code: ErrorCode, _ message: String) -> DescribeClientQuotasResponse {
                DescribeClientQuotasResponse(errorCode: code.rawValue, errorMessage: message, entries: nil)
            }
            let type = component.entityType
            if type.isEmpty { return refuse(.invalidRequest, "Invalid empty entity type.") }
            if exact[type] != nil || anyName.contains(type) {
                return refuse(.invalidRequest, "Entity type \(type) cannot appear more than once in the filter.")
            }
            guard [QuotaEntity.userType, QuotaEntity.clientIdType, QuotaEntity.ipType].contains(type) else {
                return refuse(.unsupportedVersion, "Unsupported entity type \(type)")
            }
            switch component.matchType {
            case 0:
                guard let match = component.match else { return refuse(.invalidRequest, "Request specified MATCH_TYPE_EXACT, but set match string to null.") }
                exact[type] = .some(match)
            case 1:
                guard component.match == nil else { return refuse(.invalidRequest, "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.") }
                exact[type] = .some(nil)
            case 2:
                guard component.match == nil else { return refuse(.invalidRequest, "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.") }
                anyName.insert(type)
            default:
                return refuse(.invalidRequest, "Unknown match type \(component.matchType)")
            }
        }
        let hasIp = exact[QuotaEntity.ipType] != nil || anyName.contains(QuotaEntity.ipType)
        if hasIp && (exact.count + anyName.count > 1) {
            return DescribeClientQuotasResponse(
                errorCode: ErrorCode.invalidRequest.rawValue,
                errorMessage: "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.",
                entries: nil)
        }
        var entries: [DescribeClientQuotasResponse.EntryData] = []
        for (entity, quotas) in context.broker.clientQuotas.all.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            let parts = Dictionary(uniqueKeysWithValues: entity.parts.map { ($0.0, $0.1) })
            if request.strict && parts.count != exact.count + anyName.count { continue }
            guard exact.allSatisfy({ parts[$0.key] != nil && parts[$0.key]! == $0.value }), anyName.allSatisfy({ parts[$0] != nil }) else { continue }
            entries.append(.init(
                entity: entity.parts.map { .init(entityType: $0.0, entityName: $0.1) },
                values: quotas.sorted { $0.key < $1.key }.map { .init(key: $0.key, value: $0.value) }))
        }
        return DescribeClientQuotasResponse(errorCode: 0, errorMessage: nil, entries: entries)
    }
}

// AlterClientQuotas (key 49, KIP-546). v1: flexible.
// Sets or removes quotas of users, client ids or both, each named or the default (a null name),
// as Kafka's ClientQuotaControlManager validates them: a known entity type at most once, no empty
// name, a key the entity takes, a value above 0 (whole for the byte rates). Needs ALTER_CONFIGS
// on the cluster. Valid entries are written durably together before the answer; validate_only
// writes nothing. Gregor enforces producer_byte_rate, consumer_byte_rate and request_percentage;
// IP entities (connection_creation_rate) and controller_mutation_rate (KIP-599) are refused as
// not supported rather than stored and ignored.
import KafkaProtocol

enum AlterClientQuotasHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...1

    static func handle(_ request: AlterClientQuotasRequest, _ context: RequestContext) async throws -> AlterClientQuotasResponse? {
        var results: [AlterClientQuotasResponse.EntryData] = []
        var changes: [(QuotaEntity, [String: Double?], Int)] = []
        let allowed = context.authorizedOnCluster(.alterConfigs)
        for entry in request.entries {
            let entity = entry.entity.map { AlterClientQuotasResponse.EntityData(entityType: $0.entityType, entityName: $0.entityName) }
            var result = AlterClientQuotasResponse.EntryData(errorMessage: nil, entity: entity)
            do throws(ApiError) {
                guard allowed else { throw ApiError(.clusterAuthorizationFailed, ErrorCode.clusterAuthorizationFailed.defaultMessage) }
                let parsed = try Self.entity(entry.entity.map { ($0.entityType, $0.entityName) })
                var ops: [String: Double?] = [:]
                for op in entry.ops {
                    guard let whole = QuotaEntity.clientKeys[op.key] else { throw ApiError(.invalidRequest, "Invalid configuration key \(op.key)") }
                    if op.key == "controller_mutation_rate" {
                        throw ApiError(.invalidRequest, "controller_mutation_rate (KIP-599) is not supported by this broker yet")
                    }
                    if op.remove {
                        ops[op.key] = .some(nil)
                        continue
                    }
                    guard op.value > 0 else { throw ApiError(.invalidRequest, "Quota \(op.key) must be greater than 0") }
                    if whole && abs(op.value.truncatingRemainder(dividingBy: 1)) > 1e-6 {
                        throw ApiError(.invalidRequest, "\(op.key) cannot be a fractional value.")
                    }
                    ops[op.key] = op.value
                }
                changes.append((parsed, ops, results.count))
            } catch {
                result.errorCode = error.code.rawValue
                result.errorMessage = error.message
            }
            results.append(result)
        }
        if !request.validateOnly && !changes.isEmpty {
            do {
                try await context.broker.clientQuotas.alter(changes.map { ($0.0, $0.1) })
            } catch {
                context.logger.error("writing client quotas failed: \(error)")
                for change in changes {
                    results[change.2].errorCode = ErrorCode.unknownServerError.rawValue
                    results[change.2].errorMessage = "The quotas could not be stored: \(error)"
                }
            }
        }
        return AlterClientQuotasResponse(entries: results)
    }

    /// ClientQuotaControlManager.validateEntity and configKeysForEntityType.
    static func entity(_ parts: [(type: String, name: String?)]) throws(ApiError) -> QuotaEntity {
        guard !parts.isEmpty else { throw ApiError(.invalidRequest, "Invalid empty client quota entity") }
        var entity = QuotaEntity()
        var seen: Set<String> = []
        for (type, name) in parts {
            guard seen.insert(type).inserted else { throw ApiError(.invalidRequest, "Invalid client quota entity, duplicate entity entry \(type)") }
            if name?.isEmpty == true { throw ApiError(.invalidRequest, "Empty \(type) not supported") }
            let value: QuotaEntityName = name.map { .named($0) } ?? .default
            switch type {
            case QuotaEntity.userType: entity.user = value
            case QuotaEntity.clientIdType: entity.clientId = value
            case QuotaEntity.ipType:
                throw ApiError(.invalidRequest, "IP quotas (connection_creation_rate) are not supported by this broker yet")
            default: throw ApiError(.invalidRequest, "Unhandled client quota entity type: \(type)")
            }
        }
        return entity
    }
}

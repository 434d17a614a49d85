// IncrementalAlterConfigs (key 44): each config is SET (0), DELETE'd back to its default (1),
// or, for list configs such as cleanup.policy, has items APPENDed (2) or SUBTRACTed (3) (KIP-339).
// v1: flexible.
// Topic configs take effect at once on every partition's log. Broker configs cannot be changed
// while Gregor runs: any left set is INVALID_REQUEST, as Kafka answers for its read-only ones;
// deleting one is a no-op, since no dynamic value exists. Gregor has no log4j loggers, so
// BROKER_LOGGER changes fail as Kafka's do for an unknown logger (KIP-412). CLIENT_METRICS
// subscriptions (KIP-714) take SET and DELETE; removing every key removes the subscription.
// Each resource needs ALTER_CONFIGS on its topic or group, or on the cluster for brokers and
// loggers (TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED with Kafka's default message).
import GregorStorage
import KafkaProtocol

enum IncrementalAlterConfigsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...1

    enum Operation: Int8 {
        case set = 0, delete, append, subtract

        var name: String { ["SET", "DELETE", "APPEND", "SUBTRACT"][Int(rawValue)] }
    }

    static func handle(_ request: IncrementalAlterConfigsRequest, _ context: RequestContext) async throws -> IncrementalAlterConfigsResponse? {
        let broker = context.broker
        let repeated = ConfigResources.duplicates(request.resources.map { AlterConfigsHandler.ResourceKey(type: $0.resourceType, name: $0.resourceName) })
        var response = IncrementalAlterConfigsResponse()
        for resource in request.resources {
            var r = IncrementalAlterConfigsResponse.AlterConfigsResourceResponse(errorMessage: nil, resourceType: resource.resourceType,
                                                                                 resourceName: resource.resourceName)
            do throws(ApiError) {
                if repeated.contains(AlterConfigsHandler.ResourceKey(type: resource.resourceType, name: resource.resourceName)) {
                    throw ApiError(.invalidRequest, "Each resource must appear at most once.")
                }
                if let refused = ConfigResourceType.refusal(resource.resourceType, resource.resourceName, .alterConfigs, context) {
                    throw refused
                }
                try await alter(resource, validateOnly: request.validateOnly, broker)
            } catch {
                r.errorCode = error.code.rawValue
                r.errorMessage = error.message
            }
            response.responses.append(r)
        }
        return response
    }

    /// ConfigAdminManager.preprocess, then the controller's incrementalAlterConfigs.
    static func alter(_ resource: IncrementalAlterConfigsRequest.AlterConfigsResource, validateOnly: Bool, _ broker: Broker) async throws(ApiError) {
        if !ConfigResources.duplicates(resource.configs.map(\.name)).isEmpty {
            throw ApiError(.invalidRequest, "Error due to duplicate config keys")
        }
        let nulls = resource.configs.filter { $0.configOperation != Operation.delete.rawValue && $0.value == nil }.map(\.name)
        if !nulls.isEmpty { throw ApiError(.invalidRequest, "Null value not supported for : \(nulls.joined(separator: ", "))") }
        var ops: [(name: String, op: Operation, value: String?)] = []
        for c in resource.configs {
            guard let op = Operation(rawValue: c.configOperation) else { throw ApiError(.invalidRequest, "Unknown operations type \(c.configOperation)") }
            ops.append((c.name, op, c.value))
        }
        switch ConfigResourceType(rawValue: resource.resourceType) {
        case .topic:
            let name = resource.resourceName
            let current = broker.metadata.topic(name)?.configs ?? [:]
            var next = current
            for (key, op, value) in ops {
                switch op {
                case .set: next[key] = value
                case .delete: next[key] = nil
                case .append, .subtract:
                    // KafkaConfigSchema.isSplittable; the starting list is the override, else the
                    // topic config's own default (not the broker's).
                    guard let def = ConfigKeys.topicByName[key], def.type == .list else {
                        throw ApiError(.invalidConfig, "Can't \(op.name) to key \(key) because its type is not LIST.")
                    }
                    var items = ConfigKey.listItems(next[key] ?? def.defaultValue ?? "")
                    for item in (value ?? "").split(separator: ",").map({ String($0).trimmed }) {
                        if op == .append { if !items.contains(item) { items.append(item) } } else { items.removeAll { $0 == item } }
                    }
                    next[key] = items.joined(separator: ",")
                }
            }
            try await ConfigResources.alterTopic(name, from: current, to: next, replace: false, validateOnly: validateOnly, broker)
        case .broker:
            try ConfigResources.alterBroker(resource.resourceName, setting: ops.filter { $0.op != .delete }.map(\.name), broker)
        case .brokerLogger:
            guard !resource.resourceName.isEmpty else { throw ApiError(.invalidRequest, "Broker id must not be empty") }
            try ConfigResources.checkBrokerName(resource.resourceName, broker)
            if let first = ops.first { throw ApiError(.invalidConfig, "Logger \(first.name) does not exist!") }
        case .clientMetrics:
            // The controller's config schema knows no CLIENT_METRICS keys, so none is a LIST to
            // APPEND to or SUBTRACT from (Kafka 3.9 to 4.3).
            var next = broker.metadata.clientMetricsConfigs(resource.resourceName)
            for (key, op, value) in ops {
                switch op {
                case .set: next[key] = value
                case .delete: next[key] = nil
                case .append, .subtract: throw ApiError(.invalidConfig, "Can't \(op.name) to key \(key) because its type is not LIST.")
                }
            }
            try ConfigResources.alterClientMetrics(resource.resourceName, to: next, validateOnly: validateOnly, broker)
        case .group:
            throw ApiError(.invalidRequest, "Gregor has no group configs to alter")
        case nil:
            throw ApiError(.invalidRequest, "Unknown resource type \(resource.resourceType)")
        }
    }
}

// AlterConfigs (key 33), the legacy request: a resource's configs are replaced by the given
// set, and any override not named goes back to its default (KIP-133). Kafka deprecates it for
// IncrementalAlterConfigs (KIP-339).
// v1: no change (throttling after the response, KIP-219). v2: flexible.
// Topic configs take effect at once on every partition's log. Broker configs cannot be changed
// while Gregor runs: setting any is INVALID_REQUEST, as Kafka answers for its read-only ones.
// A CLIENT_METRICS subscription (KIP-714) is replaced by the given keys; none removes it.
// Each resource needs ALTER_CONFIGS on its topic, or on the cluster for brokers and client metrics
// (TOPIC_/CLUSTER_AUTHORIZATION_FAILED with Kafka's default message).
import GregorStorage
import KafkaProtocol

enum AlterConfigsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2

    static func handle(_ request: AlterConfigsRequest, _ context: RequestContext) async throws -> AlterConfigsResponse? {
        let broker = context.broker
        let repeated = ConfigResources.duplicates(request.resources.map { ResourceKey(type: $0.resourceType, name: $0.resourceName) })
        var response = AlterConfigsResponse()
        for resource in request.resources {
            var r = AlterConfigsResponse.AlterConfigsResourceResponse(errorMessage: nil, resourceType: resource.resourceType, resourceName: resource.resourceName)
            do throws(ApiError) {
                if repeated.contains(ResourceKey(type: resource.resourceType, name: resource.resourceName)) {
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

    struct ResourceKey: Hashable {
        let type: Int8
        let name: String
    }

    /// ConfigAdminManager.preprocess, then the controller's legacyAlterConfigs.
    static func alter(_ resource: AlterConfigsRequest.AlterConfigsResource, validateOnly: Bool, _ broker: Broker) async throws(ApiError) {
        if !ConfigResources.duplicates(resource.configs.map(\.name)).isEmpty {
            throw ApiError(.invalidRequest, "Error due to duplicate config keys")
        }
        let nulls = resource.configs.filter { $0.value == nil }.map(\.name)
        if !nulls.isEmpty { throw ApiError(.invalidRequest, "Null value not supported for : \(nulls.joined(separator: ", "))") }
        var configs: [String: String] = [:]
        for c in resource.configs { configs[c.name] = c.value }
        switch ConfigResourceType(rawValue: resource.resourceType) {
        case .topic:
            let current = broker.metadata.topic(resource.resourceName)?.configs ?? [:]
            try await ConfigResources.alterTopic(resource.resourceName, from: current, to: configs, replace: true, validateOnly: validateOnly, broker)
        case .broker:
            try ConfigResources.alterBroker(resource.resourceName, setting: resource.configs.map(\.name), broker)
        case .clientMetrics:
            try ConfigResources.alterClientMetrics(resource.resourceName, to: configs, validateOnly: validateOnly, broker)
        case .group:
            throw ApiError(.invalidRequest, "Gregor has no group configs to alter")
        case .brokerLogger, nil:
            // The legacy request never took broker loggers (KIP-412 added them to the incremental one).
            throw ApiError(.invalidRequest, "Unknown resource type \(resource.resourceType)")
        }
    }
}

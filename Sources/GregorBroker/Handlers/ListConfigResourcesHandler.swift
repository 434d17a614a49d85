// ListConfigResources (key 74; flexible): the names of the config resources there are (KIP-1142).
// v0: wire-identical to KIP-714's ListClientMetricsResources, which it renames; lists the client
// metrics subscriptions only.
// v1: ResourceTypes asks for some types (none means every supported one), and each entry says
// its ResourceType.
// As Kafka 4.3: DESCRIBE_CONFIGS on the cluster is required (CLUSTER_AUTHORIZATION_FAILED), and
// asking for a type outside the version's set is a top-level UNSUPPORTED_VERSION with no entries.
// Entries come as GROUP (groups with dynamic configs: Gregor has none), CLIENT_METRICS,
// BROKER_LOGGER and BROKER (this node's id), then TOPIC (every topic, internal ones included, with
// no per-topic authorization).
import KafkaProtocol

enum ListConfigResourcesHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...1

    /// The types each version lists, in the order Kafka's ConfigAdminManager emits them.
    static func supported(_ version: Int16) -> [ConfigResourceType] {
        version == 0 ? [.clientMetrics] : [.group, .clientMetrics, .brokerLogger, .broker, .topic]
    }

    static func handle(_ request: ListConfigResourcesRequest, _ context: RequestContext) async throws -> ListConfigResourcesResponse? {
        guard context.authorizedOnCluster(.describeConfigs) else {
            return ListConfigResourcesResponse(errorCode: ErrorCode.clusterAuthorizationFailed.rawValue)
        }
        let supported = supported(context.apiVersion)
        let asked = context.apiVersion == 0 ? [] : request.resourceTypes
        guard asked.allSatisfy({ ConfigResourceType(rawValue: $0).map(supported.contains) == true }) else {
            return ListConfigResourcesResponse(errorCode: ErrorCode.unsupportedVersion.rawValue)
        }
        let wanted = asked.isEmpty ? supported : supported.filter { asked.contains($0.rawValue) }
        let broker = context.broker
        var resources: [ListConfigResourcesResponse.ConfigResource] = []
        for type in wanted {
            let names: [String] = switch type {
            case .group: []
            case .clientMetrics: broker.metadata.clientMetricsSubscriptions.keys.sorted()
            case .brokerLogger, .broker: [String(broker.config.nodeId)]
            case .topic: broker.metadata.topics.map(\.name)
            }
            resources += names.map { .init(resourceName: $0, resourceType: type.rawValue) }
        }
        return ListConfigResourcesResponse(configResources: resources)
    }
}

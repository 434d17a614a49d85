// DescribeCluster (key 60): the brokers, the cluster id and the controller, for the admin
// client's describeCluster (KIP-700). Flexible from v0.
// v1: endpoint type, brokers (1) or controllers (2), so a client can ask a controller (KIP-919).
// v2: include_fenced_brokers and each broker's is_fenced (KIP-1073); a broker that answers is
// never fenced, and Gregor has no other.
// Alone, Gregor is one broker that is also its own controller; as a KRaft broker, it answers for
// the broker endpoint and names itself controller (Kafka names a random live broker). In a
// cluster it lists every live broker and names the holder of the controller lease.
import KafkaProtocol

enum DescribeClusterHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...2
    static let runsOnEventLoop = true

    static func handle(_ request: DescribeClusterRequest, _ context: RequestContext) async throws -> DescribeClusterResponse? {
        let broker = context.broker
        let v0 = context.apiVersion == 0
        // AuthHelper.computeDescribeClusterResponse.
        switch request.endpointType {
        case 1: break
        case 2:
            return DescribeClusterResponse(errorCode: (v0 ? ErrorCode.invalidRequest : .mismatchedEndpointType).rawValue,
                                           errorMessage: "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER")
        default:
            return DescribeClusterResponse(errorCode: (v0 ? ErrorCode.invalidRequest : .unsupportedEndpointType).rawValue,
                                           errorMessage: "Unsupported endpoint type \(request.endpointType)")
        }
        if let cluster = broker.cluster {
            // Every live broker on the request's listener. A fenced broker's registration is gone
            // with its lease, so none is listed fenced.
            return DescribeClusterResponse(
                clusterId: broker.metadata.clusterId, controllerId: cluster.controllerId,
                brokers: MetadataHandler.liveBrokers(cluster, context).map {
                    .init(brokerId: $0.nodeId, host: $0.host, port: $0.port, rack: $0.rack)
                },
                clusterAuthorizedOperations: clusterOperations(request, context))
        }
        return DescribeClusterResponse(
            clusterId: broker.metadata.clusterId, controllerId: broker.config.nodeId,
            brokers: [.init(brokerId: broker.config.nodeId, host: context.advertised.host, port: Int32(context.advertised.port))],
            clusterAuthorizedOperations: clusterOperations(request, context))
    }

    /// AuthHelper.computeDescribeClusterResponse: 0 for a caller without DESCRIBE on the cluster.
    static func clusterOperations(_ request: DescribeClusterRequest, _ context: RequestContext) -> Int32 {
        guard request.includeClusterAuthorizedOperations else { return AuthorizedOperations.notRequested }
        return context.authorizedOnCluster(.describe) ? context.authorizedOperations(.cluster, ResourcePattern.clusterName) : 0
    }
}

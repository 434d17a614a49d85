// GetTelemetrySubscriptions (key 71, v0 only; flexible): which client metrics the broker wants
// pushed, and how often (KIP-714). Java clients 3.7+ and librdkafka 2.5+ ask on connecting.
// The answer is the union of the metrics of every CLIENT_METRICS subscription whose match
// patterns the client satisfies, at the shortest of their intervals; with none, no metrics
// every 5 minutes. A client that sends the zero UUID gets a new client instance id. Asking again
// before the push interval is THROTTLING_QUOTA_EXCEEDED, and an error answer carries only its
// code, as from Kafka's ClientMetricsManager. No authorization is needed.
import KafkaProtocol

enum GetTelemetrySubscriptionsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    /// ZSTD, LZ4, GZIP, SNAPPY: the codecs Kafka accepts for pushed metrics, in its order.
    static let compressionTypes: [Int8] = [4, 3, 1, 2]

    static func handle(_ request: GetTelemetrySubscriptionsRequest, _ context: RequestContext) async throws -> GetTelemetrySubscriptionsResponse? {
        let identity = context.telemetryIdentity(request.clientInstanceId)
        let now = context.broker.clock()
        let (outcome, maxBytes) = context.broker.telemetry.withLock { ($0.get(identity, now: now), $0.maxBytes) }
        switch outcome {
        case .error(let code):
            return GetTelemetrySubscriptionsResponse(errorCode: code.rawValue)
        case .subscription(let id, let subscriptionId, let requested):
            return GetTelemetrySubscriptionsResponse(
                clientInstanceId: id, subscriptionId: subscriptionId, acceptedCompressionTypes: compressionTypes,
                pushIntervalMs: requested.pushIntervalMs, telemetryMaxBytes: Int32(maxBytes), deltaTemporality: true,
                requestedMetrics: requested.metrics)
        }
    }
}

extension RequestContext {
    /// The client as KIP-714's match patterns see it: the header's client id, the connection's
    /// ApiVersions software name and version, and its peer address and port.
    func telemetryIdentity(_ instanceId: KafkaUUID) -> ClientTelemetryIdentity {
        ClientTelemetryIdentity(
            instanceId: instanceId, clientId: clientId, softwareName: clientSoftware?.name ?? "unknown",
            softwareVersion: clientSoftware?.version ?? "unknown",
            sourceAddress: clientHost.isEmpty ? nil : String(clientHost.drop { $0 == "/" }), sourcePort: clientPort)
    }
}

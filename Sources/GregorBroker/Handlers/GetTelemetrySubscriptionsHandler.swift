// GetTelemetrySubscriptions (key 71, v0 only; flexible): which client metrics the broker wants
// pushed, and how often (KIP-714). Java clients 3.7+ and librdkafka 2.5+ ask on connecting.
// Gregor wants none: the requested metrics list is empty, so clients never push. A client that
// sends the zero UUID gets a new client instance id, as from Kafka's ClientMetricsManager.
import KafkaProtocol

enum GetTelemetrySubscriptionsHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    /// ClientMetricsConfigs' default push interval: 5 minutes.
    static let pushIntervalMs: Int32 = 300_000
    /// Kafka's `telemetry.max.bytes` default.
    static let telemetryMaxBytes: Int32 = 1_048_576
    /// ZSTD, LZ4, GZIP, SNAPPY: the codecs Kafka accepts for pushed metrics, in its order.
    static let compressionTypes: [Int8] = [4, 3, 1, 2]

    static func handle(_ request: GetTelemetrySubscriptionsRequest, _ context: RequestContext) async throws -> GetTelemetrySubscriptionsResponse? {
        var id = request.clientInstanceId
        while id == .zero || id == PushTelemetryHandler.metadataTopicId { id = KafkaUUID.random() }
        return GetTelemetrySubscriptionsResponse(
            clientInstanceId: id, subscriptionId: subscriptionId(id), acceptedCompressionTypes: compressionTypes,
            pushIntervalMs: pushIntervalMs, telemetryMaxBytes: telemetryMaxBytes, deltaTemporality: true, requestedMetrics: [])
    }

    /// The subscription a client instance holds: derived from its id, so a later PushTelemetry
    /// can be checked without keeping state per client.
    static func subscriptionId(_ id: KafkaUUID) -> Int32 {
        let mixed = id.high ^ id.low
        return Int32(truncatingIfNeeded: mixed ^ (mixed >> 32))
    }
}

// PushTelemetry (key 72, v0 only; flexible): a client's metrics, pushed as its subscription asks
// (KIP-714). Gregor's subscriptions ask for no metrics, so clients do not push; one that does
// is checked as Kafka's ClientMetricsManager checks it, and its metrics dropped.
import KafkaProtocol

enum PushTelemetryHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    /// Kafka's reserved METADATA_TOPIC_ID, never a client instance id.
    static let metadataTopicId = KafkaUUID(high: 0, low: 1)

    static func handle(_ request: PushTelemetryRequest, _ context: RequestContext) async throws -> PushTelemetryResponse? {
        let id = request.clientInstanceId
        let error: ErrorCode
        if id == .zero || id == metadataTopicId {
            error = .invalidRequest
        } else if request.subscriptionId != GetTelemetrySubscriptionsHandler.subscriptionId(id) {
            error = .unknownSubscriptionId
        } else if !(0...4).contains(request.compressionType) {
            error = .unsupportedCompressionType
        } else if request.metrics.readableBytes > GetTelemetrySubscriptionsHandler.telemetryMaxBytes {
            error = .telemetryTooLarge
        } else {
            error = .none
        }
        return PushTelemetryResponse(errorCode: error.rawValue)
    }
}

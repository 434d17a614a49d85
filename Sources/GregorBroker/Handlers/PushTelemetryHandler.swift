// PushTelemetry (key 72, v0 only; flexible): a client's metrics, pushed as its subscription asks
// (KIP-714). Checked as Kafka's ClientMetricsManager checks it (see ClientTelemetry.push); an
// accepted payload is decompressed and kept per client instance, counted, and logged at debug
// level, in place of Kafka's exporter plugin. ThrottleTimeMs is always 0.
import KafkaProtocol

enum PushTelemetryHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 0...0

    static func handle(_ request: PushTelemetryRequest, _ context: RequestContext) async throws -> PushTelemetryResponse? {
        let identity = context.telemetryIdentity(request.clientInstanceId)
        let push = ClientTelemetry.Push(subscriptionId: request.subscriptionId, terminating: request.terminating,
                                        compressionType: request.compressionType, metrics: request.metrics)
        let now = context.broker.clock()
        let (error, instance) = context.broker.telemetry.withLock { t in
            let error = t.push(push, from: identity, now: now)
            return (error, t.instances[identity.instanceId])
        }
        if let instance {
            context.logger.debug("client telemetry push", metadata: [
                "client.instance.id": "\(identity.instanceId)", "client.id": "\(identity.clientId ?? "")",
                "error": "\(error)", "bytes": "\(request.metrics.readableBytes)", "pushes": "\(instance.pushes)",
                "total.bytes": "\(instance.bytes)", "total.decompressed.bytes": "\(instance.decompressedBytes)",
                "terminating": "\(request.terminating)",
            ])
        }
        return PushTelemetryResponse(errorCode: error.rawValue)
    }
}

// The broker's side of KIP-714, as a state machine over an injected clock: the subscriptions,
// and per client instance what it was told and when it last asked and pushed (Kafka's
// ClientMetricsManager and ClientMetricsInstance). GetTelemetrySubscriptions and PushTelemetry
// are events returning the answer; the handlers only carry them out.
import KafkaProtocol
import NIOCore

struct ClientTelemetry: Sendable {
    /// One client instance (ClientMetricsInstance), with what it has pushed.
    struct Instance: Sendable {
        var identity: ClientTelemetryIdentity
        var request: ClientTelemetryRequest
        var subscriptionId: Int32
        /// The subscriptions' version the request was computed from.
        var version: Int
        var lastGetMs: Int64 = 0
        var lastPushMs: Int64 = 0
        var lastAccessMs: Int64
        /// The client said it is closing (KIP-714): nothing more is accepted from it.
        var terminating = false
        var lastKnownError: ErrorCode = .none
        /// Pushes accepted, and their bytes as sent and decompressed.
        var pushes = 0
        var bytes = 0
        var decompressedBytes = 0
        /// The last accepted payload, decompressed: OTLP `MetricsData` protobuf (KIP-714).
        var lastPayload: ByteBuffer?
    }

    enum GetOutcome: Equatable, Sendable {
        case subscription(instanceId: KafkaUUID, subscriptionId: Int32, ClientTelemetryRequest)
        case error(ErrorCode)
    }

    /// Kafka's `telemetry.max.bytes` default: the largest payload, sent and decompressed.
    static let defaultMaxBytes = 1_048_576
    /// ClientMetricsManager's cache: at most this many instances, each kept for the longer of a
    /// minute and three push intervals after its last request.
    static let maxInstances = 16_384
    static let minimumExpiryMs: Int64 = 60_000

    private(set) var subscriptions: ClientMetricsSubscriptions
    /// Bumped by every subscription change: instances computed before it are re-evaluated.
    private(set) var version = 0
    private(set) var instances: [KafkaUUID: Instance] = [:]
    /// When idle instances were last looked for (at most once a second).
    private var lastExpiryMs: Int64?
    let maxBytes: Int

    init(subscriptions: ClientMetricsSubscriptions = .init(stored: [:]), maxBytes: Int = defaultMaxBytes) {
        self.subscriptions = subscriptions
        self.maxBytes = maxBytes
    }

    mutating func setSubscriptions(_ subscriptions: ClientMetricsSubscriptions) {
        self.subscriptions = subscriptions
        version += 1
    }

    /// GetTelemetrySubscriptions. A zero id gets a fresh one; a second request within the push
    /// interval is THROTTLING_QUOTA_EXCEEDED, unless the client's last push failed with a stale
    /// subscription or an unsupported compression (Kafka 4.2's validateGetRequest).
    mutating func get(_ identity: ClientTelemetryIdentity, now: Int64, newId: () -> KafkaUUID = KafkaUUID.random) -> GetOutcome {
        var identity = identity
        if identity.instanceId == .zero {
            repeat { identity.instanceId = newId() } while instances[identity.instanceId] != nil || Self.isReserved(identity.instanceId)
        }
        var instance = self.instance(identity, now: now)
        defer { instances[identity.instanceId] = instance }
        let since = now - max(instance.lastGetMs, instance.lastPushMs)
        guard since >= Int64(instance.request.pushIntervalMs)
            || instance.lastKnownError == .unknownSubscriptionId || instance.lastKnownError == .unsupportedCompressionType
        else { return .error(.throttlingQuotaExceeded) }
        instance.lastGetMs = now
        instance.lastKnownError = .none
        return .subscription(instanceId: identity.instanceId, subscriptionId: instance.subscriptionId, instance.request)
    }

    /// One PushTelemetry request.
    struct Push: Sendable {
        var subscriptionId: Int32
        var terminating: Bool
        var compressionType: Int8
        var metrics: ByteBuffer
    }

    /// PushTelemetry, checked in Kafka's order (validatePushRequest): INVALID_REQUEST for a reserved
    /// id or after a terminating push; THROTTLING_QUOTA_EXCEEDED before the interval has passed
    /// (the first push after a Get and a terminating push are always on time);
    /// UNKNOWN_SUBSCRIPTION_ID; UNSUPPORTED_COMPRESSION_TYPE; TELEMETRY_TOO_LARGE. An accepted
    /// payload is decompressed and kept: too large decompressed is TELEMETRY_TOO_LARGE, corrupt
    /// is INVALID_RECORD, as Kafka's exporter plugins answer.
    mutating func push(_ push: Push, from identity: ClientTelemetryIdentity, now: Int64) -> ErrorCode {
        if identity.instanceId == .zero || Self.isReserved(identity.instanceId) { return .invalidRequest }
        var instance = self.instance(identity, now: now)
        let error = check(push, &instance, now: now)
        instance.terminating = instance.terminating || push.terminating
        instance.lastKnownError = error
        if error == .none, push.metrics.readableBytes > 0 {
            let codec = CompressionCodec(rawValue: push.compressionType)!
            do {
                let payload = try Compression.decompress(push.metrics, codec: codec, limit: maxBytes)
                instance.pushes += 1
                instance.bytes += push.metrics.readableBytes
                instance.decompressedBytes += payload.readableBytes
                instance.lastPayload = payload
            } catch .decompressedSizeExceeded {
                instance.lastKnownError = .telemetryTooLarge
            } catch {
                instance.lastKnownError = .invalidRecord
            }
        }
        instances[identity.instanceId] = instance
        return instance.lastKnownError
    }

    private func check(_ push: Push, _ instance: inout Instance, now: Int64) -> ErrorCode {
        if instance.terminating { return .invalidRequest }
        // ClientMetricsInstance.maybeUpdatePushRequestTimestamp: the first push after a Get is
        // on time whatever the client's jitter.
        let onTime = instance.lastGetMs > instance.lastPushMs
            || now - max(instance.lastGetMs, instance.lastPushMs) >= Int64(instance.request.pushIntervalMs)
        if onTime { instance.lastPushMs = now } else if !push.terminating { return .throttlingQuotaExceeded }
        if push.subscriptionId != instance.subscriptionId { return .unknownSubscriptionId }
        if CompressionCodec(rawValue: push.compressionType) == nil { return .unsupportedCompressionType }
        if push.metrics.readableBytes > maxBytes { return .telemetryTooLarge }
        return .none
    }

    /// Kafka's Uuid.RESERVED: the zero id and METADATA_TOPIC_ID.
    static func isReserved(_ id: KafkaUUID) -> Bool { id == .zero || id == KafkaUUID(high: 0, low: 1) }

    /// The cached instance, re-evaluated if the subscriptions changed since it was computed
    /// (with fresh timestamps, so its next request is not throttled), or a new one; expired
    /// instances are dropped first.
    private mutating func instance(_ identity: ClientTelemetryIdentity, now: Int64) -> Instance {
        expire(now: now)
        if var existing = instances[identity.instanceId], existing.version == version {
            existing.lastAccessMs = now
            return existing
        }
        // Kafka keeps the instance's metadata from its first request.
        let old = instances[identity.instanceId]
        let identity = old?.identity ?? identity
        let request = subscriptions.request(for: identity)
        var fresh = Instance(identity: identity, request: request,
                             subscriptionId: ClientMetricsSubscriptions.subscriptionId(request, identity.instanceId),
                             version: version, lastAccessMs: now)
        if let old {
            (fresh.pushes, fresh.bytes, fresh.decompressedBytes, fresh.lastPayload) = (old.pushes, old.bytes, old.decompressedBytes, old.lastPayload)
        }
        return fresh
    }

    /// Drops instances idle past their expiry, then the least recently used beyond the cap.
    private mutating func expire(now: Int64) {
        if lastExpiryMs.map({ now - $0 >= 1000 || now < $0 }) ?? true {
            lastExpiryMs = now
            instances = instances.filter { now - $0.value.lastAccessMs < max(Self.minimumExpiryMs, 3 * Int64($0.value.request.pushIntervalMs)) }
        }
        if instances.count >= Self.maxInstances {
            let oldest = instances.min { $0.value.lastAccessMs < $1.value.lastAccessMs }!.key
            instances[oldest] = nil
        }
    }
}

// Which metrics a client is asked to push, from the subscriptions whose match patterns it
// satisfies (KIP-714, as Kafka's ClientMetricsManager.createClientInstance computes it).
import KafkaProtocol

/// What a client is, as the match patterns see it (ClientMetricsInstanceMetadata).
struct ClientTelemetryIdentity: Hashable, Sendable {
    var instanceId: KafkaUUID
    /// The request header's client id.
    var clientId: String?
    /// From the connection's ApiVersions v3+ request; Kafka uses "unknown" without one.
    var softwareName: String = "unknown"
    var softwareVersion: String = "unknown"
    /// The peer's IP address ("127.0.0.1") and port.
    var sourceAddress: String?
    var sourcePort: Int?

    /// The value a `match` key is compared against; nil never matches.
    func attribute(_ key: String) -> String? {
        switch key {
        case "client_instance_id": instanceId.description
        case "client_id": clientId
        case "client_software_name": softwareName
        case "client_software_version": softwareVersion
        case "client_source_address": sourceAddress
        case "client_source_port": sourcePort.map(String.init)
        default: nil
        }
    }

    /// A subscription applies when every one of its patterns fully matches (Matcher.matches()).
    func matches(_ subscription: ClientMetricsSubscription) -> Bool {
        subscription.match.allSatisfy { key, pattern in
            guard let value = attribute(key), let regex = try? JavaCompat.compile(pattern) else { return false }
            return (try? regex.wholeMatch(in: value)) != nil
        }
    }
}

/// What the broker asks one client for: the union of its matching subscriptions' metrics, at
/// the shortest of their intervals.
struct ClientTelemetryRequest: Hashable, Sendable {
    /// Sorted; `["*"]` when any matching subscription asks for everything.
    var metrics: [String]
    var pushIntervalMs: Int32
}

/// Every configured subscription, by name.
struct ClientMetricsSubscriptions: Sendable {
    var byName: [String: ClientMetricsSubscription] = [:]

    /// Parses the stored keys; a subscription that no longer validates is skipped.
    init(stored: [String: [String: String]]) {
        for (name, configs) in stored {
            if let s = try? ClientMetricsConfigs.subscription(name, configs) { byName[name] = s }
        }
    }

    init(_ subscriptions: [ClientMetricsSubscription]) {
        for s in subscriptions { byName[s.name] = s }
    }

    /// ClientMetricsManager.createClientInstance: with no match, nothing at the default interval.
    func request(for client: ClientTelemetryIdentity) -> ClientTelemetryRequest {
        var interval = ClientMetricsConfigs.defaultIntervalMs
        var metrics = Set<String>()
        for s in byName.values where client.matches(s) {
            metrics.formUnion(s.metrics)
            interval = min(interval, s.intervalMs)
        }
        if metrics.contains(ClientMetricsConfigs.allMetrics) { metrics = [ClientMetricsConfigs.allMetrics] }
        return ClientTelemetryRequest(metrics: metrics.sorted(), pushIntervalMs: interval)
    }

    /// ClientMetricsManager.computeSubscriptionId: the CRC32C of the metrics set printed as Java
    /// prints it ("[a, b]") followed by the interval, XORed with the instance id's Java hashCode.
    /// Java prints a HashSet in hash order and Gregor sorts, so the value can differ from Kafka's
    /// for several metrics; clients only echo it back.
    static func subscriptionId(_ request: ClientTelemetryRequest, _ instanceId: KafkaUUID) -> Int32 {
        let text = "[" + request.metrics.joined(separator: ", ") + "]" + String(request.pushIntervalMs)
        let crc = Array(text.utf8).withUnsafeBytes { CRC32C.checksum($0) }
        let mixed = instanceId.high ^ instanceId.low
        let hash = Int32(truncatingIfNeeded: mixed >> 32) ^ Int32(truncatingIfNeeded: mixed)
        return Int32(bitPattern: crc) ^ hash
    }
}

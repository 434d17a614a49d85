// The config keys of a client metrics subscription (KIP-714, resource type CLIENT_METRICS),
// validated as Kafka's ClientMetricsConfigs validates them: an unknown key or an interval out of
// range is INVALID_REQUEST; an unparsable interval or a bad match pattern is INVALID_CONFIG.
import KafkaProtocol

/// One named subscription: which metrics, how often, for which clients (KIP-714).
struct ClientMetricsSubscription: Sendable {
    /// The subscription's name (the config resource name).
    var name: String
    /// Metric name prefixes; `*` means all of them, and no entry means none.
    var metrics: [String]
    /// How often a matching client pushes, in milliseconds.
    var intervalMs: Int32
    /// Client attribute name and the regular expression its value must fully match; none
    /// matches every client.
    var match: [(key: String, pattern: String)]
}

enum ClientMetricsConfigs {
    static let metrics = "metrics"
    static let intervalMs = "interval.ms"
    static let match = "match"
    /// The keys in the order DescribeConfigs lists them.
    static let names = [metrics, intervalMs, match]

    static let defaultIntervalMs: Int32 = 300_000
    static let minIntervalMs: Int32 = 100
    static let maxIntervalMs: Int32 = 3_600_000
    /// Every metric (ClientMetricsConfigs.ALL_SUBSCRIBED_METRICS).
    static let allMetrics = "*"

    /// The client attributes a `match` entry may name (ClientMetricsConfigs.ALLOWED_MATCH_PARAMS).
    static let matchKeys: Set<String> = [
        "client_instance_id", "client_id", "client_software_name", "client_software_version",
        "client_source_address", "client_source_port",
    ]

    /// The default each key has when the subscription does not set it, as strings.
    static let defaults: [String: String] = [metrics: "", intervalMs: String(defaultIntervalMs), match: ""]

    /// A LIST value's items: split on commas and trimmed; "" is the empty list.
    static func listItems(_ value: String) -> [String] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmed }.filter { !$0.isEmpty }
    }

    /// ClientMetricsConfigs.validate on a subscription's complete set of keys, then its parsed form.
    static func subscription(_ name: String, _ configs: [String: String]) throws(ApiError) -> ClientMetricsSubscription {
        guard !name.isEmpty else { throw ApiError(.invalidRequest, "Subscription name can't be empty") }
        for key in configs.keys.sorted() where !names.contains(key) {
            throw ApiError(.invalidRequest, "Unknown client metrics configuration: \(key)")
        }
        var interval = defaultIntervalMs
        if let text = configs[intervalMs] {
            guard let value = Int32(text.trimmed) else {
                throw ApiError(.invalidConfig, "Invalid value \(text) for configuration \(intervalMs): Not a number of type INT")
            }
            guard (minIntervalMs...maxIntervalMs).contains(value) else {
                throw ApiError(.invalidRequest, "Invalid value \(value) for \(intervalMs), interval must be between 100 and 3600000 (1 hour)")
            }
            interval = value
        }
        // Kafka 4.2+ refuses a list with an entry twice (ValidList.anyNonDuplicateValues).
        for key in [metrics, match] {
            if let twice = ConfigResources.duplicates(listItems(configs[key] ?? "")).sorted().first {
                throw ApiError(.invalidConfig, "Configuration '\(key)' values must not be duplicated: \(twice)")
            }
        }
        let patterns = try matchPatterns(listItems(configs[match] ?? ""))
        return ClientMetricsSubscription(name: name, metrics: listItems(configs[metrics] ?? ""), intervalMs: interval, match: patterns)
    }

    /// ClientMetricsConfigs.parseMatchingPatterns: each entry is `name=regex`, the name one of
    /// `matchKeys` and the regex one that compiles; anything else is INVALID_CONFIG.
    static func matchPatterns(_ entries: [String]) throws(ApiError) -> [(key: String, pattern: String)] {
        var patterns: [(key: String, pattern: String)] = []
        for entry in entries {
            let parts = entry.split(separator: "=", omittingEmptySubsequences: false).map { String($0).trimmed }
            guard parts.count == 2, !parts[1].isEmpty, matchKeys.contains(parts[0]) else {
                throw ApiError(.invalidConfig, "Illegal client matching pattern: \(entry)")
            }
            // Kafka compiles them with java.util.regex, as the principal mapping rules are.
            guard (try? JavaCompat.compile(parts[1])) != nil else { throw ApiError(.invalidConfig, "Illegal regex pattern: \(parts[1])") }
            patterns.append((parts[0], parts[1]))
        }
        return patterns
    }
}

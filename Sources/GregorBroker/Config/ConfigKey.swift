// One configuration key, defined once, as Kafka's ConfigDef defines it: parsing of
// server.properties, the unknown-key warning, DescribeConfigs and the Alter* checks all read it.
// What Kafka spreads over ConfigDef (type, default, validator, documentation),
// DynamicBrokerConfig (what may change while running) and the listener overrides of
// ChannelBuilders (`listener.name.<l>.` prefixes) sits in one value here.

/// DescribeConfigsResponse's `config_type` (v3+, KIP-569), and the table's types.
enum ConfigType: Int8, Sendable {
    case unknown = 0, boolean, string, int, short, long, double, list, `class`, password
}

/// DescribeConfigsResponse's `config_source` and synonym sources (v1+, KIP-226).
enum ConfigSource: Int8, Sendable {
    case unknown = 0, dynamicTopic, dynamicBroker, dynamicDefaultBroker, staticBroker, defaultConfig, dynamicBrokerLogger
    /// A client metrics subscription's stored key (KIP-714; Java's CLIENT_METRICS_CONFIG).
    case dynamicClientMetrics
}

struct ConfigKey: Sendable {
    /// Whether the key configures the broker (server.properties) or a topic (CreateTopics, Alter*).
    enum Scope: Sendable { case broker, topic }

    /// What values are allowed beyond parsing as `type` (ConfigDef's validators).
    enum Rule: Sendable {
        case any
        case atLeast(Int64)
        case between(Double, Double)
        case oneOf([String])
        /// gzip: 1-9, or -1 for the codec's default.
        case gzipLevel
        /// `*`, or `partition:broker` pairs (the throttled-replica lists).
        case replicaList
        /// A Kafka 3.x release, as the removed message.format.version keys took (`isKafkaVersion`).
        case kafkaVersion
    }

    /// Which `listener.name.<l>.` forms Kafka's channel builders read (ChannelBuilders'
    /// valuesWithPrefixOverride; KIP-103 for listeners, KIP-86 for the mechanism in between).
    enum ListenerPrefix: Sendable {
        case none
        /// `key` or `listener.name.<l>.key`.
        case listener
        /// Also `listener.name.<l>.<mechanism>.key` (callback handlers, OAUTHBEARER's JWKS).
        case listenerOrMechanism
        /// Only `listener.name.<l>.<mechanism>.key`: a broker's `sasl.jaas.config` (KIP-86).
        case mechanismOnly
    }

    /// What a value names outside the broker's configuration. A key naming one must never be
    /// settable by a client (Alter*), or a client could make the broker read a file, fetch a
    /// URL, load a class or run a command of its choosing.
    enum Reference: Sendable { case file, url, className, command }

    let name: String
    let scope: Scope
    let type: ConfigType
    /// Gregor's default as DescribeConfigs prints it; nil when there is none.
    let defaultValue: String?
    let rule: Rule
    let documentation: String
    /// Other names that supply this key's value, highest priority first: the broker keys behind a
    /// topic key (retention.ms: log.retention.ms, .minutes, .hours), or a broker key's older names.
    var synonyms: [String] = []
    /// Whether a client may change it while the broker runs (Gregor has no dynamic broker keys).
    var dynamic = false
    var listenerPrefix = ListenerPrefix.none
    var reference: Reference?
    /// Whether server.properties may set it. False for Kafka's broker defaults of topic keys that
    /// Gregor neither reads nor accepts: kept for the synonyms topic configs report, and warned
    /// about when set.
    var configurable = true
    /// Whether DescribeConfigs lists it (false for keys accepted for old clients only).
    var listed = true
    /// The value the broker runs with, when the configuration alone does not tell it (a synonym,
    /// a unit conversion, a value derived from other keys).
    var current: (@Sendable (BrokerConfig) -> String?)?

    /// Answered as null with is_sensitive=true, as Kafka does for its PASSWORD keys (KIP-226).
    var sensitive: Bool { type == .password }

    /// Whether a client may set it through AlterConfigs or IncrementalAlterConfigs.
    var clientAlterable: Bool { dynamic && reference == nil }

    init(_ name: String, _ scope: Scope, _ type: ConfigType, _ defaultValue: String?, _ rule: Rule, _ documentation: String) {
        self.name = name
        self.scope = scope
        self.type = type
        self.defaultValue = defaultValue
        self.rule = rule
        self.documentation = documentation
    }

    /// A broker key.
    static func broker(_ name: String, _ type: ConfigType, _ defaultValue: String?, _ rule: Rule, _ documentation: String) -> ConfigKey {
        ConfigKey(name, .broker, type, defaultValue, rule, documentation)
    }

    /// A broker key that takes any value of its type.
    static func broker(_ name: String, _ type: ConfigType, _ defaultValue: String?, _ documentation: String) -> ConfigKey {
        ConfigKey(name, .broker, type, defaultValue, .any, documentation)
    }

    /// A topic key, alterable by clients; `broker` names the broker keys supplying its default.
    static func topic(_ name: String, _ type: ConfigType, _ defaultValue: String?, broker: [String], _ rule: Rule,
                      _ documentation: String) -> ConfigKey
    {
        var key = ConfigKey(name, .topic, type, defaultValue, rule, documentation)
        key.synonyms = broker
        key.dynamic = true
        return key
    }

    func with<T>(_ path: WritableKeyPath<ConfigKey, T>, _ value: T) -> ConfigKey {
        var copy = self
        copy[keyPath: path] = value
        return copy
    }

    func synonyms(_ names: String...) -> ConfigKey { with(\.synonyms, names) }
    func prefix(_ p: ListenerPrefix) -> ConfigKey { with(\.listenerPrefix, p) }
    func names(_ r: Reference) -> ConfigKey { with(\.reference, r) }
    func current(_ f: @escaping @Sendable (BrokerConfig) -> String?) -> ConfigKey { with(\.current, f) }
    /// Kafka's key whose default topic configs report, which Gregor does not read.
    var kafkaOnly: ConfigKey { with(\.configurable, false) }
    var unlisted: ConfigKey { with(\.listed, false) }

    /// The least value of an `.atLeast` rule, for the parsers of server.properties.
    var minimum: Int64 {
        if case .atLeast(let min) = rule { return min }
        return Int64.min
    }
}

// The broker configs Gregor has, by their Kafka names, and how Kafka reports a config's
// synonyms (ConfigHelper.configSynonyms, KIP-226): the broker configs that can supply a value,
// each from the sources that set it, highest priority first.
//
// Gregor has no dynamic broker configs: every broker config is read-only, and its sources are
// the server configuration (STATIC_BROKER_CONFIG) and the defaults (DEFAULT_CONFIG). BrokerConfig
// does not record which keys the configuration named, so a config counts as set when its value
// differs from the default.
import GregorStorage

/// A synonym as DescribeConfigs reports it.
struct ConfigSynonym: Sendable, Equatable {
    let name: String
    let value: String?
    let source: ConfigSource
}

enum BrokerConfigCatalog {
    struct Entry: Sendable {
        let name: String
        let type: ConfigType
        let documentation: String
        /// The value the broker runs with, or nil when it comes from a synonym (log.retention.ms).
        let current: @Sendable (BrokerConfig) -> String?

        /// Gregor's default: the value with no configuration at all.
        var defaultValue: String? { current(BrokerConfig()) }
    }

    static let entries: [Entry] = [
        Entry(name: "advertised.listeners", type: .string,
              documentation: "The listeners published to clients, if different from listeners.") { $0.advertisedListeners.map(\.description).joined(separator: ",") },
        Entry(name: "auto.create.topics.enable", type: .boolean,
              documentation: "Enable auto creation of topics on the server (Metadata and Produce).") { "\($0.autoCreateTopics)" },
        Entry(name: "connections.max.idle.ms", type: .long,
              documentation: "Idle connections timeout: connections idle longer than this are closed.") { "\($0.connectionsMaxIdleMs)" },
        Entry(name: "default.replication.factor", type: .int,
              documentation: "The replication factor for automatically created topics, and for topics created with -1.") { "\($0.defaultReplicationFactor)" },
        Entry(name: "listeners", type: .string,
              documentation: "Listener list: the URIs the broker listens on, as NAME://host:port.") { c in
            c.listeners.map(\.endpoint.description).joined(separator: ",")
        },
        Entry(name: "listener.security.protocol.map", type: .string,
              documentation: "Map between listener names and security protocols, as NAME:PROTOCOL pairs.") { c in
            c.listeners.map { "\($0.name):\($0.securityProtocol.rawValue)" }.joined(separator: ",")
        },
        Entry(name: "log.cleaner.delete.retention.ms", type: .long,
              documentation: "The amount of time to retain tombstone markers for log compacted topics.") { "\($0.logDefaults.deleteRetentionMs)" },
        Entry(name: "log.cleanup.policy", type: .list,
              documentation: "The default cleanup policy for segments beyond the retention window: delete, compact or both.") { TopicConfigCatalog.cleanupPolicy($0.logDefaults.cleanupPolicy) },
        Entry(name: "log.dirs", type: .string,
              documentation: "A comma-separated list of the directories where the log data is stored.") { $0.logDirs.joined(separator: ",") },
        Entry(name: "log.flush.interval.messages", type: .long,
              documentation: "The number of messages accumulated on a log partition before messages are flushed to disk.") { "\($0.logDefaults.flushMessages)" },
        Entry(name: "log.flush.interval.ms", type: .long,
              documentation: "The maximum time in ms that a message in any topic is kept in memory before flushed to disk.") { $0.logDefaults.flushMs == Int64.max ? nil : "\($0.logDefaults.flushMs)" },
        Entry(name: "log.index.interval.bytes", type: .int,
              documentation: "The interval with which an entry is added to the offset index.") { "\($0.logDefaults.indexIntervalBytes)" },
        Entry(name: "log.index.size.max.bytes", type: .int,
              documentation: "The maximum size in bytes of the offset index.") { "\($0.logDefaults.segmentIndexBytes)" },
        Entry(name: "log.message.timestamp.type", type: .string,
              documentation: "Whether the timestamp in the message is message create time or log append time.") { $0.logDefaults.logAppendTime ? "LogAppendTime" : "CreateTime" },
        Entry(name: "log.retention.bytes", type: .long,
              documentation: "The maximum size of the log before deleting it.") { "\($0.logDefaults.retentionBytes)" },
        Entry(name: "log.retention.hours", type: .int,
              documentation: "The number of hours to keep a log file before deleting it, tertiary to log.retention.ms.") { _ in "168" },
        Entry(name: "log.retention.minutes", type: .int,
              documentation: "The number of minutes to keep a log file before deleting it, secondary to log.retention.ms.") { _ in nil },
        Entry(name: "log.retention.ms", type: .long,
              documentation: "The number of milliseconds to keep a log file before deleting it; -1 for no time limit.") { c in
            c.logDefaults.retentionMs == LogConfig().retentionMs ? nil : "\(c.logDefaults.retentionMs)"
        },
        Entry(name: "log.roll.hours", type: .int,
              documentation: "The maximum time before a new log segment is rolled out (in hours), secondary to log.roll.ms.") { _ in "168" },
        Entry(name: "log.roll.ms", type: .long,
              documentation: "The maximum time before a new log segment is rolled out (in milliseconds).") { c in
            c.logDefaults.segmentMs == LogConfig().segmentMs ? nil : "\(c.logDefaults.segmentMs)"
        },
        Entry(name: "log.segment.bytes", type: .int,
              documentation: "The maximum size of a single log file.") { "\($0.logDefaults.segmentBytes)" },
        Entry(name: "message.max.bytes", type: .int,
              documentation: "The largest record batch size allowed by Kafka (after compression if compression is enabled).") { "\($0.messageMaxBytes)" },
        Entry(name: "node.id", type: .int,
              documentation: "The node ID of this server.") { "\($0.nodeId)" },
        Entry(name: "num.partitions", type: .int,
              documentation: "The default number of log partitions per topic.") { "\($0.numPartitions)" },
        Entry(name: "socket.request.max.bytes", type: .int,
              documentation: "The maximum number of bytes in a socket request.") { "\($0.socketRequestMaxBytes)" },
    ]

    static let byName: [String: Entry] = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0) })

    /// Defaults of the broker configs that name topic defaults but that Gregor cannot set
    /// (Kafka's, from its KafkaConfig), so that topic synonyms read as Kafka's do.
    static let kafkaDefaults: [String: String] = [
        "compression.type": "producer", "compression.gzip.level": "-1", "compression.lz4.level": "9", "compression.zstd.level": "3",
        "log.cleaner.max.compaction.lag.ms": "9223372036854775807", "log.cleaner.min.cleanable.ratio": "0.5",
        "log.cleaner.min.compaction.lag.ms": "0", "log.flush.scheduler.interval.ms": "9223372036854775807",
        "log.local.retention.bytes": "-2", "log.local.retention.ms": "-2", "log.message.downconversion.enable": "true",
        "log.message.timestamp.after.max.ms": "3600000", "log.message.timestamp.before.max.ms": "9223372036854775807",
        "log.preallocate": "false", "log.roll.jitter.hours": "0", "log.segment.delete.delay.ms": "60000",
        "min.insync.replicas": "1", "unclean.leader.election.enable": "false",
    ]

    /// Every default, by broker config name (Kafka's staticDefaultConfigs).
    static let defaults: [String: String] = kafkaDefaults.merging(entries.compactMap { e in e.defaultValue.map { (e.name, $0) } }) { _, gregor in gregor }

    /// The broker configs the server configuration set (Kafka's staticBrokerConfigs).
    static func statics(_ c: BrokerConfig) -> [String: String] {
        var out: [String: String] = [:]
        for e in entries { if let v = e.current(c), v != e.defaultValue { out[e.name] = v } }
        return out
    }

    /// DynamicBrokerConfig.brokerConfigSynonyms: the configs that can stand for `name`, in priority order.
    static func chain(_ name: String) -> [String] {
        switch name {
        case "log.roll.ms", "log.roll.hours": return ["log.roll.ms", "log.roll.hours"]
        case "log.roll.jitter.ms", "log.roll.jitter.hours": return ["log.roll.jitter.ms", "log.roll.jitter.hours"]
        case "log.flush.interval.ms": return ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"]
        case "log.retention.ms", "log.retention.minutes", "log.retention.hours": return ["log.retention.ms", "log.retention.minutes", "log.retention.hours"]
        default: return [name]
        }
    }

    /// ConfigHelper.configSynonyms: each of the chain's static settings, then each default, and
    /// everything ahead of `name` itself dropped. So a topic's retention.ms names no synonym
    /// unless log.retention.ms is set, exactly as Kafka reports it.
    static func synonyms(_ name: String, statics: [String: String]) -> [ConfigSynonym] {
        let names = chain(name)
        let all = names.compactMap { n in statics[n].map { ConfigSynonym(name: n, value: $0, source: .staticBroker) } }
            + names.compactMap { n in defaults[n].map { ConfigSynonym(name: n, value: $0, source: .defaultConfig) } }
        return Array(all.drop { $0.name != name })
    }
}

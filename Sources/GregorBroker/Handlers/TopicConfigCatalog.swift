// The topic configs of Kafka 4.0 (its LogConfig): type, default, the broker config supplying the
// default (ServerTopicConfigSynonyms) and documentation. DescribeConfigs lists exactly these; the
// Alter* handlers check values against them. message.downconversion.enable left Kafka in 4.0
// but is kept: Gregor still converts records down for Fetch v0-3, as Kafka 3.x did.
import GregorStorage

/// DescribeConfigsResponse's `config_type` (v3+, KIP-569).
enum ConfigType: Int8, Sendable {
    case unknown = 0, boolean, string, int, short, long, double, list, `class`, password
}

/// DescribeConfigsResponse's `config_source` and synonym sources (v1+, KIP-226).
enum ConfigSource: Int8, Sendable {
    case unknown = 0, dynamicTopic, dynamicBroker, dynamicDefaultBroker, staticBroker, defaultConfig, dynamicBrokerLogger
}

/// One config key as Kafka's ConfigDef defines it.
struct ConfigDefinition: Sendable {
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
    }

    let name: String
    let type: ConfigType
    /// Kafka's default as Kafka prints it; nil when there is none.
    let defaultValue: String?
    /// The broker config whose value is the default (the first of its synonyms), if any.
    let brokerSynonym: String?
    let rule: Rule
    let documentation: String

    init(_ name: String, _ type: ConfigType, _ defaultValue: String?, broker: String?, _ rule: Rule = .any, _ documentation: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.brokerSynonym = broker
        self.rule = rule
        self.documentation = documentation
    }

    /// Why `value` is not acceptable, in ConfigException's words; nil when it is.
    func problem(with value: String) -> String? {
        let v = value.trimmed
        switch type {
        case .boolean:
            if v.lowercased() != "true" && v.lowercased() != "false" { return "Expected value to be either true or false" }
        case .int:
            guard let n = Int32(v) else { return "Not a number of type INT" }
            return problem(number: Double(n))
        case .long:
            guard let n = Int64(v) else { return "Not a number of type LONG" }
            if case .atLeast(let min) = rule, n < min { return "Value must be at least \(min)" }
        case .double:
            guard let d = Double(v) else { return "Not a number of type DOUBLE" }
            return problem(number: d)
        case .string:
            if case .oneOf(let allowed) = rule, !allowed.contains(v) { return "String must be one of: \(allowed.joined(separator: ", "))" }
        case .list:
            let items = Self.listItems(v)
            if case .oneOf(let allowed) = rule, let bad = items.first(where: { !allowed.contains($0) }) {
                return "Invalid value \(bad) for configuration \(name): String must be one of: \(allowed.joined(separator: ", "))"
            }
            if case .replicaList = rule, items != ["*"] {
                let pair = items.allSatisfy { item in
                    let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                    return parts.count == 2 && Int32(String(parts[0]).trimmed) != nil && Int32(String(parts[1]).trimmed) != nil
                }
                if !pair { return "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..." }
            }
        default: break
        }
        return nil
    }

    private func problem(number n: Double) -> String? {
        switch rule {
        case .atLeast(let min) where n < Double(min): return "Value must be at least \(min)"
        case .between(let lo, _) where n < lo: return "Value must be no less than \(Self.text(lo))"
        case .between(_, let hi) where n > hi: return "Value must be no more than \(Self.text(hi))"
        case .gzipLevel where n != -1 && !(1...9).contains(n): return "Value must be between 1 and 9 or equal to -1"
        default: return nil
        }
    }

    /// The value as Kafka prints it once parsed (`ConfigDef.convertToString`): trimmed, list items
    /// joined by commas, booleans in lower case.
    func normalized(_ value: String) -> String {
        let v = value.trimmed
        switch type {
        case .boolean: return v.lowercased()
        case .int, .long: return Int64(v).map { "\($0)" } ?? v
        case .double: return Double(v).map { "\($0)" } ?? v
        case .list: return Self.listItems(v).joined(separator: ",")
        default: return v
        }
    }

    /// ConfigDef's LIST parsing: comma-separated, whitespace around items ignored, "" is empty.
    static func listItems(_ value: String) -> [String] {
        let v = value.trimmed
        return v.isEmpty ? [] : v.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmed }
    }

    private static func text(_ d: Double) -> String { d == d.rounded() ? "\(Int64(d))" : "\(d)" }
}

enum TopicConfigCatalog {
    /// Every topic config, by name.
    static let byName: [String: ConfigDefinition] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Every topic config, in name order.
    static let all: [ConfigDefinition] = [
        .init("cleanup.policy", .list, "delete", broker: "log.cleanup.policy", .oneOf(["compact", "delete"]),
              "The retention policy for log segments: \"delete\" discards old segments when their retention time or size limit is reached; \"compact\" enables log compaction, which keeps the latest value for each key. Both may be given, e.g. \"delete,compact\"."),
        .init("compression.gzip.level", .int, "-1", broker: "compression.gzip.level", .gzipLevel,
              "The compression level to use if compression.type is set to gzip."),
        .init("compression.lz4.level", .int, "9", broker: "compression.lz4.level", .between(1, 17),
              "The compression level to use if compression.type is set to lz4."),
        .init("compression.type", .string, "producer", broker: "compression.type", .oneOf(["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
              "The final compression type for a given topic: a codec ('gzip', 'snappy', 'lz4', 'zstd'), 'uncompressed', or 'producer' to keep the codec set by the producer."),
        .init("compression.zstd.level", .int, "3", broker: "compression.zstd.level", .between(-131072, 22),
              "The compression level to use if compression.type is set to zstd."),
        .init("delete.retention.ms", .long, "86400000", broker: "log.cleaner.delete.retention.ms", .atLeast(0),
              "The amount of time to retain delete tombstone markers for log compacted topics."),
        .init("file.delete.delay.ms", .long, "60000", broker: "log.segment.delete.delay.ms", .atLeast(0),
              "The time to wait before deleting a file from the filesystem."),
        .init("flush.messages", .long, "9223372036854775807", broker: "log.flush.interval.messages", .atLeast(1),
              "Force an fsync of the log after this many messages."),
        .init("flush.ms", .long, "9223372036854775807", broker: "log.flush.interval.ms", .atLeast(0),
              "Force an fsync of the log when this many milliseconds have passed since the last one."),
        .init("follower.replication.throttled.replicas", .list, "", broker: nil, .replicaList,
              "A list of replicas for which log replication should be throttled on the follower side, as [PartitionId]:[BrokerId] pairs, or '*' for all replicas of this topic."),
        .init("index.interval.bytes", .int, "4096", broker: "log.index.interval.bytes", .atLeast(0),
              "How frequently Kafka adds an index entry to its offset index, in bytes of log."),
        .init("leader.replication.throttled.replicas", .list, "", broker: nil, .replicaList,
              "A list of replicas for which log replication should be throttled on the leader side, as [PartitionId]:[BrokerId] pairs, or '*' for all replicas of this topic."),
        .init("local.retention.bytes", .long, "-2", broker: "log.local.retention.bytes", .atLeast(-2),
              "The maximum size local log segments can grow to for a partition before old segments are deleted; -2 means retention.bytes."),
        .init("local.retention.ms", .long, "-2", broker: "log.local.retention.ms", .atLeast(-2),
              "The number of milliseconds to keep a local log segment before it is deleted; -2 means retention.ms."),
        .init("max.compaction.lag.ms", .long, "9223372036854775807", broker: "log.cleaner.max.compaction.lag.ms", .atLeast(1),
              "The maximum time a message will remain ineligible for compaction in the log. Only applicable for logs that are being compacted."),
        .init("max.message.bytes", .int, "1048588", broker: "message.max.bytes", .atLeast(0),
              "The largest record batch size allowed by Kafka (after compression if compression is enabled)."),
        .init("message.downconversion.enable", .boolean, "true", broker: "log.message.downconversion.enable", .any,
              "Whether down-conversion of message formats is enabled to satisfy consume requests from old clients (Fetch v0-3)."),
        .init("message.timestamp.after.max.ms", .long, "3600000", broker: "log.message.timestamp.after.max.ms", .atLeast(0),
              "How far a message timestamp may be ahead of the broker's clock when message.timestamp.type=CreateTime."),
        .init("message.timestamp.before.max.ms", .long, "9223372036854775807", broker: "log.message.timestamp.before.max.ms", .atLeast(0),
              "How far a message timestamp may be behind the broker's clock when message.timestamp.type=CreateTime."),
        .init("message.timestamp.type", .string, "CreateTime", broker: "log.message.timestamp.type", .oneOf(["CreateTime", "LogAppendTime"]),
              "Whether the timestamp in the message is message create time or log append time: `CreateTime` or `LogAppendTime`."),
        .init("min.cleanable.dirty.ratio", .double, "0.5", broker: "log.cleaner.min.cleanable.ratio", .between(0, 1),
              "How frequently the log compactor will attempt to clean the log: the least fraction of the log that is dirty (uncompacted) before it is cleaned."),
        .init("min.compaction.lag.ms", .long, "0", broker: "log.cleaner.min.compaction.lag.ms", .atLeast(0),
              "The minimum time a message will remain uncompacted in the log. Only applicable for logs that are being compacted."),
        .init("min.insync.replicas", .int, "1", broker: "min.insync.replicas", .atLeast(1),
              "When a producer sets acks to \"all\" (or \"-1\"), the minimum number of replicas that must acknowledge a write for it to succeed."),
        .init("preallocate", .boolean, "false", broker: "log.preallocate", .any,
              "True if we should preallocate the file on disk when creating a new log segment."),
        .init("remote.log.copy.disable", .boolean, "false", broker: nil, .any,
              "Whether tiered data for a topic becomes read only: no more data is uploaded."),
        .init("remote.log.delete.on.disable", .boolean, "false", broker: nil, .any,
              "Whether tiered data for a topic is deleted after tiered storage is disabled on it."),
        .init("remote.storage.enable", .boolean, "false", broker: nil, .any,
              "To enable tiered storage for a topic, set this configuration to true."),
        .init("retention.bytes", .long, "-1", broker: "log.retention.bytes", .any,
              "The maximum size a partition can grow to before old log segments are discarded, under the \"delete\" policy; -1 for no limit."),
        .init("retention.ms", .long, "604800000", broker: "log.retention.ms", .atLeast(-1),
              "The maximum time a log is retained before old log segments are discarded, under the \"delete\" policy; -1 for no time limit."),
        .init("segment.bytes", .int, "1073741824", broker: "log.segment.bytes", .atLeast(14),
              "The segment file size for the log. Retention and cleaning is always done a file at a time."),
        .init("segment.index.bytes", .int, "10485760", broker: "log.index.size.max.bytes", .atLeast(4),
              "The size of the index that maps offsets to file positions."),
        .init("segment.jitter.ms", .long, "0", broker: "log.roll.jitter.ms", .atLeast(0),
              "The maximum random jitter subtracted from the scheduled segment roll time to avoid thundering herds of segment rolling."),
        .init("segment.ms", .long, "604800000", broker: "log.roll.ms", .atLeast(1),
              "The period of time after which the log is rolled even if the segment file isn't full, so that retention can delete or compact old data."),
        .init("unclean.leader.election.enable", .boolean, "false", broker: "unclean.leader.election.enable", .any,
              "Whether replicas not in the ISR set may be elected as leader as a last resort, even though doing so may result in data loss."),
    ]

    /// A topic config's default on this broker: the broker's own setting for those Gregor's log
    /// obeys, Kafka's default for the rest.
    static func brokerDefault(_ name: String, _ l: LogConfig) -> String? {
        switch name {
        case "segment.bytes": return "\(l.segmentBytes)"
        case "segment.ms": return "\(l.segmentMs)"
        case "segment.index.bytes": return "\(l.segmentIndexBytes)"
        case "index.interval.bytes": return "\(l.indexIntervalBytes)"
        case "max.message.bytes": return "\(l.maxMessageBytes)"
        case "flush.messages": return "\(l.flushMessages)"
        case "flush.ms": return "\(l.flushMs)"
        case "retention.ms": return "\(l.retentionMs)"
        case "retention.bytes": return "\(l.retentionBytes)"
        case "cleanup.policy": return cleanupPolicy(l.cleanupPolicy)
        case "delete.retention.ms": return "\(l.deleteRetentionMs)"
        case "min.cleanable.dirty.ratio": return "\(l.minCleanableDirtyRatio)"
        case "message.timestamp.type": return l.logAppendTime ? "LogAppendTime" : "CreateTime"
        default: return byName[name]?.defaultValue
        }
    }

    static func cleanupPolicy(_ p: LogConfig.CleanupPolicy) -> String {
        [p.contains(.compact) ? "compact" : nil, p.contains(.delete) ? "delete" : nil].compactMap { $0 }.joined(separator: ",")
    }

    /// Why a topic's configs cannot be set (the message of Kafka's INVALID_CONFIG), or nil. The
    /// key set is TopicConfigs.validate's, which CreateTopics uses too.
    static func problem(with configs: [String: String]) -> String? {
        for (key, value) in configs.sorted(by: { $0.key < $1.key }) {
            let valid = TopicConfigs.validate(key, value)
            if valid == nil && byName[key] == nil { return "Unknown topic config name: \(key)" }
            if let reason = byName[key]?.problem(with: value) {
                return reason.hasPrefix("Invalid value") ? reason : "Invalid value \(value) for configuration \(key): \(reason)"
            }
            if valid == false { return "Invalid value \(value) for configuration \(key)" }
        }
        // LogConfig.validateValues: the one cross-field rule.
        if let min = configs["min.compaction.lag.ms"].flatMap({ Int64($0.trimmed) }),
            let max = configs["max.compaction.lag.ms"].flatMap({ Int64($0.trimmed) }), min > max
        {
            return "conflict topic config setting min.compaction.lag.ms (\(min)) > max.compaction.lag.ms (\(max))"
        }
        return nil
    }
}

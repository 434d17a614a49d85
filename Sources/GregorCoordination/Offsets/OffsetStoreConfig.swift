import GregorStorage

/// The broker settings of the offsets topic, with Kafka's names and defaults
/// (`GroupCoordinatorConfig.java`).
public struct OffsetStoreConfig: Hashable, Sendable {
    /// The internal topic's name.
    public static let topic = "__consumer_offsets"

    /// `offsets.topic.num.partitions`; fixed once the topic exists (the mapping depends on it).
    public var numPartitions: Int32 = 50
    /// `offsets.topic.segment.bytes`: 100 MiB, smaller than ordinary topics so compaction and
    /// loading stay quick.
    public var segmentBytes: Int64 = 100 * 1024 * 1024
    /// `offset.metadata.max.bytes`: longer metadata strings get OFFSET_METADATA_TOO_LARGE.
    /// Kafka compares Java's `String.length()`, i.e. UTF-16 code units, not bytes.
    public var metadataMaxBytes: Int = 4096
    /// `offsets.retention.minutes` (7 days since KIP-186), in milliseconds.
    public var retentionMs: Int64 = 10080 * 60_000
    /// `offsets.retention.check.interval.ms`: how often the broker should call `expire`.
    public var retentionCheckIntervalMs: Int64 = 600_000

    public init() {}

    /// The topic's configs as Kafka creates it (`GroupCoordinatorService.groupMetadataTopicConfigs`):
    /// compacted, producer compression, `offsets.topic.segment.bytes` segments.
    public var topicConfigs: [String: String] {
        ["cleanup.policy": "compact", "compression.type": "producer", "segment.bytes": String(segmentBytes)]
    }

    /// The same as the partition logs' settings.
    public var logConfig: LogConfig {
        var c = LogConfig()
        c.cleanupPolicy = .compact
        c.segmentBytes = segmentBytes
        return c
    }

    /// The partition of `__consumer_offsets` that holds a group: Kafka's
    /// `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`.
    public func partition(for group: String) -> Int32 {
        Self.partition(for: group, partitions: numPartitions)
    }

    public static func partition(for group: String, partitions: Int32) -> Int32 {
        precondition(partitions > 0, "offsets.topic.num.partitions must be positive")
        return kafkaAbs(javaHashCode(group)) % partitions
    }

    /// Java's `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, in
    /// wrapping 32-bit arithmetic.
    public static func javaHashCode(_ s: String) -> Int32 {
        var h: Int32 = 0
        for unit in s.utf16 { h = h &* 31 &+ Int32(unit) }
        return h
    }

    /// Kafka's `Utils.abs`: like `Math.abs` but `Integer.MIN_VALUE` maps to 0, not to itself.
    public static func kafkaAbs(_ n: Int32) -> Int32 {
        n == Int32.min ? 0 : abs(n)
    }
}

// The topic keys of Kafka 4.0 (its LogConfig), each with the broker keys supplying its default
// (ServerTopicConfigSynonyms), and Kafka's broker keys behind them that Gregor does not read.
// DescribeConfigs lists these topic keys; CreateTopics and the Alter* handlers check values
// against them. message.downconversion.enable left Kafka in 4.0 but is kept: Gregor still
// converts records down for Fetch v0-3, as Kafka 3.x did. No topic key names a file, a URL, a
// class or a command: every one is client-alterable.
import GregorStorage

extension ConfigKeys {
    /// Every topic key, in name order.
    static let topic: [ConfigKey] = [
        ConfigKey.topic("cleanup.policy", .list, "delete", broker: ["log.cleanup.policy"], .oneOf(["compact", "delete"]),
              "The retention policy for log segments: \"delete\" discards old segments when their retention time or size limit is reached; \"compact\" enables log compaction, which keeps the latest value for each key. Both may be given, e.g. \"delete,compact\".")
            .current { ConfigKeys.cleanupPolicy($0.logDefaults.cleanupPolicy) },
        ConfigKey.topic("compression.gzip.level", .int, "-1", broker: ["compression.gzip.level"], .gzipLevel,
              "The compression level to use if compression.type is set to gzip."),
        ConfigKey.topic("compression.lz4.level", .int, "9", broker: ["compression.lz4.level"], .between(1, 17),
              "The compression level to use if compression.type is set to lz4."),
        ConfigKey.topic("compression.type", .string, "producer", broker: ["compression.type"], .oneOf(["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
              "The final compression type for a given topic: a codec ('gzip', 'snappy', 'lz4', 'zstd'), 'uncompressed', or 'producer' to keep the codec set by the producer."),
        ConfigKey.topic("compression.zstd.level", .int, "3", broker: ["compression.zstd.level"], .between(-131072, 22),
              "The compression level to use if compression.type is set to zstd."),
        ConfigKey.topic("delete.retention.ms", .long, "86400000", broker: ["log.cleaner.delete.retention.ms"], .atLeast(0),
              "The amount of time to retain delete tombstone markers for log compacted topics.")
            .current { "\($0.logDefaults.deleteRetentionMs)" },
        ConfigKey.topic("file.delete.delay.ms", .long, "60000", broker: ["log.segment.delete.delay.ms"], .atLeast(0),
              "The time to wait before deleting a file from the filesystem."),
        ConfigKey.topic("flush.messages", .long, "9223372036854775807", broker: ["log.flush.interval.messages"], .atLeast(1),
              "Force an fsync of the log after this many messages.")
            .current { "\($0.logDefaults.flushMessages)" },
        ConfigKey.topic("flush.ms", .long, "9223372036854775807", broker: ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"], .atLeast(0),
              "Force an fsync of the log when this many milliseconds have passed since the last one.")
            .current { "\($0.logDefaults.flushMs)" },
        ConfigKey.topic("follower.replication.throttled.replicas", .list, "", broker: [], .replicaList,
              "A list of replicas for which log replication should be throttled on the follower side, as [PartitionId]:[BrokerId] pairs, or '*' for all replicas of this topic."),
        ConfigKey.topic("index.interval.bytes", .int, "4096", broker: ["log.index.interval.bytes"], .atLeast(0),
              "How frequently Kafka adds an index entry to its offset index, in bytes of log.")
            .current { "\($0.logDefaults.indexIntervalBytes)" },
        ConfigKey.topic("leader.replication.throttled.replicas", .list, "", broker: [], .replicaList,
              "A list of replicas for which log replication should be throttled on the leader side, as [PartitionId]:[BrokerId] pairs, or '*' for all replicas of this topic."),
        ConfigKey.topic("local.retention.bytes", .long, "-2", broker: ["log.local.retention.bytes"], .atLeast(-2),
              "The maximum size local log segments can grow to for a partition before old segments are deleted; -2 means retention.bytes."),
        ConfigKey.topic("local.retention.ms", .long, "-2", broker: ["log.local.retention.ms"], .atLeast(-2),
              "The number of milliseconds to keep a local log segment before it is deleted; -2 means retention.ms."),
        ConfigKey.topic("max.compaction.lag.ms", .long, "9223372036854775807", broker: ["log.cleaner.max.compaction.lag.ms"], .atLeast(1),
              "The maximum time a message will remain ineligible for compaction in the log. Only applicable for logs that are being compacted."),
        ConfigKey.topic("max.message.bytes", .int, "1048588", broker: ["message.max.bytes"], .atLeast(0),
              "The largest record batch size allowed by Kafka (after compression if compression is enabled).")
            .current { "\($0.logDefaults.maxMessageBytes)" },
        ConfigKey.topic("message.downconversion.enable", .boolean, "true", broker: ["log.message.downconversion.enable"], .any,
              "Whether down-conversion of message formats is enabled to satisfy consume requests from old clients (Fetch v0-3)."),
        ConfigKey.topic("message.timestamp.after.max.ms", .long, "3600000", broker: ["log.message.timestamp.after.max.ms"], .atLeast(0),
              "How far a message timestamp may be ahead of the broker's clock when message.timestamp.type=CreateTime."),
        ConfigKey.topic("message.timestamp.before.max.ms", .long, "9223372036854775807", broker: ["log.message.timestamp.before.max.ms"], .atLeast(0),
              "How far a message timestamp may be behind the broker's clock when message.timestamp.type=CreateTime."),
        ConfigKey.topic("message.timestamp.type", .string, "CreateTime", broker: ["log.message.timestamp.type"], .oneOf(["CreateTime", "LogAppendTime"]),
              "Whether the timestamp in the message is message create time or log append time: `CreateTime` or `LogAppendTime`.")
            .current { $0.logDefaults.logAppendTime ? "LogAppendTime" : "CreateTime" },
        ConfigKey.topic("min.cleanable.dirty.ratio", .double, "0.5", broker: ["log.cleaner.min.cleanable.ratio"], .between(0, 1),
              "How frequently the log compactor will attempt to clean the log: the least fraction of the log that is dirty (uncompacted) before it is cleaned.")
            .current { "\($0.logDefaults.minCleanableDirtyRatio)" },
        ConfigKey.topic("min.compaction.lag.ms", .long, "0", broker: ["log.cleaner.min.compaction.lag.ms"], .atLeast(0),
              "The minimum time a message will remain uncompacted in the log. Only applicable for logs that are being compacted."),
        ConfigKey.topic("min.insync.replicas", .int, "1", broker: ["min.insync.replicas"], .atLeast(1),
              "When a producer sets acks to \"all\" (or \"-1\"), the minimum number of replicas that must acknowledge a write for it to succeed."),
        ConfigKey.topic("preallocate", .boolean, "false", broker: ["log.preallocate"], .any,
              "True if we should preallocate the file on disk when creating a new log segment."),
        ConfigKey.topic("remote.log.copy.disable", .boolean, "false", broker: [], .any,
              "Whether tiered data for a topic becomes read only: no more data is uploaded."),
        ConfigKey.topic("remote.log.delete.on.disable", .boolean, "false", broker: [], .any,
              "Whether tiered data for a topic is deleted after tiered storage is disabled on it."),
        ConfigKey.topic("remote.storage.enable", .boolean, "false", broker: [], .any,
              "To enable tiered storage for a topic, set this configuration to true."),
        ConfigKey.topic("retention.bytes", .long, "-1", broker: ["log.retention.bytes"], .atLeast(-1),
              "The maximum size a partition can grow to before old log segments are discarded, under the \"delete\" policy; -1 for no limit.")
            .current { "\($0.logDefaults.retentionBytes)" },
        ConfigKey.topic("retention.ms", .long, "604800000", broker: ["log.retention.ms", "log.retention.minutes", "log.retention.hours"], .atLeast(-1),
              "The maximum time a log is retained before old log segments are discarded, under the \"delete\" policy; -1 for no time limit.")
            .current { "\($0.logDefaults.retentionMs)" },
        ConfigKey.topic("segment.bytes", .int, "1073741824", broker: ["log.segment.bytes"], .atLeast(14),
              "The segment file size for the log. Retention and cleaning is always done a file at a time.")
            .current { "\($0.logDefaults.segmentBytes)" },
        ConfigKey.topic("segment.index.bytes", .int, "10485760", broker: ["log.index.size.max.bytes"], .atLeast(4),
              "The size of the index that maps offsets to file positions.")
            .current { "\($0.logDefaults.segmentIndexBytes)" },
        ConfigKey.topic("segment.jitter.ms", .long, "0", broker: ["log.roll.jitter.ms", "log.roll.jitter.hours"], .atLeast(0),
              "The maximum random jitter subtracted from the scheduled segment roll time to avoid thundering herds of segment rolling."),
        ConfigKey.topic("segment.ms", .long, "604800000", broker: ["log.roll.ms", "log.roll.hours"], .atLeast(1),
              "The period of time after which the log is rolled even if the segment file isn't full, so that retention can delete or compact old data.")
            .current { "\($0.logDefaults.segmentMs)" },
        ConfigKey.topic("unclean.leader.election.enable", .boolean, "false", broker: ["unclean.leader.election.enable"], .any,
              "Whether replicas not in the ISR set may be elected as leader as a last resort, even though doing so may result in data loss."),
        // Removed by KIP-937 in Kafka 4.0; accepted for topics created before, never listed.
        .topic("message.timestamp.difference.max.ms", .long, "9223372036854775807", broker: [], .atLeast(0),
               "The largest difference allowed between a message's timestamp and the broker's clock (replaced by message.timestamp.before.max.ms and .after.max.ms).").unlisted,
    ] + removedTopic

    /// Kafka's broker defaults of topic keys that Gregor does not take from server.properties
    /// (KafkaConfig's, as ServerLogConfigs defines them), so that topic synonyms read as Kafka's do.
    static let kafkaTopicDefaults: [ConfigKey] = [
        ConfigKey.broker("compression.type", .string, "producer", "The broker default of the topic key compression.type.").kafkaOnly,
        ConfigKey.broker("compression.gzip.level", .int, "-1", "The broker default of compression.gzip.level.").kafkaOnly,
        ConfigKey.broker("compression.lz4.level", .int, "9", "The broker default of compression.lz4.level.").kafkaOnly,
        ConfigKey.broker("compression.zstd.level", .int, "3", "The broker default of compression.zstd.level.").kafkaOnly,
        ConfigKey.broker("log.cleaner.max.compaction.lag.ms", .long, "9223372036854775807", "The broker default of max.compaction.lag.ms.").kafkaOnly,
        ConfigKey.broker("log.cleaner.min.cleanable.ratio", .double, "0.5", "The broker default of min.cleanable.dirty.ratio.").kafkaOnly,
        ConfigKey.broker("log.cleaner.min.compaction.lag.ms", .long, "0", "The broker default of min.compaction.lag.ms.").kafkaOnly,
        ConfigKey.broker("log.flush.scheduler.interval.ms", .long, "9223372036854775807",
                         "How often the log flusher checks whether a log needs flushing; the fallback of log.flush.interval.ms.").kafkaOnly,
        ConfigKey.broker("log.local.retention.bytes", .long, "-2", "The broker default of local.retention.bytes.").kafkaOnly,
        ConfigKey.broker("log.local.retention.ms", .long, "-2", "The broker default of local.retention.ms.").kafkaOnly,
        ConfigKey.broker("log.message.downconversion.enable", .boolean, "true", "The broker default of message.downconversion.enable.").kafkaOnly,
        ConfigKey.broker("log.message.timestamp.after.max.ms", .long, "3600000", "The broker default of message.timestamp.after.max.ms.").kafkaOnly,
        ConfigKey.broker("log.message.timestamp.before.max.ms", .long, "9223372036854775807",
                         "The broker default of message.timestamp.before.max.ms.").kafkaOnly,
        ConfigKey.broker("log.preallocate", .boolean, "false", "The broker default of preallocate.").kafkaOnly,
        ConfigKey.broker("log.roll.jitter.ms", .long, nil, "The broker default of segment.jitter.ms, in milliseconds.").synonyms("log.roll.jitter.hours").kafkaOnly,
        ConfigKey.broker("log.roll.jitter.hours", .int, "0", "The broker default of segment.jitter.ms, in hours; secondary to log.roll.jitter.ms.").kafkaOnly,
        ConfigKey.broker("log.segment.delete.delay.ms", .long, "60000", "The broker default of file.delete.delay.ms.").kafkaOnly,
    ]

    static func cleanupPolicy(_ p: LogConfig.CleanupPolicy) -> String {
        [p.contains(.compact) ? "compact" : nil, p.contains(.delete) ? "delete" : nil].compactMap { $0 }.joined(separator: ",")
    }
}

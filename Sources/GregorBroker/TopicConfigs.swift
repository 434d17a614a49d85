import GregorStorage

/// Topic configs by Kafka name, applied to the log's settings.
enum TopicConfigs {
    /// Applies the overrides Gregor's log understands; unknown keys are kept in metadata but
    /// have no effect on the log.
    static func apply(_ overrides: [String: String], to c: inout LogConfig) {
        var differenceMaxMs: Int64?
        for (key, value) in overrides {
            switch key {
            case "segment.bytes": if let v = Int64(value) { c.segmentBytes = v }
            case "segment.ms": if let v = Int64(value) { c.segmentMs = v }
            case "segment.index.bytes": if let v = Int(value) { c.segmentIndexBytes = v }
            case "index.interval.bytes": if let v = Int(value) { c.indexIntervalBytes = v }
            case "max.message.bytes": if let v = Int(value) { c.maxMessageBytes = v }
            case "flush.messages": if let v = Int64(value) { c.flushMessages = v }
            case "flush.ms": if let v = Int64(value) { c.flushMs = v }
            case "retention.ms": if let v = Int64(value) { c.retentionMs = v }
            case "retention.bytes": if let v = Int64(value) { c.retentionBytes = v }
            case "cleanup.policy": if let v = LogConfig.CleanupPolicy(kafka: value) { c.cleanupPolicy = v }
            case "delete.retention.ms": if let v = Int64(value) { c.deleteRetentionMs = v }
            case "min.cleanable.dirty.ratio": if let v = Double(value) { c.minCleanableDirtyRatio = v }
            case "message.timestamp.type": c.logAppendTime = value == "LogAppendTime"
            case "message.timestamp.before.max.ms": if let v = Int64(value) { c.messageTimestampBeforeMaxMs = v }
            case "message.timestamp.after.max.ms": if let v = Int64(value) { c.messageTimestampAfterMaxMs = v }
            case "message.timestamp.difference.max.ms": differenceMaxMs = Int64(value)
            case "compression.type": if let v = LogConfig.CompressionType(kafka: value) { c.compressionType = v }
            case "compression.gzip.level": if let v = Int32(value) { c.compressionGzipLevel = v }
            case "compression.lz4.level": if let v = Int32(value) { c.compressionLz4Level = v }
            case "compression.zstd.level": if let v = Int32(value) { c.compressionZstdLevel = v }
            default: break
            }
        }
        // The pre-KIP-937 bound (removed in Kafka 4.0, still accepted here): as Kafka 3.x did, it
        // stands in for whichever of before/after the topic does not set.
        if let d = differenceMaxMs {
            if overrides["message.timestamp.before.max.ms"] == nil { c.messageTimestampBeforeMaxMs = d }
            if overrides["message.timestamp.after.max.ms"] == nil { c.messageTimestampAfterMaxMs = d }
        }
    }

    /// Whether `value` is valid for `key` (false when it does not parse); nil when the key is unknown.
    static func validate(_ key: String, _ value: String) -> Bool? {
        switch key {
        case "segment.bytes", "segment.ms", "flush.messages", "flush.ms", "delete.retention.ms", "message.timestamp.before.max.ms",
            "message.timestamp.after.max.ms", "message.timestamp.difference.max.ms":
            return Int64(value).map { $0 >= 0 } ?? false
        case "retention.ms", "retention.bytes": return Int64(value).map { $0 >= -1 } ?? false
        case "segment.index.bytes", "index.interval.bytes", "max.message.bytes": return Int(value).map { $0 >= 0 } ?? false
        case "cleanup.policy": return LogConfig.CleanupPolicy(kafka: value) != nil
        case "min.cleanable.dirty.ratio": return Double(value).map { (0...1).contains($0) } ?? false
        case "message.timestamp.type": return value == "CreateTime" || value == "LogAppendTime"
        case "compression.type": return LogConfig.CompressionType(kafka: value) != nil
        // KIP-390's ranges (GzipCompression, Lz4Compression, ZstdCompression).
        case "compression.gzip.level": return Int32(value).map { $0 == -1 || (1...9).contains($0) } ?? false
        case "compression.lz4.level": return Int32(value).map { (1...17).contains($0) } ?? false
        case "compression.zstd.level": return Int32(value).map { (-131_072...22).contains($0) } ?? false
        case "min.insync.replicas", "unclean.leader.election.enable",
            "message.downconversion.enable", "preallocate", "file.delete.delay.ms", "max.compaction.lag.ms",
            "min.compaction.lag.ms",
            "follower.replication.throttled.replicas", "leader.replication.throttled.replicas", "local.retention.ms",
            "local.retention.bytes", "remote.storage.enable", "segment.jitter.ms", "remote.log.copy.disable", "remote.log.delete.on.disable":
            return true
        default: return nil
        }
    }
}

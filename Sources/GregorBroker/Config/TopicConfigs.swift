import GregorStorage

/// Topic configs by Kafka name (ConfigKeys.topic), applied to the log's settings.
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
}

// The group coordinator's keys (Kafka's GroupCoordinatorConfig), the offsets topic's, and the
// transaction log's replication keys that a one-node broker accepts without use.
extension ConfigKeys {
    static let groups: [ConfigKey] = [
        // Plain ints in Kafka, with no validator: any int is taken.
        .broker("group.initial.rebalance.delay.ms", .int, "3000", "How long a new classic group waits for more members before its first rebalance.")
            .current { "\($0.groupInitialRebalanceDelayMs)" },
        .broker("group.min.session.timeout.ms", .int, "6000", "The minimum allowed session timeout for registered consumers.")
            .current { "\($0.groupMinSessionTimeoutMs)" },
        .broker("group.max.session.timeout.ms", .int, "1800000", "The maximum allowed session timeout for registered consumers.")
            .current { "\($0.groupMaxSessionTimeoutMs)" },
        .broker("group.max.size", .int, "2147483647", .atLeast(1), "The maximum number of consumers that a single classic group can accommodate.")
            .current { "\($0.groupMaxSize)" },
        // KIP-848 groups.
        .broker("group.consumer.heartbeat.interval.ms", .int, "5000", .atLeast(1), "The heartbeat interval given to the members of a consumer group (KIP-848).")
            .current { "\($0.consumerGroupConfig.heartbeatIntervalMs)" },
        .broker("group.consumer.session.timeout.ms", .int, "45000", .atLeast(1), "The timeout to detect client failures in a consumer group (KIP-848).")
            .current { "\($0.consumerGroupConfig.sessionTimeoutMs)" },
        .broker("group.consumer.max.size", .int, "2147483647", .atLeast(1), "The maximum number of members in a consumer group (KIP-848).")
            .current { "\($0.consumerGroupConfig.maxSize)" },
        .broker("group.consumer.assignors", .list, "uniform,range",
                "The server-side assignors of consumer groups, by short name or class name; the first is the default (KIP-848).")
            .current { $0.consumerGroupConfig.assignors.map(\.name).joined(separator: ",") },
        .broker("offsets.topic.num.partitions", .int, "50", .atLeast(1), "The number of partitions of the offset commit topic.")
            .current { "\($0.offsets.numPartitions)" },
        .broker("offsets.topic.segment.bytes", .int, "104857600", .atLeast(1), "The offsets topic segment bytes, kept small for faster log compaction and loads.")
            .current { "\($0.offsets.segmentBytes)" },
        .broker("offsets.retention.minutes", .int, "10080", .atLeast(1), "How long committed offsets of an empty group are kept before they are deleted.")
            .current { "\($0.offsets.retentionMs / 60_000)" },
        .broker("offsets.retention.check.interval.ms", .long, "600000", .atLeast(1), "How often to check for stale offsets.")
            .current { "\($0.offsets.retentionCheckIntervalMs)" },
        .broker("offset.metadata.max.bytes", .int, "4096", "The maximum size for a metadata entry associated with an offset commit.")
            .current { "\($0.offsets.metadataMaxBytes)" },
        .broker("offsets.topic.replication.factor", .short, "3", .atLeast(1),
                "The replication factor of the offsets topic, capped by the live brokers when it is created; a broker alone keeps one replica.")
            .current { "\($0.offsetsTopicReplicationFactor)" },
        .broker("transaction.state.log.replication.factor", .short, "3", .atLeast(1),
                "The replication factor of the transaction topic, capped by the live brokers when it is created; a broker alone keeps one replica.")
            .current { "\($0.transactionStateReplicationFactor)" },
        .broker("transaction.state.log.min.isr", .int, "1", "The minimum ISR of the transaction topic; accepted, a one-node broker keeps one replica."),
    ]
}

// The broker keys of the server, its listeners and its logs' defaults (Kafka's KafkaConfig,
// ServerConfigs, SocketServerConfigs, ServerLogConfigs, KRaftConfigs). Defaults are Gregor's: a
// listener on the dual-stack `::`, logs in /tmp/gregor-logs. A key with `current` reports the
// value the broker runs with (a retention set in hours is log.retention.ms's value too).
import GregorStorage

extension ConfigKeys {
    static let server: [ConfigKey] = [
        .broker("node.id", .int, "1", .atLeast(0), "The node ID of this server (broker.id is its older name).")
            .synonyms("broker.id").current { "\($0.nodeId)" },
        .broker("broker.id", .int, nil, .atLeast(0), "The broker ID of this server; node.id takes precedence."),
        .broker("cluster.id", .string, nil, "The cluster id; generated once and kept in the data directory when unset.")
            .current { $0.clusterId },
        .broker("listeners", .string, "PLAINTEXT://[::]:9092", "Listener list: the URIs the broker listens on, as NAME://host:port.")
            .current { $0.listeners.map(\.endpoint.description).joined(separator: ",") },
        .broker("advertised.listeners", .string, "PLAINTEXT://localhost:9092",
                "The listeners published to clients, if different from listeners; a wildcard host is advertised as localhost.")
            .current { $0.advertisedListeners.map(\.description).joined(separator: ",") },
        .broker("listener.security.protocol.map", .string, "PLAINTEXT:PLAINTEXT",
                "Map between listener names and security protocols, as NAME:PROTOCOL pairs.")
            .current { $0.listeners.map { "\($0.name):\($0.securityProtocol.rawValue)" }.joined(separator: ",") },
        .broker("inter.broker.listener.name", .string, nil, "The listener brokers of a cluster reach each other on (replica fetches, transaction markers).")
            .current { $0.interBrokerListenerName },
        .broker("security.inter.broker.protocol", .string, "PLAINTEXT",
                "The security protocol (and listener of that name) brokers of a cluster reach each other on, when inter.broker.listener.name is unset."),
        .broker("control.plane.listener.name", .string, nil, "The listener of controller connections; accepted for clusters.")
            .current { $0.controlPlaneListenerName },
        .broker("controller.listener.names", .string, nil, "The listeners used by the controller (KRaft); accepted, Gregor is one combined node."),
        .broker("process.roles", .list, nil, "The roles of this node in KRaft mode (broker, controller); accepted, Gregor is both."),
        .broker("controller.quorum.voters", .list, "", "The controller quorum as id@host:port entries (KRaft); accepted, Gregor is its own quorum."),
        .broker("num.io.threads", .int, "8", .atLeast(1), "The number of threads the server uses for processing requests.")
            .current { "\($0.numIoThreads)" },
        .broker("quota.window.num", .int, "11", .atLeast(1), "The number of samples to retain in memory for client quotas.")
            .current { "\($0.quotaWindowNum)" },
        .broker("quota.window.size.seconds", .int, "1", .atLeast(1), "The time span of each sample for client quotas.")
            .current { "\($0.quotaWindowSizeSeconds)" },
        .broker("socket.request.max.bytes", .int, "104857600", .atLeast(1), "The maximum number of bytes in a socket request.")
            .current { "\($0.socketRequestMaxBytes)" },
        // SocketServerConfigs. -1 is "the OS default"; any other value below 1 fails every accept
        // in Kafka (Java refuses the size), so it is refused at startup here.
        // Not Kafka's 102400 either: with 192 KiB librdkafka's consumer read 1,468-1,668 MB/s
        // from Gregor on loopback against 1,234-1,419 at 100 KiB (alternated, ahead in 11 of 11
        // rounds), Gregor spending less CPU per GB; the OS's autotuned size and 256 KiB-1 MiB
        // were slower or bimodal (issue 13). Kafka's stock server.properties still sets 102400.
        .broker("socket.send.buffer.bytes", .int, "196608", .atLeast(-1),
                "The SO_SNDBUF buffer of the socket server sockets. If the value is -1, the OS default will be used.")
            .current { "\($0.socketSendBufferBytes)" },
        // Not Kafka's 102400: a fixed 100 KiB receive window holds a producer's 1 MB request to
        // ten round trips; the OS's autotuned window took produce of 1 KiB records from ~590 to
        // ~850 MB/s on loopback (issue 13). The send side keeps Kafka's size, which served
        // fetches 1.5x faster with a third of the CPU than the autotuned one there.
        .broker("socket.receive.buffer.bytes", .int, "-1", .atLeast(-1),
                "The SO_RCVBUF buffer of the socket server sockets. If the value is -1, the OS default will be used.")
            .current { "\($0.socketReceiveBufferBytes)" },
        .broker("socket.listen.backlog.size", .int, "50", .atLeast(1),
                "The maximum number of pending connections on the socket (KIP-764); capped by the OS's somaxconn.")
            .current { "\($0.socketListenBacklogSize)" },
        .broker("num.network.threads", .int, "3", .atLeast(1),
                "The number of threads that the server uses for receiving requests from the network and sending responses to the network; Gregor's event loops, shared by every listener.")
            .current { "\($0.numNetworkThreads)" },
        .broker("connections.max.idle.ms", .long, "600000", .atLeast(1), "Idle connections timeout: connections idle longer than this are closed.")
            .current { "\($0.connectionsMaxIdleMs)" },
        .broker("message.max.bytes", .int, "1048588", .atLeast(0),
                "The largest record batch size allowed by Kafka (after compression if compression is enabled); the default of max.message.bytes.")
            .current { "\($0.messageMaxBytes)" },
        .broker("auto.create.topics.enable", .boolean, "true", "Enable auto creation of topics on the server (Metadata and Produce).")
            .current { "\($0.autoCreateTopics)" },
        .broker("num.partitions", .int, "1", .atLeast(1), "The default number of log partitions per topic.")
            .current { "\($0.numPartitions)" },
        .broker("default.replication.factor", .int, "1", .atLeast(1),
                "The replication factor for automatically created topics, and for topics created with -1.")
            .current { "\($0.defaultReplicationFactor)" },
    ]

    /// ServerLogConfigs: the directories, and the broker defaults of topic keys Gregor's log obeys.
    static let logs: [ConfigKey] = [
        .broker("log.dirs", .string, "/tmp/gregor-logs", "A comma-separated list of the directories where the log data is stored.")
            .synonyms("log.dir").names(.file).current { $0.logDirs.joined(separator: ",") },
        .broker("log.dir", .string, nil, "The directory in which the log data is kept, when log.dirs is not set.").names(.file),
        .broker("log.retention.ms", .long, nil, .atLeast(-1), "The number of milliseconds to keep a log file before deleting it; -1 for no time limit.")
            .synonyms("log.retention.minutes", "log.retention.hours")
            .current { $0.logDefaults.retentionMs == LogConfig().retentionMs ? nil : "\($0.logDefaults.retentionMs)" },
        .broker("log.retention.minutes", .int, nil, .atLeast(-1), "The number of minutes to keep a log file before deleting it, secondary to log.retention.ms."),
        .broker("log.retention.hours", .int, "168", .atLeast(-1), "The number of hours to keep a log file before deleting it, tertiary to log.retention.ms."),
        .broker("log.retention.bytes", .long, "-1", .atLeast(-1), "The maximum size of the log before deleting it.")
            .current { "\($0.logDefaults.retentionBytes)" },
        .broker("log.segment.bytes", .int, "1073741824", .atLeast(14), "The maximum size of a single log file.")
            .current { "\($0.logDefaults.segmentBytes)" },
        .broker("log.roll.ms", .long, nil, .atLeast(1), "The maximum time before a new log segment is rolled out (in milliseconds).")
            .synonyms("log.roll.hours")
            .current { $0.logDefaults.segmentMs == LogConfig().segmentMs ? nil : "\($0.logDefaults.segmentMs)" },
        .broker("log.roll.hours", .int, "168", .atLeast(1), "The maximum time before a new log segment is rolled out (in hours), secondary to log.roll.ms."),
        // Not Kafka's: an alias of log.roll.ms that Gregor has always accepted.
        .broker("log.segment.ms", .long, nil, .atLeast(1), "Gregor's alias of log.roll.ms.").unlisted,
        .broker("log.flush.interval.messages", .long, "9223372036854775807", .atLeast(1),
                "The number of messages accumulated on a log partition before messages are flushed to disk.")
            .current { "\($0.logDefaults.flushMessages)" },
        .broker("log.flush.interval.ms", .long, nil, .atLeast(0),
                "The maximum time in ms that a message in any topic is kept in memory before flushed to disk.")
            .synonyms("log.flush.scheduler.interval.ms")
            .current { $0.logDefaults.flushMs == Int64.max ? nil : "\($0.logDefaults.flushMs)" },
        .broker("log.index.interval.bytes", .int, "4096", .atLeast(0), "The interval with which an entry is added to the offset index.")
            .current { "\($0.logDefaults.indexIntervalBytes)" },
        .broker("log.index.size.max.bytes", .int, "10485760", .atLeast(4), "The maximum size in bytes of the offset index.")
            .current { "\($0.logDefaults.segmentIndexBytes)" },
        .broker("log.cleanup.policy", .list, "delete", .oneOf(["compact", "delete"]),
                "The default cleanup policy for segments beyond the retention window: delete, compact or both.")
            .current { ConfigKeys.cleanupPolicy($0.logDefaults.cleanupPolicy) },
        .broker("log.cleaner.delete.retention.ms", .long, "86400000", .atLeast(0), "The amount of time to retain tombstone markers for log compacted topics.")
            .current { "\($0.logDefaults.deleteRetentionMs)" },
        .broker("log.message.timestamp.type", .string, "CreateTime", .oneOf(["CreateTime", "LogAppendTime"]),
                "Whether the timestamp in the message is message create time or log append time.")
            .current { $0.logDefaults.logAppendTime ? "LogAppendTime" : "CreateTime" },
    ]
}

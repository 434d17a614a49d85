import GregorCoordination
import GregorStorage

/// Builds `BrokerConfig` from Kafka's configuration sources, each overriding the one before:
/// defaults, a server.properties file, `KAFKA_*` environment variables (as Apache Kafka's Docker
/// image reads them: `KAFKA_LOG_DIRS` is `log.dirs`), then `--override key=value`.
public struct ServerProperties {
    public private(set) var values: [String: String] = [:]
    /// Keys Gregor does not know: warned about, not fatal (Kafka warns too).
    public private(set) var unknownKeys: [String] = []

    public init() {}

    /// A configuration value that cannot be used; startup stops with this message.
    public struct InvalidValue: Error, CustomStringConvertible, Equatable {
        public let key: String
        public let value: String
        public let reason: String
        public var description: String { "Invalid value \(value) for configuration \(key): \(reason)" }
    }

    /// Reads the server.properties format: `key=value` or `key: value`, `#`/`!` comments.
    public mutating func load(propertiesText text: String) {
        // `isNewline`, not `== "\n"`: a CRLF file's "\r\n" is one Character in Swift.
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            guard !line.isEmpty, line.first != "#", line.first != "!" else { continue }
            guard let sep = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else { continue }
            set(String(line[..<sep]).trimmed, String(line[line.index(after: sep)...]).trimmed)
        }
    }

    /// `KAFKA_LOG_DIRS=/x` sets `log.dirs`; `___` stands for `-`, `__` for `_` (the Docker image's rules).
    public mutating func load(environment: [String: String]) {
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("KAFKA_") {
            let key = String(name.dropFirst(6)).lowercased()
                .replacingAll("___", with: "-").replacingAll("__", with: "@").replacingAll("_", with: ".").replacingAll("@", with: "_")
            // Variables of the Docker image's scripts, not broker settings.
            if ["heap.opts", "opts", "jvm.performance.opts", "log4j.opts", "jmx.opts", "gc.log.opts", "debug"].contains(key) { continue }
            set(key, value)
        }
    }

    public mutating func set(_ key: String, _ value: String) {
        values[key] = value
    }

    static let known: Set<String> = [
        "node.id", "broker.id", "listeners", "advertised.listeners", "log.dirs", "log.dir", "num.partitions",
        "default.replication.factor", "auto.create.topics.enable", "message.max.bytes", "socket.request.max.bytes",
        "connections.max.idle.ms", "log.retention.ms", "log.retention.minutes", "log.retention.hours", "log.retention.bytes",
        "log.segment.bytes", "log.segment.ms", "log.roll.ms", "log.roll.hours", "log.flush.interval.messages", "log.flush.interval.ms",
        "log.cleanup.policy", "log.index.interval.bytes", "log.index.size.max.bytes", "log.message.timestamp.type",
        "cluster.id", "process.roles", "controller.quorum.voters", "controller.listener.names", "listener.security.protocol.map",
        "inter.broker.listener.name", "control.plane.listener.name", "offsets.topic.replication.factor", "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr", "group.initial.rebalance.delay.ms", "log.cleaner.delete.retention.ms",
        "group.min.session.timeout.ms", "group.max.session.timeout.ms", "group.max.size",
        "offsets.topic.num.partitions", "offsets.topic.segment.bytes", "offsets.retention.minutes",
        "offsets.retention.check.interval.ms", "offset.metadata.max.bytes", "num.io.threads",
        "group.consumer.heartbeat.interval.ms", "group.consumer.session.timeout.ms", "group.consumer.max.size",
        "group.consumer.assignors", "quota.window.num", "quota.window.size.seconds",
    ]

    /// The broker settings; throws on the first invalid value, naming its key.
    public mutating func brokerConfig() throws(InvalidValue) -> BrokerConfig {
        unknownKeys = values.keys.filter {
            !Self.known.contains($0) && !Self.tlsKeys.contains($0) && !Self.saslKeys.contains($0) && !Self.kerberosKeys.contains($0)
                && !Self.authorizerKeys.contains($0) && !Self.isListenerKey($0)
        }.sorted()
        var c = BrokerConfig()
        var l = c.logDefaults
        if let v = values["node.id"] ?? values["broker.id"] { c.nodeId = try int32("node.id", v, min: 0) }
        try configureListeners(&c)
        try configureSasl(&c)
        try configureAuthorizer(&c)
        if let v = values["log.dirs"] ?? values["log.dir"] {
            c.logDirs = v.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
            guard !c.logDirs.isEmpty else { throw InvalidValue(key: "log.dirs", value: v, reason: "no directory") }
        }
        if let v = values["num.partitions"] { c.numPartitions = try int32("num.partitions", v, min: 1) }
        if let v = values["default.replication.factor"] { c.defaultReplicationFactor = Int16(try int32("default.replication.factor", v, min: 1)) }
        if let v = values["auto.create.topics.enable"] { c.autoCreateTopics = try bool("auto.create.topics.enable", v) }
        if let v = values["message.max.bytes"] { c.messageMaxBytes = Int(try int32("message.max.bytes", v, min: 0)); l.maxMessageBytes = c.messageMaxBytes }
        if let v = values["socket.request.max.bytes"] { c.socketRequestMaxBytes = Int(try int32("socket.request.max.bytes", v, min: 1)) }
        if let v = values["connections.max.idle.ms"] { c.connectionsMaxIdleMs = try int64("connections.max.idle.ms", v, min: 1) }
        // Kafka's precedence: ms, then minutes, then hours.
        if let v = values["log.retention.hours"] { l.retentionMs = try int64("log.retention.hours", v, min: -1) * 3_600_000 }
        if let v = values["log.retention.minutes"] { l.retentionMs = try int64("log.retention.minutes", v, min: -1) * 60_000 }
        if let v = values["log.retention.ms"] { l.retentionMs = try int64("log.retention.ms", v, min: -1) }
        if l.retentionMs < -1 { l.retentionMs = -1 }
        if let v = values["log.retention.bytes"] { l.retentionBytes = try int64("log.retention.bytes", v, min: -1) }
        if let v = values["log.segment.bytes"] { l.segmentBytes = try int64("log.segment.bytes", v, min: 14) }
        if let v = values["log.roll.hours"] { l.segmentMs = try int64("log.roll.hours", v, min: 1) * 3_600_000 }
        if let v = values["log.roll.ms"] ?? values["log.segment.ms"] { l.segmentMs = try int64("log.roll.ms", v, min: 1) }
        if let v = values["log.flush.interval.messages"] { l.flushMessages = try int64("log.flush.interval.messages", v, min: 1) }
        if let v = values["log.flush.interval.ms"] { l.flushMs = try int64("log.flush.interval.ms", v, min: 0) }
        if let v = values["log.index.interval.bytes"] { l.indexIntervalBytes = Int(try int32("log.index.interval.bytes", v, min: 0)) }
        if let v = values["log.index.size.max.bytes"] { l.segmentIndexBytes = Int(try int32("log.index.size.max.bytes", v, min: 4)) }
        if let v = values["log.cleaner.delete.retention.ms"] { l.deleteRetentionMs = try int64("log.cleaner.delete.retention.ms", v, min: 0) }
        if let v = values["log.message.timestamp.type"] {
            guard v == "CreateTime" || v == "LogAppendTime" else { throw InvalidValue(key: "log.message.timestamp.type", value: v, reason: "must be CreateTime or LogAppendTime") }
            l.logAppendTime = v == "LogAppendTime"
        }
        if let v = values["log.cleanup.policy"] {
            guard let p = LogConfig.CleanupPolicy(kafka: v) else { throw InvalidValue(key: "log.cleanup.policy", value: v, reason: "must be delete, compact or both") }
            l.cleanupPolicy = p
        }
        if let v = values["cluster.id"] { c.clusterId = v }
        // Kafka's GroupCoordinatorConfig: plain ints, except group.max.size (at least 1).
        if let v = values["group.initial.rebalance.delay.ms"] { c.groupInitialRebalanceDelayMs = try int32("group.initial.rebalance.delay.ms", v, min: Int64(Int32.min)) }
        if let v = values["group.min.session.timeout.ms"] { c.groupMinSessionTimeoutMs = try int32("group.min.session.timeout.ms", v, min: Int64(Int32.min)) }
        if let v = values["group.max.session.timeout.ms"] { c.groupMaxSessionTimeoutMs = try int32("group.max.session.timeout.ms", v, min: Int64(Int32.min)) }
        if let v = values["group.max.size"] { c.groupMaxSize = try int32("group.max.size", v, min: 1) }
        if let v = values["quota.window.num"] { c.quotaWindowNum = Int(try int32("quota.window.num", v, min: 1)) }
        if let v = values["quota.window.size.seconds"] { c.quotaWindowSizeSeconds = Int(try int32("quota.window.size.seconds", v, min: 1)) }
        if let v = values["num.io.threads"] { c.numIoThreads = Int(try int32("num.io.threads", v, min: 1)) }
        // KIP-848 groups (GroupCoordinatorConfig's group.consumer.*).
        if let v = values["group.consumer.heartbeat.interval.ms"] {
            c.consumerGroupConfig.heartbeatIntervalMs = try int32("group.consumer.heartbeat.interval.ms", v, min: 1)
        }
        if let v = values["group.consumer.session.timeout.ms"] {
            c.consumerGroupConfig.sessionTimeoutMs = try int32("group.consumer.session.timeout.ms", v, min: 1)
        }
        if let v = values["group.consumer.max.size"] { c.consumerGroupConfig.maxSize = Int(try int32("group.consumer.max.size", v, min: 1)) }
        if let v = values["group.consumer.assignors"] {
            var assignors: [ConsumerAssignor] = []
            for name in v.split(separator: ",").map({ String($0).trimmed }) {
                // Kafka takes class names too; the short names are what clients send.
                switch name.split(separator: ".").last.map({ $0.lowercased() }) {
                case "uniform", "uniformassignor": assignors.append(.uniform)
                case "range", "rangeassignor": assignors.append(.range)
                default: throw InvalidValue(key: "group.consumer.assignors", value: v, reason: "unknown assignor \(name) (uniform, range)")
                }
            }
            guard !assignors.isEmpty else { throw InvalidValue(key: "group.consumer.assignors", value: v, reason: "no assignor") }
            c.consumerGroupConfig.assignors = assignors
        }
        // Kafka's GroupCoordinatorConfig: the offsets topic and offset retention.
        if let v = values["offsets.topic.num.partitions"] { c.offsets.numPartitions = try int32("offsets.topic.num.partitions", v, min: 1) }
        if let v = values["offsets.topic.segment.bytes"] { c.offsets.segmentBytes = try int64("offsets.topic.segment.bytes", v, min: 1) }
        if let v = values["offsets.retention.minutes"] { c.offsets.retentionMs = Int64(try int32("offsets.retention.minutes", v, min: 1)) * 60_000 }
        if let v = values["offsets.retention.check.interval.ms"] {
            c.offsets.retentionCheckIntervalMs = try int64("offsets.retention.check.interval.ms", v, min: 1)
        }
        if let v = values["offset.metadata.max.bytes"] { c.offsets.metadataMaxBytes = Int(try int32("offset.metadata.max.bytes", v, min: Int64(Int32.min))) }
        c.logDefaults = l
        return c
    }

    func int64(_ key: String, _ v: String, min: Int64) throws(InvalidValue) -> Int64 {
        guard let n = Int64(v.trimmed) else { throw InvalidValue(key: key, value: v, reason: "not a number") }
        guard n >= min else { throw InvalidValue(key: key, value: v, reason: "must be at least \(min)") }
        return n
    }

    func int32(_ key: String, _ v: String, min: Int64) throws(InvalidValue) -> Int32 {
        let n = try int64(key, v, min: min)
        guard let small = Int32(exactly: n) else { throw InvalidValue(key: key, value: v, reason: "out of range") }
        return small
    }

    func bool(_ key: String, _ v: String) throws(InvalidValue) -> Bool {
        switch v.trimmed.lowercased() {
        case "true": return true
        case "false": return false
        default: throw InvalidValue(key: key, value: v, reason: "must be true or false")
        }
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: target) {
            out += rest[..<r.lowerBound] + replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

import GregorCoordination
import GregorStorage

/// Builds `BrokerConfig` from Kafka's configuration sources, each overriding the one before:
/// defaults, a server.properties file, `KAFKA_*` environment variables (as Apache Kafka's Docker
/// image reads them: `KAFKA_LOG_DIRS` is `log.dirs`), then `--override key=value`.
public struct ServerProperties {
    public private(set) var values: [String: String] = [:]
    /// Keys that are not in Gregor's table (ConfigKeys): warned about, not fatal (Kafka warns too).
    public var unknownKeys: [String] { values.keys.filter { !ConfigKeys.accepts($0) }.sorted() }

    public init() {}

    /// A configuration value that cannot be used; startup stops with this message.
    public struct InvalidValue: Error, CustomStringConvertible, Equatable {
        public let key: String
        public let value: String
        public let reason: String
        public var description: String { "Invalid value \(value) for configuration \(key): \(reason)" }
    }

    /// Reads the server.properties format (PropertiesText); a line without `=` or `:` is ignored.
    public mutating func load(propertiesText text: String) {
        for case .entry(let key, let value) in PropertiesText.lines(text) { set(key, value) }
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

    /// The broker settings; throws on the first invalid value, naming its key.
    public func brokerConfig() throws(InvalidValue) -> BrokerConfig {
        var c = BrokerConfig()
        c.staticConfigs = values
        var l = c.logDefaults
        if let v = raw("node.id") ?? raw("broker.id") { c.nodeId = try int32("node.id", v, min: Self.minimum("node.id")) }
        try configureListeners(&c)
        try configureSasl(&c)
        try configureAuthorizer(&c)
        if let v = raw("log.dirs") ?? raw("log.dir") {
            c.logDirs = v.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty }
            guard !c.logDirs.isEmpty else { throw InvalidValue(key: "log.dirs", value: v, reason: "no directory") }
        }
        if let v = try int32("num.partitions") { c.numPartitions = v }
        if let v = try int32("default.replication.factor") { c.defaultReplicationFactor = Int16(v) }
        if let v = try bool("auto.create.topics.enable") { c.autoCreateTopics = v }
        if let v = try int32("message.max.bytes") { c.messageMaxBytes = Int(v); l.maxMessageBytes = c.messageMaxBytes }
        if let v = try int32("socket.request.max.bytes") { c.socketRequestMaxBytes = Int(v) }
        if let v = try int32("socket.send.buffer.bytes") { c.socketSendBufferBytes = try Self.bufferSize("socket.send.buffer.bytes", v) }
        if let v = try int32("socket.receive.buffer.bytes") { c.socketReceiveBufferBytes = try Self.bufferSize("socket.receive.buffer.bytes", v) }
        if let v = try int32("socket.listen.backlog.size") { c.socketListenBacklogSize = Int(v) }
        if let v = try int32("num.network.threads") { c.numNetworkThreads = Int(v) }
        if let v = try int64("connections.max.idle.ms") { c.connectionsMaxIdleMs = v }
        // Kafka's precedence: ms, then minutes, then hours.
        if let v = try int64("log.retention.hours") { l.retentionMs = v * 3_600_000 }
        if let v = try int64("log.retention.minutes") { l.retentionMs = v * 60_000 }
        if let v = try int64("log.retention.ms") { l.retentionMs = v }
        if l.retentionMs < -1 { l.retentionMs = -1 }
        if let v = try int64("log.retention.bytes") { l.retentionBytes = v }
        if let v = try int64("log.segment.bytes") { l.segmentBytes = v }
        if let v = try int64("log.roll.hours") { l.segmentMs = v * 3_600_000 }
        if let v = raw("log.roll.ms") ?? raw("log.segment.ms") { l.segmentMs = try int64("log.roll.ms", v, min: Self.minimum("log.roll.ms")) }
        if let v = try int64("log.flush.interval.messages") { l.flushMessages = v }
        if let v = try int64("log.flush.interval.ms") { l.flushMs = v }
        if let v = try int32("log.index.interval.bytes") { l.indexIntervalBytes = Int(v) }
        if let v = try int32("log.index.size.max.bytes") { l.segmentIndexBytes = Int(v) }
        if let v = try int64("log.cleaner.delete.retention.ms") { l.deleteRetentionMs = v }
        if let v = raw("log.message.timestamp.type") {
            guard v == "CreateTime" || v == "LogAppendTime" else { throw InvalidValue(key: "log.message.timestamp.type", value: v, reason: "must be CreateTime or LogAppendTime") }
            l.logAppendTime = v == "LogAppendTime"
        }
        if let v = raw("log.cleanup.policy") {
            guard let p = LogConfig.CleanupPolicy(kafka: v) else { throw InvalidValue(key: "log.cleanup.policy", value: v, reason: "must be delete, compact or both") }
            l.cleanupPolicy = p
        }
        if let v = raw("cluster.id") { c.clusterId = v }
        try configureCluster(&c)
        // Kafka's GroupCoordinatorConfig: plain ints, except group.max.size (at least 1).
        if let v = try int32("group.initial.rebalance.delay.ms") { c.groupInitialRebalanceDelayMs = v }
        if let v = try int32("group.min.session.timeout.ms") { c.groupMinSessionTimeoutMs = v }
        if let v = try int32("group.max.session.timeout.ms") { c.groupMaxSessionTimeoutMs = v }
        if let v = try int32("group.max.size") { c.groupMaxSize = v }
        if let v = try int32("quota.window.num") { c.quotaWindowNum = Int(v) }
        if let v = try int32("quota.window.size.seconds") { c.quotaWindowSizeSeconds = Int(v) }
        if let v = try int32("num.io.threads") { c.numIoThreads = Int(v) }
        // KIP-848 groups (GroupCoordinatorConfig's group.consumer.*).
        if let v = try int32("group.consumer.heartbeat.interval.ms") { c.consumerGroupConfig.heartbeatIntervalMs = v }
        if let v = try int32("group.consumer.session.timeout.ms") { c.consumerGroupConfig.sessionTimeoutMs = v }
        if let v = try int32("group.consumer.max.size") { c.consumerGroupConfig.maxSize = Int(v) }
        if let v = raw("group.consumer.assignors") {
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
        if let v = try int32("offsets.topic.num.partitions") { c.offsets.numPartitions = v }
        if let v = try int64("offsets.topic.segment.bytes") { c.offsets.segmentBytes = v }
        if let v = try int32("offsets.retention.minutes") { c.offsets.retentionMs = Int64(v) * 60_000 }
        if let v = try int64("offsets.retention.check.interval.ms") { c.offsets.retentionCheckIntervalMs = v }
        if let v = try int32("offset.metadata.max.bytes") { c.offsets.metadataMaxBytes = Int(v) }
        // Kafka's TransactionStateManagerConfig and TransactionLogConfig.
        if let v = try int32("transaction.max.timeout.ms") { c.transactions.maxTimeoutMs = v }
        if let v = try int32("transactional.id.expiration.ms") { c.transactions.transactionalIdExpirationMs = Int64(v) }
        if let v = try int32("transaction.remove.expired.transaction.cleanup.interval.ms") {
            c.transactions.removeExpiredTransactionalIdsIntervalMs = Int64(v)
        }
        if let v = try int32("transaction.state.log.num.partitions") { c.transactionStatePartitions = v }
        if let v = try int32("transaction.state.log.segment.bytes") { c.transactionStateSegmentBytes = Int64(v) }
        if let v = try bool("transaction.partition.verification.enable") { c.transactionPartitionVerification = v }
        if let v = try int64("producer.id.expiration.ms") { c.producerIdExpirationMs = v }
        c.logDefaults = l
        return c
    }

    /// A key's value as the configuration gives it. Every name read must be in the table.
    func raw(_ name: String) -> String? {
        assert(ConfigKeys.resolve(name) != nil, "\(name) is read but not in ConfigKeys")
        return values[name]
    }

    /// A plain numeric key, bounded by its table rule; nil when unset.
    func int64(_ name: String) throws(InvalidValue) -> Int64? {
        guard let v = raw(name) else { return nil }
        return try int64(name, v, min: Self.minimum(name))
    }

    func int32(_ name: String) throws(InvalidValue) -> Int32? {
        guard let v = raw(name) else { return nil }
        return try int32(name, v, min: Self.minimum(name))
    }

    /// A socket buffer size: -1 (the OS's) or at least 1.
    static func bufferSize(_ key: String, _ v: Int32) throws(InvalidValue) -> Int {
        guard v == -1 || v >= 1 else { throw InvalidValue(key: key, value: "\(v)", reason: "must be -1 (the OS default) or at least 1") }
        return Int(v)
    }

    func bool(_ name: String) throws(InvalidValue) -> Bool? {
        guard let v = raw(name) else { return nil }
        return try bool(name, v)
    }

    /// The least value the table allows for `name` (ignoring listener prefixes).
    static func minimum(_ name: String) -> Int64 {
        ConfigKeys.resolve(name)?.key.minimum ?? Int64.min
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

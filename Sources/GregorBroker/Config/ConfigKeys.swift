// Every configuration key Gregor reads or accepts, defined once (see ConfigKey), split by area
// into ConfigKeys+*.swift. This file finds a key by the name a configuration gives it
// (`listener.name.<l>.` and mechanism prefixes resolved) and reports synonyms as Kafka does
// (ConfigHelper.configSynonyms, KIP-226): the broker keys that can supply a value, each from
// the sources that set it, highest priority first.

/// A synonym as DescribeConfigs reports it.
struct ConfigSynonym: Sendable, Equatable {
    let name: String
    let value: String?
    let source: ConfigSource
}

enum ConfigKeys {
    /// Every broker key, Kafka's topic defaults that Gregor does not read included.
    static let broker: [ConfigKey] = server + logs + groups + transactions + cluster + tls + sasl + authorization + kafkaTopicDefaults + removedBroker

    static let brokerByName: [String: ConfigKey] = Dictionary(broker.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    static let topicByName: [String: ConfigKey] = Dictionary(topic.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    /// A configuration name resolved to its key: `listener.name.external.ssl.keystore.location`
    /// is `ssl.keystore.location` for listener `external`.
    struct Resolved {
        let key: ConfigKey
        let listener: String?
        let mechanism: String?
    }

    /// The broker key that `name` sets, if any.
    static func resolve(_ name: String) -> Resolved? {
        if let key = brokerByName[name], key.listenerPrefix != .mechanismOnly { return Resolved(key: key, listener: nil, mechanism: nil) }
        guard name.hasPrefix("listener.name.") else { return nil }
        let rest = name.dropFirst("listener.name.".count)
        guard let dot = rest.firstIndex(of: "."), dot != rest.startIndex else { return nil }
        let listener = String(rest[..<dot]), tail = rest[rest.index(after: dot)...]
        if let key = brokerByName[String(tail)], key.listenerPrefix == .listener || key.listenerPrefix == .listenerOrMechanism {
            return Resolved(key: key, listener: listener, mechanism: nil)
        }
        // KIP-86's `listener.name.<l>.<mechanism>.<key>`, for mechanisms Gregor has.
        guard let mdot = tail.firstIndex(of: "."), SaslMechanismName(rawValue: tail[..<mdot].uppercased()) != nil else { return nil }
        guard let key = brokerByName[String(tail[tail.index(after: mdot)...])],
            key.listenerPrefix == .listenerOrMechanism || key.listenerPrefix == .mechanismOnly
        else { return nil }
        return Resolved(key: key, listener: listener, mechanism: String(tail[..<mdot]))
    }

    /// Whether server.properties may name `name`; other names are warned about, not fatal.
    static func accepts(_ name: String) -> Bool {
        resolve(name)?.key.configurable ?? false
    }

    /// DynamicBrokerConfig.brokerConfigSynonyms: the keys that can stand for `name`, in priority order.
    static func chain(_ name: String) -> [String] {
        if let key = brokerByName[name], !key.synonyms.isEmpty { return [name] + key.synonyms }
        if let head = broker.first(where: { $0.synonyms.contains(name) }) { return [head.name] + head.synonyms }
        return [name]
    }

    /// ConfigHelper.configSynonyms: each of the chain's static settings, then each default, and
    /// everything ahead of `name` itself dropped. So a topic's retention.ms names no synonym
    /// unless log.retention.ms is set, exactly as Kafka reports it.
    static func synonyms(_ name: String, statics: [String: String?]) -> [ConfigSynonym] {
        let all = synonyms(chain: chain(name), statics: statics)
        return Array(all.drop { $0.name != name })
    }

    /// The static settings of `chain`'s keys, then their defaults; sensitive values as null.
    static func synonyms(chain names: [String], statics: [String: String?]) -> [ConfigSynonym] {
        names.compactMap { n in statics[n].map { ConfigSynonym(name: n, value: $0, source: .staticBroker) } }
            + names.compactMap { n in
                brokerByName[n].flatMap { k in k.defaultValue.map { ConfigSynonym(name: n, value: k.sensitive ? nil : $0, source: .defaultConfig) } }
            }
    }

    /// Why a topic's configs cannot be set (the message of Kafka's INVALID_CONFIG), or nil.
    static func topicProblem(_ configs: [String: String]) -> String? {
        for (name, value) in configs.sorted(by: { $0.key < $1.key }) {
            guard let key = topicByName[name] else { return "Unknown topic config name: \(name)" }
            // The table's guard: a key naming a file, URL, class or command is never a client's.
            guard key.clientAlterable else { return "Topic config \(name) cannot be set by a client" }
            if let reason = key.problem(with: value) {
                return reason.hasPrefix("Invalid value") ? reason : "Invalid value \(value) for configuration \(name): \(reason)"
            }
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

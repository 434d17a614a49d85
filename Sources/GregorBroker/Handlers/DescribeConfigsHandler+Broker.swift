// DescribeConfigs of the broker resource, as ConfigHelper.createBrokerConfigEntry answers it:
// every key Kafka's KafkaConfig defines (here: every listed, configurable key of ConfigKeys),
// and every other key the configuration named, listener overrides such as
// `listener.name.external.ssl.keystore.password` included. Sensitive values are null with
// is_sensitive=true (KIP-226), and so is any key of unknown type, as Kafka plays safe with those.
// A key is STATIC_BROKER_CONFIG when the configuration named it, DEFAULT_CONFIG otherwise; a
// listener override's synonyms are itself, then the broker-wide key (brokerConfigSynonyms with
// matchListenerOverride).

extension DescribeConfigsHandler {
    /// ConfigHelper.createBrokerConfigEntry (per-broker) for each broker key, sorted by name.
    static func brokerEntries(_ options: Options, _ config: BrokerConfig) -> [Entry] {
        let statics = staticBrokerConfigs(config)
        var entries: [Entry] = []
        for key in ConfigKeys.broker where key.configurable && key.listed {
            let synonyms = ConfigKeys.synonyms(key.name, statics: statics)
            let value = key.current?(config) ?? statics[key.name] ?? key.defaultValue
            entries.append(entry(key, key.name, value, synonyms, readOnly: true, options))
        }
        for (name, raw) in config.staticConfigs where ConfigKeys.brokerByName[name] == nil {
            guard let resolved = ConfigKeys.resolve(name), resolved.key.configurable else {
                entries.append(entry(nil, name, raw, [ConfigSynonym(name: name, value: nil, source: .staticBroker)], readOnly: true, options))
                continue
            }
            let key = resolved.key
            var synonyms = [ConfigSynonym(name: name, value: key.normalized(raw), source: .staticBroker)]
            if let listener = resolved.listener, resolved.mechanism != nil, let plain = config.staticConfigs["listener.name.\(listener).\(key.name)"] {
                synonyms.append(ConfigSynonym(name: "listener.name.\(listener).\(key.name)", value: key.normalized(plain), source: .staticBroker))
            }
            synonyms += ConfigKeys.synonyms(key.name, statics: statics)
            entries.append(entry(key, name, key.normalized(raw), synonyms, readOnly: true, options))
        }
        return entries.sorted { $0.name < $1.name }
    }

    /// Kafka's staticBrokerConfigs: the broker keys the configuration named, by name, with the
    /// value Kafka would print (null for sensitive ones).
    static func staticBrokerConfigs(_ config: BrokerConfig) -> [String: String?] {
        var out: [String: String?] = [:]
        for (name, raw) in config.staticConfigs {
            guard let key = ConfigKeys.brokerByName[name], key.configurable else { continue }
            out[name] = key.sensitive ? .some(nil) : .some(key.normalized(raw))
        }
        return out
    }
}

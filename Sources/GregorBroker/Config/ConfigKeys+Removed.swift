// Keys Kafka 4.0 removed (KIP-724, KIP-937, KIP-1041, ZooKeeper's removal) that clients, tools
// and tests written for 3.x still set. Kafka 4 refuses the topic keys (INVALID_CONFIG, "Unknown
// topic config name") and warns about the broker keys; Gregor accepts both as Kafka 3.9 did,
// where 3.9 ignored them, and lists none of them (Kafka 4 clients do not expect them).
// message.timestamp.difference.max.ms and message.downconversion.enable, which still act here,
// are with the other topic keys.

extension ConfigKeys {
    /// Topic keys removed by Kafka 4 that take no effect.
    static let removedTopic: [ConfigKey] = [
        // KIP-724: ignored whenever the inter-broker protocol is 3.0 or newer, which KRaft always is.
        .topic("message.format.version", .string, "3.0-IV1", broker: ["log.message.format.version"], .kafkaVersion,
               "The message format version (removed in Kafka 4.0): accepted as Kafka 3.9 accepted it, and ignored; records are always written in format v2.").unlisted,
    ]

    /// Broker keys removed by Kafka 4, accepted in server.properties and ignored, as Kafka 3.9 in
    /// KRaft mode ignored them.
    static let removedBroker: [ConfigKey] = [
        .broker("log.message.format.version", .string, "3.0-IV1", .kafkaVersion,
                "The broker default of message.format.version (removed in Kafka 4.0); ignored.").unlisted,
        .broker("inter.broker.protocol.version", .string, "3.9-IV0", .kafkaVersion,
                "The inter-broker protocol (removed in Kafka 4.0); a KRaft cluster follows metadata.version instead, so it was ignored.").unlisted,
        .broker("offsets.commit.required.acks", .short, "-1", .any,
                "The acks an offset commit waited for (removed in Kafka 4.0, KIP-1041); commits always wait for the log.").unlisted,
        .broker("log.message.timestamp.difference.max.ms", .long, "9223372036854775807", .atLeast(0),
                "The broker default of message.timestamp.difference.max.ms (removed in Kafka 4.0, KIP-937).").kafkaOnly.unlisted,
    ]
}

extension ConfigKey {
    /// Kafka 3.x's `MetadataVersion.fromVersionString`: a release such as `2.8`, `0.10.2` or
    /// `3.0-IV1`, from 0.8.0 to 3.9.
    static func isKafkaVersion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", maxSplits: 1)
        guard let release = parts.first else { return false }
        if parts.count == 2 {
            guard parts[1].hasPrefix("IV"), Int(parts[1].dropFirst(2)) != nil else { return false }
        }
        let numbers = release.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard numbers.count == 2 || numbers.count == 3, numbers.allSatisfy({ $0 != nil }) else { return false }
        let (major, minor) = (numbers[0]!, numbers[1]!)
        switch major {
        case 0: return (8...11).contains(minor)
        case 1: return (0...1).contains(minor)
        case 2: return (0...8).contains(minor)
        case 3: return (0...9).contains(minor)
        default: return false
        }
    }
}

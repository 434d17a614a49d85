import KafkaProtocol
import Testing

@testable import GregorBroker

/// DescribeConfigs of the broker over the wire, from a configuration as server.properties gives it.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct DescribeBrokerConfigsTests {
    static let properties = """
        message.max.bytes=2000
        ssl.keystore.password=top-secret
        listener.name.external.ssl.keystore.password=also-secret
        listener.name.external.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_a="b";
        my.custom.setting=1
        """

    static func describe(keys: [String]? = nil) async throws -> [String: DescribeConfigsResponse.DescribeConfigsResourceResult] {
        var p = ServerProperties()
        p.load(propertiesText: properties)
        let configured = try p.brokerConfig()
        return try await TestBroker.with({ c in
            c.staticConfigs = configured.staticConfigs
            c.messageMaxBytes = configured.messageMaxBytes
        }) { _, client in
            let response = try await client.request(DescribeConfigsRequest(
                resources: [.init(resourceType: 4, resourceName: "1", configurationKeys: keys)],
                includeSynonyms: true, includeDocumentation: true), version: 4)
            let result = try #require(response.results.first)
            #expect(result.errorCode == 0)
            return Dictionary(result.configs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    @Test func sensitiveValuesAreNullAndSetKeysAreStatic() async throws {
        let configs = try await Self.describe()
        let password = try #require(configs["ssl.keystore.password"])
        #expect(password.value == nil && password.isSensitive)
        #expect(password.configSource == ConfigSource.staticBroker.rawValue)
        #expect(password.configType == ConfigType.password.rawValue)
        #expect(password.synonyms.allSatisfy { $0.value == nil })

        // Listener overrides are listed, as Kafka lists every key the configuration named.
        let perListener = try #require(configs["listener.name.external.ssl.keystore.password"])
        #expect(perListener.value == nil && perListener.isSensitive && perListener.configSource == ConfigSource.staticBroker.rawValue)
        #expect(perListener.synonyms.map(\.name) == ["listener.name.external.ssl.keystore.password", "ssl.keystore.password"])
        #expect(perListener.synonyms.allSatisfy { $0.value == nil })
        let jaas = try #require(configs["listener.name.external.plain.sasl.jaas.config"])
        #expect(jaas.value == nil && jaas.isSensitive)
        // A key of unknown type is sensitive, to be safe (KafkaConfig.maybeSensitive).
        #expect(configs["my.custom.setting"]?.value == nil && configs["my.custom.setting"]?.isSensitive == true)

        let maxBytes = try #require(configs["message.max.bytes"])
        #expect(maxBytes.value == "2000" && !maxBytes.isSensitive && maxBytes.readOnly)
        #expect(maxBytes.configSource == ConfigSource.staticBroker.rawValue)
        #expect(maxBytes.configType == ConfigType.int.rawValue)
        #expect(maxBytes.documentation?.isEmpty == false)

        let partitions = try #require(configs["num.partitions"])
        #expect(partitions.value == "1" && partitions.configSource == ConfigSource.defaultConfig.rawValue)
        // Security keys are listed with their defaults even when unset.
        #expect(configs["ssl.client.auth"]?.value == "none")
        #expect(configs["ssl.truststore.password"]?.isSensitive == true && configs["ssl.truststore.password"]?.configSource == ConfigSource.defaultConfig.rawValue)
        #expect(configs["sasl.enabled.mechanisms"]?.value == "GSSAPI")
    }

    @Test func askedKeysOnly() async throws {
        let configs = try await Self.describe(keys: ["ssl.keystore.password", "log.retention.hours"])
        #expect(Set(configs.keys) == ["ssl.keystore.password", "log.retention.hours"])
        #expect(configs["log.retention.hours"]?.value == "168")
    }
}

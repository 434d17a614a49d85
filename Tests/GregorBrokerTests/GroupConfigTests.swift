import GregorCoordination
import Testing

@testable import GregorBroker

/// The `group.*` settings of Kafka's GroupCoordinatorConfig, as the classic groups take them.
@Suite struct GroupConfigTests {
    @Test func defaultsAreKafkas() {
        #expect(BrokerConfig().classicGroupConfig == ClassicGroupConfig(
            initialRebalanceDelayMs: 3000, maxSize: Int(Int32.max), minSessionTimeoutMs: 6000, maxSessionTimeoutMs: 1_800_000))
    }

    @Test func propertiesSetThemAndGroupMaxSizeMustBePositive() throws {
        var p = ServerProperties()
        p.load(propertiesText: """
            group.initial.rebalance.delay.ms=0
            group.min.session.timeout.ms=1000
            group.max.session.timeout.ms=60000
            group.max.size=10
            """)
        let c = try p.brokerConfig()
        #expect(p.unknownKeys.isEmpty)
        #expect(c.classicGroupConfig == ClassicGroupConfig(
            initialRebalanceDelayMs: 0, maxSize: 10, minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000))

        var zero = ServerProperties()
        zero.set("group.max.size", "0")
        #expect(throws: ServerProperties.InvalidValue(key: "group.max.size", value: "0", reason: "must be at least 1")) {
            try zero.brokerConfig()
        }
    }

    @Test func consumerGroupSettingsAndOffsetsSettings() throws {
        var p = ServerProperties()
        p.load(propertiesText: """
            group.consumer.heartbeat.interval.ms=1000
            group.consumer.session.timeout.ms=6000
            group.consumer.max.size=4
            group.consumer.assignors=range, org.apache.kafka.coordinator.group.assignor.UniformAssignor
            offsets.topic.num.partitions=3
            offsets.retention.minutes=2
            offset.metadata.max.bytes=10
            num.io.threads=2
            """)
        let c = try p.brokerConfig()
        #expect(p.unknownKeys.isEmpty)
        #expect(c.consumerGroupConfig == ConsumerGroupConfig(heartbeatIntervalMs: 1000, sessionTimeoutMs: 6000, maxSize: 4, assignors: [.range, .uniform]))
        #expect(c.offsets.numPartitions == 3 && c.offsets.retentionMs == 120_000 && c.offsets.metadataMaxBytes == 10)
        #expect(c.numIoThreads == 2)

        var bad = ServerProperties()
        bad.set("group.consumer.assignors", "sticky")
        #expect(throws: ServerProperties.InvalidValue.self) { try bad.brokerConfig() }
    }
}

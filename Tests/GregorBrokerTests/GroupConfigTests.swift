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
}

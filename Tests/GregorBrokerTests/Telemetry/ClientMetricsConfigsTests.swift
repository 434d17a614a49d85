import KafkaProtocol
import Testing

@testable import GregorBroker

/// A CLIENT_METRICS subscription's keys, validated as Kafka's ClientMetricsConfigs does, and
/// which clients a subscription applies to (KIP-714).
@Suite struct ClientMetricsConfigsTests {
    func code(_ configs: [String: String], name: String = "s") -> ErrorCode? {
        do throws(ApiError) {
            _ = try ClientMetricsConfigs.subscription(name, configs)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func keysParseWithDefaults() throws {
        let s = try ClientMetricsConfigs.subscription("s", ["metrics": " org.apache.kafka.producer. , org.apache.kafka.consumer.", "match": "client_id = app-.*"])
        #expect(s.metrics == ["org.apache.kafka.producer.", "org.apache.kafka.consumer."])
        #expect(s.intervalMs == 300_000)
        #expect(s.match.map(\.key) == ["client_id"] && s.match.map(\.pattern) == ["app-.*"])
        let empty = try ClientMetricsConfigs.subscription("s", ["metrics": "", "interval.ms": "100"])
        #expect(empty.metrics == [] && empty.intervalMs == 100 && empty.match.isEmpty)
    }

    @Test func unknownKeysAndIntervalsOutOfRangeAreInvalidRequests() {
        #expect(code(["metric": "x"]) == .invalidRequest)
        #expect(code(["interval.ms": "99"]) == .invalidRequest)
        #expect(code(["interval.ms": "3600001"]) == .invalidRequest)
        #expect(code(["interval.ms": "3600000"]) == nil)
        #expect(code(["metrics": "*"], name: "") == .invalidRequest)
    }

    @Test func badMatchPatternsAndUnparsableIntervalsAreInvalidConfigs() {
        #expect(code(["interval.ms": "soon"]) == .invalidConfig)
        #expect(code(["match": "client_colour=red"]) == .invalidConfig)
        #expect(code(["match": "client_id"]) == .invalidConfig)
        #expect(code(["match": "client_id=a=b"]) == .invalidConfig)
        #expect(code(["match": "client_id=("]) == .invalidConfig)
        #expect(code(["match": "client_id=app,client_source_port=9[0-9]+"]) == nil)
        // Kafka 4.2+: no entry twice in either list.
        #expect(code(["metrics": "a,b,a"]) == .invalidConfig)
        #expect(code(["match": "client_id=a, client_id=a"]) == .invalidConfig)
    }

    @Test func everyPatternMustMatchTheWholeAttribute() throws {
        let s = try ClientMetricsConfigs.subscription("s", ["match": "client_id=app-.*,client_software_name=apache-kafka-java"])
        var client = ClientTelemetryIdentity(instanceId: KafkaUUID(high: 1, low: 2), clientId: "app-1", softwareName: "apache-kafka-java")
        #expect(client.matches(s))
        client.clientId = "my-app-1"
        #expect(!client.matches(s))
        client.clientId = "app-1"
        client.softwareName = "librdkafka"
        #expect(!client.matches(s))
        // A client with no client id never matches a client_id pattern, even ".*".
        let any = try ClientMetricsConfigs.subscription("s", ["match": "client_id=.*"])
        #expect(!ClientTelemetryIdentity(instanceId: KafkaUUID(high: 1, low: 2), clientId: nil).matches(any))
        let byInstance = try ClientMetricsConfigs.subscription("s", ["match": "client_instance_id=\(KafkaUUID(high: 1, low: 2))"])
        #expect(ClientTelemetryIdentity(instanceId: KafkaUUID(high: 1, low: 2)).matches(byInstance))
    }

    @Test func matchingSubscriptionsAreUnitedAtTheShortestInterval() throws {
        let subscriptions = ClientMetricsSubscriptions(stored: [
            "producers": ["metrics": "org.apache.kafka.producer.", "interval.ms": "60000", "match": "client_id=p.*"],
            "all": ["metrics": "org.apache.kafka.client.", "interval.ms": "120000"],
            "other": ["metrics": "*", "interval.ms": "1000", "match": "client_id=q.*"],
        ])
        let p = ClientTelemetryIdentity(instanceId: KafkaUUID(high: 1, low: 2), clientId: "p1")
        #expect(subscriptions.request(for: p) == ClientTelemetryRequest(
            metrics: ["org.apache.kafka.client.", "org.apache.kafka.producer."], pushIntervalMs: 60000))
        let q = ClientTelemetryIdentity(instanceId: KafkaUUID(high: 1, low: 2), clientId: "q1")
        #expect(subscriptions.request(for: q) == ClientTelemetryRequest(metrics: ["*"], pushIntervalMs: 1000))
        #expect(ClientMetricsSubscriptions(stored: [:]).request(for: q) == ClientTelemetryRequest(metrics: [], pushIntervalMs: 300_000))
    }

    /// Kafka's formula: (int) CRC32C("[]300000") XOR the id's hashCode, checked against a
    /// CRC32C computed here bit by bit.
    @Test func theSubscriptionIdIsKafkasCrcXorTheInstanceHash() {
        func crc32c(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            }
            return ~crc
        }
        let id = KafkaUUID(high: 0x0123_4567_89AB_CDEF, low: 0x0FED_CBA9_8765_4321)
        let x = id.high ^ id.low
        let hash = Int32(truncatingIfNeeded: x >> 32) ^ Int32(truncatingIfNeeded: x)
        let none = ClientTelemetryRequest(metrics: [], pushIntervalMs: 300_000)
        #expect(ClientMetricsSubscriptions.subscriptionId(none, id) == Int32(bitPattern: crc32c(Array("[]300000".utf8))) ^ hash)
        let two = ClientTelemetryRequest(metrics: ["a", "b"], pushIntervalMs: 1000)
        #expect(ClientMetricsSubscriptions.subscriptionId(two, id) == Int32(bitPattern: crc32c(Array("[a, b]1000".utf8))) ^ hash)
    }
}

import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// GetTelemetrySubscriptions and PushTelemetry as events on the broker's client telemetry state,
/// with the time passed in: Kafka's ClientMetricsManager checks, in its order (KIP-714).
@Suite struct ClientTelemetryTests {
    static let id = KafkaUUID(high: 0x1111, low: 0x2222)
    static let client = ClientTelemetryIdentity(instanceId: id, clientId: "app")

    static func telemetry(_ stored: [String: [String: String]] = ["s": ["metrics": "org.apache.kafka.", "interval.ms": "1000"]],
                          maxBytes: Int = 1_048_576) -> ClientTelemetry {
        ClientTelemetry(subscriptions: ClientMetricsSubscriptions(stored: stored), maxBytes: maxBytes)
    }

    static func subscribe(_ t: inout ClientTelemetry, now: Int64) throws -> Int32 {
        guard case .subscription(_, let subscriptionId, _) = t.get(client, now: now) else { throw Unexpected() }
        return subscriptionId
    }

    struct Unexpected: Error {}

    func push(_ subscriptionId: Int32, terminating: Bool = false, codec: Int8 = 0, _ payload: String = "metrics") -> ClientTelemetry.Push {
        .init(subscriptionId: subscriptionId, terminating: terminating, compressionType: codec, metrics: ByteBuffer(string: payload))
    }

    @Test func aZeroIdGetsAFreshOneAndTheSubscription() {
        var t = Self.telemetry()
        let fresh = KafkaUUID(high: 7, low: 7)
        let outcome = t.get(ClientTelemetryIdentity(instanceId: .zero, clientId: "app"), now: 10_000) { fresh }
        let request = ClientTelemetryRequest(metrics: ["org.apache.kafka."], pushIntervalMs: 1000)
        #expect(outcome == .subscription(instanceId: fresh, subscriptionId: ClientMetricsSubscriptions.subscriptionId(request, fresh), request))
    }

    @Test func askingAgainWithinTheIntervalIsThrottled() throws {
        var t = Self.telemetry()
        _ = try Self.subscribe(&t, now: 10_000)
        #expect(t.get(Self.client, now: 10_999) == .error(.throttlingQuotaExceeded))
        #expect(throws: Never.self) { _ = try Self.subscribe(&t, now: 11_000) }
    }

    @Test func pushesAreThrottledToTheIntervalExceptTheFirstAfterAGetAndATerminatingOne() throws {
        var t = Self.telemetry()
        let sub = try Self.subscribe(&t, now: 10_000)
        // The first push after a Get is on time, however early (client jitter).
        #expect(t.push(push(sub), from: Self.client, now: 10_001) == .none)
        #expect(t.push(push(sub), from: Self.client, now: 10_500) == .throttlingQuotaExceeded)
        #expect(t.push(push(sub), from: Self.client, now: 11_001) == .none)
        // A terminating push is accepted early; nothing is after it.
        #expect(t.push(push(sub, terminating: true), from: Self.client, now: 11_002) == .none)
        #expect(t.push(push(sub), from: Self.client, now: 20_000) == .invalidRequest)
        #expect(t.instances[Self.id]?.pushes == 3)
        #expect(t.instances[Self.id]?.bytes == 21)
    }

    @Test func checksComeInKafkasOrder() throws {
        var t = Self.telemetry(maxBytes: 4)
        #expect(t.push(push(0), from: ClientTelemetryIdentity(instanceId: .zero), now: 10_000) == .invalidRequest)
        #expect(t.push(push(0), from: ClientTelemetryIdentity(instanceId: KafkaUUID(high: 0, low: 1)), now: 10_000) == .invalidRequest)
        let sub = try Self.subscribe(&t, now: 10_000)
        #expect(t.push(push(sub &+ 1), from: Self.client, now: 10_001) == .unknownSubscriptionId)
        // The stale subscription lets the client ask again at once.
        #expect(throws: Never.self) { _ = try Self.subscribe(&t, now: 10_002) }
        #expect(t.push(push(sub, codec: 5), from: Self.client, now: 10_003) == .unsupportedCompressionType)
        _ = try Self.subscribe(&t, now: 10_004)
        #expect(t.push(push(sub, "12345"), from: Self.client, now: 10_005) == .telemetryTooLarge)
        #expect(t.push(push(sub &+ 1, "12345"), from: Self.client, now: 12_000) == .unknownSubscriptionId)
        #expect(t.push(push(sub, "1234"), from: Self.client, now: 14_000) == .none)
        #expect(t.instances[Self.id]?.lastPayload == ByteBuffer(string: "1234"))
    }

    @Test func aCompressedPushIsKeptDecompressed() throws {
        var t = Self.telemetry()
        let sub = try Self.subscribe(&t, now: 10_000)
        let payload = ByteBuffer(repeating: 0x41, count: 4000)
        var gzip = ByteBuffer()
        try Compression.compress(payload, codec: .gzip, into: &gzip)
        #expect(t.push(.init(subscriptionId: sub, terminating: false, compressionType: 1, metrics: gzip), from: Self.client, now: 10_001) == .none)
        let instance = try #require(t.instances[Self.id])
        #expect(instance.decompressedBytes == 4000 && instance.bytes == gzip.readableBytes && instance.lastPayload == payload)
        // Garbage that does not decompress is an INVALID_RECORD, as from Kafka's exporter.
        #expect(t.push(.init(subscriptionId: sub, terminating: false, compressionType: 1, metrics: ByteBuffer(string: "not gzip")),
                       from: Self.client, now: 11_001) == .invalidRecord)
    }

    @Test func aSubscriptionChangeReevaluatesTheClientWithFreshTimestamps() throws {
        var t = Self.telemetry()
        let before = try Self.subscribe(&t, now: 10_000)
        t.setSubscriptions(ClientMetricsSubscriptions(stored: ["s": ["metrics": "*", "interval.ms": "5000"]]))
        // Not throttled, though within the old interval: the instance is new.
        guard case .subscription(_, let after, let request) = t.get(Self.client, now: 10_001) else { throw Unexpected() }
        #expect(request == ClientTelemetryRequest(metrics: ["*"], pushIntervalMs: 5000))
        #expect(after != before)
        #expect(t.push(push(before), from: Self.client, now: 10_002) == .unknownSubscriptionId)
    }

    @Test func idleInstancesAreForgotten() throws {
        var t = Self.telemetry()
        _ = try Self.subscribe(&t, now: 10_000)
        let other = ClientTelemetryIdentity(instanceId: KafkaUUID(high: 9, low: 9))
        _ = t.get(other, now: 69_999)
        #expect(t.instances.count == 2)
        // A minute (more than three 1 s intervals) after its last request, the first is gone
        // (idle instances are looked for at most once a second).
        _ = t.get(other, now: 71_000)
        #expect(t.instances.keys.sorted { $0.high < $1.high } == [other.instanceId])
    }
}

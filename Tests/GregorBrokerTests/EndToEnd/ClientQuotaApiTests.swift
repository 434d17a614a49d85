import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension AlterClientQuotasRequest: TestRequest { typealias Response = AlterClientQuotasResponse }
extension DescribeClientQuotasRequest: TestRequest { typealias Response = DescribeClientQuotasResponse }

/// Client quotas over the wire (KIP-546): set and described as Kafka validates and filters them,
/// durable, and enforced: a produce over its byte rate is answered with a throttle time and the
/// connection is muted for that long (KIP-219).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ClientQuotaApiTests {
    typealias Entity = AlterClientQuotasRequest.EntityData

    static func alter(_ entity: [Entity], _ ops: [AlterClientQuotasRequest.OpData], validateOnly: Bool = false) -> AlterClientQuotasRequest {
        AlterClientQuotasRequest(entries: [.init(entity: entity, ops: ops)], validateOnly: validateOnly)
    }

    @Test func quotasAreValidatedStoredAndFiltered() async throws {
        try await TestBroker.with { broker, client in
            let refusals: [([Entity], [AlterClientQuotasRequest.OpData], String)] = [
                ([], [.init(key: "producer_byte_rate", value: 1, remove: false)], "Invalid empty client quota entity"),
                ([.init(entityType: "user", entityName: "a"), .init(entityType: "user", entityName: "b")], [], "duplicate entity entry user"),
                ([.init(entityType: "user", entityName: "")], [], "Empty user not supported"),
                ([.init(entityType: "group", entityName: "g")], [], "Unhandled client quota entity type: group"),
                ([.init(entityType: "user", entityName: "a")], [.init(key: "retention.ms", value: 1, remove: false)], "Invalid configuration key retention.ms"),
                ([.init(entityType: "user", entityName: "a")], [.init(key: "producer_byte_rate", value: 0, remove: false)], "must be greater than 0"),
                ([.init(entityType: "user", entityName: "a")], [.init(key: "producer_byte_rate", value: 1.5, remove: false)], "cannot be a fractional value"),
            ]
            for (entity, ops, message) in refusals {
                let result = try await client.request(Self.alter(entity, ops), version: 1).entries.first
                #expect(result?.errorCode == ErrorCode.invalidRequest.rawValue && result?.errorMessage?.contains(message) == true, "\(message)")
            }
            // validate_only stores nothing.
            let checked = try await client.request(Self.alter([.init(entityType: "user", entityName: "alice")],
                                                              [.init(key: "producer_byte_rate", value: 1024, remove: false)], validateOnly: true), version: 1)
            #expect(checked.entries.map(\.errorCode) == [0] && broker.broker.clientQuotas.all.isEmpty)

            for (entity, value) in [([Entity(entityType: "user", entityName: "alice")], 1024.0),
                                    ([Entity(entityType: "user", entityName: nil), Entity(entityType: "client-id", entityName: "app")], 2048),
                                    ([Entity(entityType: "client-id", entityName: nil)], 4096)] {
                let set = try await client.request(Self.alter(entity, [.init(key: "consumer_byte_rate", value: value, remove: false),
                                                                        .init(key: "request_percentage", value: 50, remove: false)]), version: 1)
                #expect(set.entries.map(\.errorCode) == [0])
            }
            func described(_ components: [DescribeClientQuotasRequest.ComponentData], strict: Bool = false) async throws -> [String] {
                let response = try await client.request(DescribeClientQuotasRequest(components: components, strict: strict), version: 1)
                #expect(response.errorCode == 0)
                return (response.entries ?? []).map { entry in
                    entry.entity.map { "\($0.entityType)=\($0.entityName ?? "<default>")" }.joined(separator: ",")
                        + ":" + entry.values.map { "\($0.key)=\(Int($0.value))" }.joined(separator: ",")
                }.sorted()
            }
            #expect(try await described([.init(entityType: "user", matchType: 0, match: "alice")])
                == ["user=alice:consumer_byte_rate=1024,request_percentage=50"])
            #expect(try await described([.init(entityType: "user", matchType: 1, match: nil)])
                == ["user=<default>,client-id=app:consumer_byte_rate=2048,request_percentage=50"])
            #expect(try await described([.init(entityType: "user", matchType: 2, match: nil)], strict: true)
                == ["user=alice:consumer_byte_rate=1024,request_percentage=50"])
            #expect(try await described([.init(entityType: "client-id", matchType: 2, match: nil)]).count == 2)
            let bad = try await client.request(DescribeClientQuotasRequest(components: [
                .init(entityType: "user", matchType: 0, match: nil)], strict: false), version: 1)
            #expect(bad.errorCode == ErrorCode.invalidRequest.rawValue && bad.entries == nil)

            // Durable before acknowledged; removing a key.
            _ = try await client.request(Self.alter([.init(entityType: "user", entityName: "alice")],
                                                    [.init(key: "request_percentage", value: 0, remove: true)]), version: 1)
            let reopened = try ClientQuotas(directory: broker.broker.config.logDirs[0], samples: 11, windowMs: 1000)
            #expect(reopened.all[QuotaEntity(user: .named("alice"))] == ["consumer_byte_rate": 1024])
        }
    }

    /// A request the broker read before the mute began waits it out too, as Kafka's muted
    /// channel would not have read it (ThrottledChannel).
    @Test func aRequestPipelinedBehindAThrottledProduceWaitsOutTheMute() async throws {
        try await TestBroker.with({ $0.quotaWindowNum = 2; $0.quotaWindowSizeSeconds = 1 }) { _, client in
            _ = try await client.createTopic("metered")
            let set = try await client.request(Self.alter([.init(entityType: "user", entityName: nil)],
                                                          [.init(key: "producer_byte_rate", value: 1500, remove: false)]), version: 1)
            #expect(set.entries.map(\.errorCode) == [0])
            let ids = (0..<2).map { _ in client.takeCorrelationId() }
            var stream = try client.frame(Requests.produce("metered", [String(repeating: "x", count: 2000)]), version: 9, correlationId: ids[0])
            var versions = try client.frame(ApiVersionsRequest(), version: 3, correlationId: ids[1])
            stream.writeBuffer(&versions)
            let sent = ContinuousClock.now
            try await client.write(stream)
            guard var first = try await client.nextFrame(), var second = try await client.nextFrame() else { throw ClientError.closed }
            let produced = try KafkaTestClient.decode(ProduceResponse.self, from: &first, version: 9, correlationId: ids[0])
            #expect(produced.throttleTimeMs > 100 && produced.throttleTimeMs < 2000, "\(produced.throttleTimeMs)")
            #expect(try KafkaTestClient.decode(ApiVersionsResponse.self, from: &second, version: 3, correlationId: ids[1]).errorCode == 0)
            let waited = ContinuousClock.now - sent
            #expect(waited >= .milliseconds(Int64(produced.throttleTimeMs)), "\(waited)")
        }
    }

    /// A produce waiting for its fsync lets the next request start (`letNextRequestStart`),
    /// unless it is throttled: then it keeps the connection until it is answered and the mute
    /// has passed, as Kafka's muted channel would.
    @Test func aThrottledProduceWaitingForItsFsyncKeepsTheConnection() async throws {
        try await TestBroker.with({ $0.quotaWindowNum = 2; $0.quotaWindowSizeSeconds = 1; $0.numIoThreads = 1 }) { broker, client in
            let set = try await client.request(Self.alter([.init(entityType: "user", entityName: nil)],
                                                          [.init(key: "producer_byte_rate", value: 1500, remove: false)]), version: 1)
            #expect(set.entries.map(\.errorCode) == [0])

            let gate = try await broker.holdingTheIoThreadOverDurableAndPlain(client)
            defer { gate.signal() }
            let ids = (0..<2).map { _ in client.takeCorrelationId() }
            var stream = try client.frame(Requests.produce("durable", [String(repeating: "x", count: 2000)]), version: 9, correlationId: ids[0])
            var next = try client.frame(Requests.produce("plain", ["p1"]), version: 9, correlationId: ids[1])
            stream.writeBuffer(&next)
            try await client.write(stream)

            // Over its byte rate, the first holds the connection through its fsync: no append of
            // the second meanwhile.
            let observer = try await broker.connect()
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await observer.listOffset("durable", timestamp: -1).offset == 2)
            #expect(try await observer.listOffset("plain", timestamp: -1).offset == 1)
            await observer.close()
            gate.signal()
            guard var first = try await client.nextFrame(), var second = try await client.nextFrame() else { throw ClientError.closed }
            let produced = try KafkaTestClient.decode(ProduceResponse.self, from: &first, version: 9, correlationId: ids[0])
            #expect(produced.throttleTimeMs > 100, "\(produced.throttleTimeMs)")
            let then = try KafkaTestClient.decode(ProduceResponse.self, from: &second, version: 9, correlationId: ids[1])
            #expect(then.responses.first?.partitionResponses.first?.baseOffset == 1)
        }
    }

    @Test func aProduceOverItsByteRateIsThrottledAndTheConnectionMuted() async throws {
        try await TestBroker.with({ $0.quotaWindowNum = 2; $0.quotaWindowSizeSeconds = 1 }) { _, client in
            _ = try await client.createTopic("metered")
            let produce = try Requests.produce("metered", [String(repeating: "x", count: 2000)])
            // The default user's quota covers this connection (User:ANONYMOUS).
            let set = try await client.request(Self.alter([.init(entityType: "user", entityName: nil)],
                                                          [.init(key: "producer_byte_rate", value: 1500, remove: false)]), version: 1)
            #expect(set.entries.map(\.errorCode) == [0])
            // The mute starts once the broker has answered the produce, so the next answer comes
            // at least the throttle time after the produce was sent, however late the client
            // reads the produce's answer (timing from that read raced under load).
            let sent = ContinuousClock.now
            let first = try await client.request(produce, version: 9)
            #expect(first.responses.first?.partitionResponses.first?.errorCode == 0)
            // About 2.1 KB over one counted second at 1.5 KB/s: about 400 ms.
            #expect(first.throttleTimeMs > 100 && first.throttleTimeMs < 2000, "\(first.throttleTimeMs)")
            #expect(try await client.request(ApiVersionsRequest(), version: 3).errorCode == 0)
            let waited = ContinuousClock.now - sent
            #expect(waited >= .milliseconds(Int64(first.throttleTimeMs)), "\(waited)")
            // Under the quota again once the window has passed.
            try await Task.sleep(for: .seconds(2))
            let small = try await client.request(Requests.produce("metered", ["y"]), version: 9)
            #expect(small.throttleTimeMs == 0)
        }
    }

    /// Kafka answers a fetch over its byte rate empty and takes its bytes back
    /// (KafkaApis.handleFetchRequest); the session keeps its place, so the records come later.
    @Test func aFetchOverItsByteRateIsAnsweredEmptyAndItsSessionKeepsItsPlace() async throws {
        try await TestBroker.with({ $0.quotaWindowNum = 2; $0.quotaWindowSizeSeconds = 1 }) { _, client in
            _ = try await client.createTopic("metered")
            let big = String(repeating: "x", count: 1200)
            _ = try await client.request(Requests.produce("metered", [big]), version: 9)
            let set = try await client.request(Self.alter([.init(entityType: "user", entityName: nil)],
                                                          [.init(key: "consumer_byte_rate", value: 1500, remove: false)]), version: 1)
            #expect(set.entries.map(\.errorCode) == [0])
            func fetch(session: Int32, epoch: Int32, offset: Int64?) async throws -> FetchResponse {
                let topics: [FetchRequest.FetchTopic] = offset.map {
                    [.init(topic: "metered", partitions: [.init(partition: 0, fetchOffset: $0, partitionMaxBytes: 1 << 20)])]
                } ?? []
                return try await client.request(
                    FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId: session, sessionEpoch: epoch, topics: topics), version: 12)
            }
            // About 1.3 KB in the first counted second: under 1.5 KB/s.
            let full = try await fetch(session: 0, epoch: 0, offset: 0)
            #expect(full.throttleTimeMs == 0 && full.sessionId != 0)
            #expect(full.responses.first?.partitions.first?.records?.readableBytes ?? 0 > 1200)
            _ = try await client.request(Requests.produce("metered", [big]), version: 9)
            // Another 1.3 KB would make 2.6 KB/s: answered empty, in the session, with the throttle.
            let throttled = try await fetch(session: full.sessionId, epoch: 1, offset: 1)
            #expect(throttled.errorCode == 0 && throttled.sessionId == full.sessionId)
            #expect(throttled.responses.isEmpty)
            #expect(throttled.throttleTimeMs > 300 && throttled.throttleTimeMs < 1500, "\(throttled.throttleTimeMs)")
            // Once the window has passed, the session's next epoch reads the record it did not get.
            try await Task.sleep(for: .seconds(2))
            let later = try await fetch(session: full.sessionId, epoch: 2, offset: nil)
            #expect(later.errorCode == 0 && later.throttleTimeMs == 0)
            let partition = try #require(later.responses.first?.partitions.first)
            #expect(try FetchedRecord.baseOffsets(in: partition.records) == [1])
        }
    }

    /// request_percentage counts the handler's time (KIP-124): every response with room for it
    /// reports the throttle, bounded by one window, and the connection is muted that long.
    @Test func aRequestOverItsRequestPercentageIsThrottledWhateverItsApi() async throws {
        try await TestBroker.with({ $0.quotaWindowNum = 2; $0.quotaWindowSizeSeconds = 1 }) { _, client in
            let set = try await client.request(Self.alter([.init(entityType: "user", entityName: nil)],
                                                          [.init(key: "request_percentage", value: 0.0001, remove: false)]), version: 1)
            #expect(set.entries.map(\.errorCode) == [0])
            try await Task.sleep(for: .seconds(1))
            let metadata = try await client.request(Requests.metadata([]), version: 9)
            #expect(metadata.throttleTimeMs > 0 && metadata.throttleTimeMs <= 1000, "\(metadata.throttleTimeMs)")
            let asked = ContinuousClock.now
            let groups = try await client.request(ListGroupsRequest(), version: 4)
            #expect(groups.errorCode == 0 && groups.throttleTimeMs > 0)
            let waited = ContinuousClock.now - asked
            #expect(waited >= .milliseconds(Int64(metadata.throttleTimeMs) - 50), "\(waited)")
        }
    }
}

import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// KIP-227 over the wire: a full fetch opens a session, incremental fetches carry only changes.
@Suite struct FetchSessionEndToEndTests {
    static func request(sessionId: Int32, epoch: Int32, topics: [FetchRequest.FetchTopic] = [], forgotten: [FetchRequest.ForgottenTopic] = [])
        -> FetchRequest
    {
        FetchRequest(maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId: sessionId, sessionEpoch: epoch, topics: topics, forgottenTopicsData: forgotten)
    }

    static func topic(_ name: String, _ partitions: [Int32], offset: Int64 = 0) -> FetchRequest.FetchTopic {
        .init(topic: name, partitions: partitions.map { .init(partition: $0, fetchOffset: offset, partitionMaxBytes: 1 << 20) })
    }

    @Test(arguments: [Int16(7), 12])
    func incrementalFetchesCarryOnlyWhatChanged(version: Int16) async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("s", partitions: 2)
            _ = try await client.produce(Requests.produce("s", partition: 0, ["a", "b"]))

            let full = try await client.request(Self.request(sessionId: 0, epoch: 0, topics: [Self.topic("s", [0, 1])]), version: version)
            #expect(full.errorCode == 0)
            #expect(full.sessionId != 0)
            #expect(full.responses.flatMap(\.partitions).map(\.partitionIndex) == [0, 1])

            // Nothing changed: an incremental fetch answers no partitions.
            let idle = try await client.request(Self.request(sessionId: full.sessionId, epoch: 1, topics: [Self.topic("s", [0], offset: 2)]), version: version)
            #expect(idle.errorCode == 0)
            #expect(idle.sessionId == full.sessionId)
            #expect(idle.responses.flatMap(\.partitions).isEmpty)

            // New records on partition 1 only: only partition 1 comes back, with them.
            _ = try await client.produce(Requests.produce("s", partition: 1, ["c"]))
            let changed = try await client.request(Self.request(sessionId: full.sessionId, epoch: 2), version: version)
            let partitions = changed.responses.flatMap(\.partitions)
            #expect(partitions.map(\.partitionIndex) == [1])
            #expect(try FetchedRecord.all(in: partitions.first?.records).map(\.value) == ["c"])

            // A stale epoch and an unknown session are top-level errors.
            let stale = try await client.request(Self.request(sessionId: full.sessionId, epoch: 2), version: version)
            #expect(stale.errorCode == ErrorCode.invalidFetchSessionEpoch.rawValue)
            #expect(stale.responses.isEmpty)
            let unknown = try await client.request(Self.request(sessionId: full.sessionId &+ 1, epoch: 1), version: version)
            #expect(unknown.errorCode == ErrorCode.fetchSessionIdNotFound.rawValue)

            // Epoch -1 closes the session; the fetch is answered sessionless.
            let closed = try await client.request(Self.request(sessionId: full.sessionId, epoch: -1, topics: [Self.topic("s", [0])]), version: version)
            #expect(closed.sessionId == 0)
            #expect(closed.responses.flatMap(\.partitions).count == 1)
            let gone = try await client.request(Self.request(sessionId: full.sessionId, epoch: 3), version: version)
            #expect(gone.errorCode == ErrorCode.fetchSessionIdNotFound.rawValue)
        }
    }
}

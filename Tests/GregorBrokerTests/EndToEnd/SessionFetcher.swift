import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// A consumer's side of incremental fetch sessions (KIP-227), as Java's FetchSessionHandler
/// keeps it: a full fetch opens the session, then each request sends only the partitions whose
/// fetch parameters changed and the ones to forget. Before v7 there are no sessions, and every
/// request lists every partition the consumer holds, as clients of that age do.
struct SessionFetcher {
    /// A partition as "topic-partition".
    typealias Name = String

    let client: KafkaTestClient
    let version: Int16
    /// Topic ids by name, for v13+.
    let ids: [String: KafkaUUID]
    var maxWaitMs: Int32 = 0
    var minBytes: Int32 = 0
    var maxBytes: Int32 = 1 << 20
    var partitionMaxBytes: Int32 = 1 << 20
    private(set) var sessionId: Int32 = 0
    private var epoch: Int32 = 0
    /// The partitions the session holds, with the fetch offset last sent, in the order added.
    private(set) var held: [(name: Name, offset: Int64, maxBytes: Int32)] = []

    init(_ client: KafkaTestClient, version: Int16, ids: [String: KafkaUUID] = [:]) {
        self.client = client
        self.version = version
        self.ids = ids
    }

    var usesSessions: Bool { version >= 7 }

    /// One answer, by partition name, in response order.
    struct Answer {
        var version: Int16
        var sessionId: Int32
        var errorCode: Int16
        var order: [Name]
        var partitions: [Name: FetchResponse.PartitionData]
        var elapsed: Duration

        /// The offsets of the records returned for `name` (none when it is absent).
        func offsets(_ name: Name) throws -> [Int64] {
            try FetchedRecord.all(in: partitions[name]?.records).map(\.offset)
        }

        func error(_ name: Name) -> ErrorCode? { partitions[name].map { ErrorCode(rawValue: $0.errorCode) } }

        /// Nothing new for `name`: left out of an incremental response, or listed without records
        /// and without an error by a sessionless one.
        func isQuiet(_ name: Name) throws -> Bool {
            guard let p = partitions[name] else { return true }
            let none = try offsets(name).isEmpty
            return p.errorCode == 0 && none
        }
    }

    /// Opens a session (from v7) on `partitions`, each at its offset.
    mutating func full(_ partitions: [(Name, Int64)]) async throws -> Answer {
        held = partitions.map { ($0.0, $0.1, partitionMaxBytes) }
        epoch = 0
        return try await send(held.map { ($0.name, $0.offset) }, forget: [], sessionId: usesSessions ? sessionId : 0)
    }

    /// The next request: `changes` are partitions added or moved to a new offset (a seek, or
    /// the position after records were consumed), `forget` the ones to drop.
    mutating func incremental(_ changes: [(Name, Int64)] = [], forget: [Name] = []) async throws -> Answer {
        for (name, offset) in changes {
            if let i = held.firstIndex(where: { $0.name == name }) {
                held[i].offset = offset
                held[i].maxBytes = partitionMaxBytes
            } else {
                held.append((name, offset, partitionMaxBytes))
            }
        }
        held.removeAll { forget.contains($0.name) }
        guard usesSessions, sessionId != 0 else {
            return try await send(held.map { ($0.name, $0.offset) }, forget: [], sessionId: 0)
        }
        return try await send(changes, forget: forget, sessionId: sessionId)
    }

    private mutating func send(_ partitions: [(Name, Int64)], forget: [Name], sessionId: Int32) async throws -> Answer {
        let byId = version >= 13
        func split(_ name: Name) -> (String, Int32) {
            let cut = name.lastIndex(of: "-")!
            return (String(name[..<cut]), Int32(name[name.index(after: cut)...])!)
        }
        var topics: [FetchRequest.FetchTopic] = []
        for (name, offset) in partitions {
            let (topic, partition) = split(name)
            let p = FetchRequest.FetchPartition(partition: partition, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: partitionMaxBytes)
            if let last = topics.indices.last, topics[last].topic == topic {
                topics[last].partitions.append(p)
            } else {
                topics.append(.init(topic: topic, topicId: byId ? ids[topic] ?? .zero : .zero, partitions: [p]))
            }
        }
        // From v13 topics travel by id only (the name groups partitions above).
        if byId { for i in topics.indices { topics[i].topic = "" } }
        var forgotten: [FetchRequest.ForgottenTopic] = []
        for name in forget {
            let (topic, partition) = split(name)
            forgotten.append(.init(topic: byId ? "" : topic, topicId: byId ? ids[topic] ?? .zero : .zero, partitions: [partition]))
        }
        let request = FetchRequest(
            maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: maxBytes, isolationLevel: 0,
            sessionId: sessionId, sessionEpoch: usesSessions ? epoch : -1, topics: topics, forgottenTopicsData: forgotten)
        let start = ContinuousClock.now
        let response = try await client.request(request, version: version)
        let elapsed = ContinuousClock.now - start
        if usesSessions && response.errorCode == 0 {
            if response.sessionId != 0 {
                self.sessionId = response.sessionId
                epoch = FetchSessionEpoch.next(epoch)
            } else {
                self.sessionId = 0
                epoch = 0
            }
        }
        var answer = Answer(version: version, sessionId: response.sessionId, errorCode: response.errorCode, order: [], partitions: [:], elapsed: elapsed)
        let names = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
        for topic in response.responses {
            let name = byId ? names[topic.topicId] ?? "\(topic.topicId)" : topic.topic
            for p in topic.partitions {
                answer.order.append("\(name)-\(p.partitionIndex)")
                answer.partitions["\(name)-\(p.partitionIndex)"] = p
            }
        }
        return answer
    }
}

extension KafkaTestClient {
    /// `batches` produce requests of `perBatch` records each to one partition; values are "p<offset>".
    func produceBatches(_ topic: String, partition: Int32 = 0, batches: Int, perBatch: Int = 10, from start: Int64 = 0) async throws {
        for b in 0..<batches {
            let first = start + Int64(b * perBatch)
            let values = (0..<perBatch).map { "p\(first + Int64($0))" }
            let result = try await produce(Requests.produce(topic, partition: partition, values))
            try #require(result.errorCode == 0 && result.baseOffset == first, "produce to \(topic)-\(partition): \(result)")
        }
    }
}

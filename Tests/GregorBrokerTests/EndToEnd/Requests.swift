import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// Request builders and record helpers shared by the end-to-end tests.
enum Requests {
    /// A batch of records stamped now unless given. Old timestamps roll a segment per append
    /// (`segment.ms` counts from a segment's first timestamp, as in Kafka), and one fetch
    /// returns batches from one segment only.
    static func batch(_ values: [String], timestamps: [Int64]? = nil) throws -> ByteBuffer {
        var builder = RecordBatchBuilder()
        let now = Broker.wallClock()
        for (i, value) in values.enumerated() {
            builder.append(timestamp: timestamps?[i] ?? now + Int64(i), key: nil, value: ByteBuffer(string: value))
        }
        return try builder.build()
    }

    static func produce(_ topic: String, partition: Int32 = 0, acks: Int16 = 1, records: ByteBuffer?) -> ProduceRequest {
        ProduceRequest(
            transactionalId: nil, acks: acks, timeoutMs: 5000,
            topicData: [.init(name: topic, partitionData: [.init(index: partition, records: records)])])
    }

    static func produce(_ topic: String, partition: Int32 = 0, acks: Int16 = 1, _ values: [String], timestamps: [Int64]? = nil) throws -> ProduceRequest {
        produce(topic, partition: partition, acks: acks, records: try batch(values, timestamps: timestamps))
    }

    /// A Fetch by topic name (versions up to 12) or by topic id (13+).
    static func fetch(
        _ topic: String = "", id: KafkaUUID = .zero, partition: Int32 = 0, offset: Int64,
        maxWaitMs: Int32 = 0, minBytes: Int32 = 0
    ) -> FetchRequest {
        FetchRequest(
            maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
            topics: [.init(topic: topic, topicId: id, partitions: [.init(partition: partition, fetchOffset: offset, partitionMaxBytes: 1 << 20)])])
    }

    static func listOffsets(_ topic: String, partition: Int32 = 0, timestamp: Int64) -> ListOffsetsRequest {
        ListOffsetsRequest(replicaId: -1, topics: [.init(name: topic, partitions: [.init(partitionIndex: partition, timestamp: timestamp)])])
    }

    static func metadata(_ names: [String], allowAutoTopicCreation: Bool = true) -> MetadataRequest {
        MetadataRequest(topics: names.map { .init(name: $0) }, allowAutoTopicCreation: allowAutoTopicCreation)
    }

    static func createTopics(_ topics: [CreateTopicsRequest.CreatableTopic], validateOnly: Bool = false) -> CreateTopicsRequest {
        CreateTopicsRequest(topics: topics, timeoutMs: 5000, validateOnly: validateOnly)
    }

    /// What ApiVersions must advertise: the one table of supported versions, in key order.
    static var expectedApiVersions: [ApiVersionsResponse.ApiVersion] {
        SupportedApis.all.entries.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            .init(apiKey: $0.key.rawValue, minVersion: $0.versions.lowerBound, maxVersion: $0.versions.upperBound)
        }
    }
}

/// One record as a fetch returned it.
struct FetchedRecord: Equatable, CustomStringConvertible {
    var offset: Int64
    var timestamp: Int64
    var value: String?
    var description: String { "\(offset):\(value ?? "null")@\(timestamp)" }

    /// Every record of the batches in `records`; also checks each batch's CRC.
    static func all(in records: ByteBuffer?) throws -> [FetchedRecord] {
        guard let records else { return [] }
        var reader = RecordBatchReader(records)
        var out: [FetchedRecord] = []
        while let batch = try reader.next() {
            #expect(batch.verifyCRC(), "batch at \(batch.baseOffset) fails its CRC")
            for r in try batch.records() {
                out.append(FetchedRecord(offset: r.offset, timestamp: r.timestamp, value: r.value.map { String(buffer: $0) }))
            }
        }
        return out
    }

    static func baseOffsets(in records: ByteBuffer?) throws -> [Int64] {
        guard let records else { return [] }
        var reader = RecordBatchReader(records)
        var out: [Int64] = []
        while let batch = try reader.next() { out.append(batch.baseOffset) }
        return out
    }
}

extension KafkaTestClient {
    /// Creates a topic at CreateTopics v7 and returns its id; the creation must succeed.
    @discardableResult
    func createTopic(_ name: String, partitions: Int32 = 1, configs: [String: String] = [:]) async throws -> KafkaUUID {
        let response = try await request(
            Requests.createTopics([.init(
                name: name, numPartitions: partitions, replicationFactor: 1,
                configs: configs.map { .init(name: $0.key, value: $0.value) })]),
            version: 7)
        let result = try #require(response.topics.first)
        try #require(result.errorCode == 0, "CreateTopics \(name): \(result.errorCode) \(result.errorMessage ?? "")")
        return result.topicId
    }

    /// The single partition's result of a produce request.
    func produce(_ request: ProduceRequest, version: Int16 = 9) async throws -> ProduceResponse.PartitionProduceResponse {
        let response = try await self.request(request, version: version)
        return try #require(response.responses.first?.partitionResponses.first)
    }

    /// Every record from `offset` to the high watermark, fetching as a consumer does: from the
    /// offset after the last record returned, one segment's batches per fetch.
    func fetchAll(_ topic: String, from offset: Int64 = 0, version: Int16 = 12) async throws -> [FetchedRecord] {
        var records: [FetchedRecord] = []
        var next = offset
        for _ in 0..<100 {
            let partition = try await fetch(Requests.fetch(topic, offset: next), version: version)
            try #require(partition.errorCode == 0)
            let batch = try FetchedRecord.all(in: partition.records).filter { $0.offset >= next }
            records += batch
            next = (batch.last?.offset ?? next - 1) + 1
            if next >= partition.highWatermark { return records }
            try #require(!batch.isEmpty, "no progress at offset \(next)")
        }
        Issue.record("fetchAll did not reach the high watermark")
        return records
    }

    /// The single partition's result of a fetch request.
    func fetch(_ request: FetchRequest, version: Int16 = 12, timeout: TimeAmount = .seconds(10)) async throws -> FetchResponse.PartitionData {
        let response = try await self.request(request, version: version, timeout: timeout)
        #expect(response.errorCode == 0)
        return try #require(response.responses.first?.partitions.first)
    }

    func listOffset(_ topic: String, timestamp: Int64, version: Int16 = 9) async throws -> ListOffsetsResponse.ListOffsetsPartitionResponse {
        let response = try await request(Requests.listOffsets(topic, timestamp: timestamp), version: version)
        return try #require(response.topics.first?.partitions.first)
    }

    /// ApiVersions v3 answers without error: the connection (or a new one) is served.
    func expectServed() async throws {
        let response = try await request(ApiVersionsRequest(clientSoftwareName: "gregor-tests", clientSoftwareVersion: "1"), version: 3)
        #expect(response.errorCode == 0)
        #expect(response.apiKeys == Requests.expectedApiVersions)
    }
}

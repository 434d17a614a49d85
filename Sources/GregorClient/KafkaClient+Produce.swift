import Foundation
import KafkaProtocol
import NIOCore

/// A record to produce.
public struct ProducerRecord: Hashable, Sendable {
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]
    public var timestamp: Int64?

    public init(key: ByteBuffer? = nil, value: ByteBuffer?, headers: [RecordHeader] = [], timestamp: Int64? = nil) {
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// One line of input: with a separator, the key is what comes before its first occurrence
    /// (a line without it has no key), as kcat's -K does.
    public init(line: String, keySeparator: String?, headers: [RecordHeader] = []) {
        if let keySeparator, !keySeparator.isEmpty, let range = line.range(of: keySeparator) {
            self.init(
                key: ByteBuffer(string: String(line[..<range.lowerBound])), value: ByteBuffer(string: String(line[range.upperBound...])),
                headers: headers)
        } else {
            self.init(key: nil, value: ByteBuffer(string: line), headers: headers)
        }
    }
}

/// The outcome for one partition of a Produce.
public struct ProduceResult: Hashable, Sendable {
    public var partition: Int32
    public var recordCount: Int
    public var error: ErrorCode
    public var errorMessage: String?
    public var baseOffset: Int64

    public var description: String {
        if error == .none { return "partition \(partition): \(recordCount) records at offset \(baseOffset)" }
        return "partition \(partition): \(error.name)\(errorMessage.map { ": \($0)" } ?? error.defaultMessage.map { ": \($0)" } ?? "")"
    }
}

/// Kafka's murmur2 (the Java client's default partitioner for keyed records).
public func murmur2(_ bytes: some Collection<UInt8>) -> Int32 {
    let data = Array(bytes)
    let length = data.count
    let seed: UInt32 = 0x9747_b28c
    let m: UInt32 = 0x5bd1_e995
    let r: UInt32 = 24
    var h = seed ^ UInt32(truncatingIfNeeded: length)
    let length4 = length / 4
    for i in 0..<length4 {
        let i4 = i * 4
        var k = UInt32(data[i4]) | UInt32(data[i4 + 1]) << 8 | UInt32(data[i4 + 2]) << 16 | UInt32(data[i4 + 3]) << 24
        k = k &* m
        k ^= k >> r
        k = k &* m
        h = h &* m
        h ^= k
    }
    let tail = length4 * 4
    switch length % 4 {
    case 3:
        h ^= UInt32(data[tail + 2]) << 16
        fallthrough
    case 2:
        h ^= UInt32(data[tail + 1]) << 8
        fallthrough
    case 1:
        h ^= UInt32(data[tail])
        h = h &* m
    default: break
    }
    h ^= h >> 13
    h = h &* m
    h ^= h >> 15
    return Int32(bitPattern: h)
}

extension KafkaClient {
    /// Sends `records` to `topic` in one Produce: all to `partition` when given; otherwise keyed
    /// records by murmur2 of the key as Kafka's partitioner does, and unkeyed ones to one
    /// partition picked at random (sticky). One batch per partition, built with `RecordBatchBuilder`.
    public func produce(
        topic: String, partition: Int32? = nil, records: [ProducerRecord], compression: CompressionCodec = .none, acks: Int16 = 1
    ) async throws -> [ProduceResult] {
        guard !records.isEmpty else { return [] }
        let partitionCount: Int32
        if partition == nil {
            partitionCount = Int32(try await topicMetadataAllowingCreation(topic).partitions.count)
        } else {
            partitionCount = 1
        }
        let sticky = Int32.random(in: 0..<max(partitionCount, 1))
        var byPartition: [Int32: [ProducerRecord]] = [:]
        var order: [Int32] = []
        for record in records {
            let target: Int32
            if let partition {
                target = partition
            } else if let key = record.key {
                target = (murmur2(key.readableBytesView) & 0x7fff_ffff) % max(partitionCount, 1)
            } else {
                target = sticky
            }
            if byPartition[target] == nil { order.append(target) }
            byPartition[target, default: []].append(record)
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var partitionData: [ProduceRequest.PartitionProduceData] = []
        for index in order {
            var builder = RecordBatchBuilder(compression: compression)
            for record in byPartition[index]! {
                builder.append(timestamp: record.timestamp ?? now, key: record.key, value: record.value, headers: record.headers)
            }
            partitionData.append(.init(index: index, records: try builder.build()))
        }
        // Each partition's batch goes to its leader (one Produce per leader).
        return try await withLeaders(topic: topic, partitions: order) { leaders in
            var results: [ProduceResult] = []
            for (client, led) in leaders.groups {
                let request = ProduceRequest(
                    acks: acks, timeoutMs: 30_000, topicData: [.init(name: topic, partitionData: partitionData.filter { led.contains($0.index) })])
                if acks == 0 {
                    // No response comes for acks=0: write and report success.
                    try await client.connection.sendWithoutResponse(request, version: try client.version(of: ProduceRequest.self))
                    results += led.map { ProduceResult(partition: $0, recordCount: byPartition[$0]!.count, error: .none, baseOffset: -1) }
                    continue
                }
                let response = try await client.send(request)
                for t in response.responses {
                    for p in t.partitionResponses {
                        let message = p.errorMessage ?? p.recordErrors.first?.batchIndexErrorMessage
                        results.append(
                            ProduceResult(
                                partition: p.index, recordCount: byPartition[p.index]?.count ?? 0, error: ErrorCode(rawValue: p.errorCode),
                                errorMessage: message, baseOffset: p.baseOffset))
                    }
                }
            }
            return results.sorted { $0.partition < $1.partition }
        }
    }

    /// Metadata for one topic, letting the broker auto-create it as a producer would.
    func topicMetadataAllowingCreation(_ name: String) async throws -> MetadataResponse.MetadataResponseTopic {
        for attempt in 0..<10 {
            let response = try await send(MetadataRequest(topics: [.init(name: name)], allowAutoTopicCreation: true))
            if let topic = response.topics.first(where: { $0.name == name }) {
                let code = ErrorCode(rawValue: topic.errorCode)
                if code == .none, !topic.partitions.isEmpty { return topic }
                if !code.isRetriable || attempt == 9 {
                    try GregorClientError.check(topic.errorCode, nil, "topic \(name)")
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw GregorClientError.broker(.unknownTopicOrPartition, nil, context: "topic \(name)")
    }
}

extension KafkaConnection {
    /// Writes a request that gets no response (Produce with acks=0).
    func sendWithoutResponse<R: KafkaAPIMessage>(_ request: R, version: Int16) async throws {
        let header = RequestHeader(requestApiKey: R.apiKey.rawValue, requestApiVersion: version, correlationId: 0, clientId: "gregor-cli")
        var payload = ByteBuffer()
        payload.writeInteger(Int32(0))
        try header.write(to: &payload, version: R.apiKey.requestHeaderVersion(version))
        try request.write(to: &payload, version: version)
        payload.setInteger(Int32(payload.readableBytes - 4), at: payload.readerIndex)
        try await channel.writeAndFlush(payload)
    }
}

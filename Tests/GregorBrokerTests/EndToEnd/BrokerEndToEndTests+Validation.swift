import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// The leader's record validation on Produce (Kafka's LogValidator) and per-record errors (KIP-467).
extension BrokerEndToEndTests {
    /// A v2 batch of (key, timestamp) records, built as a producer would.
    static func keyedBatch(
        _ records: [(key: String?, timestamp: Int64)], compression: CompressionCodec = .none, baseOffset: Int64 = 0,
        producerId: Int64 = -1, baseSequence: Int32 = -1, logAppendTime: Int64? = nil
    ) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(
            baseOffset: baseOffset, compression: compression, producerId: producerId, producerEpoch: producerId >= 0 ? 0 : -1,
            baseSequence: baseSequence, logAppendTime: logAppendTime)
        for (i, r) in records.enumerated() {
            builder.append(timestamp: r.timestamp, key: r.key.map { ByteBuffer(string: $0) }, value: ByteBuffer(string: "v\(i)"))
        }
        return try builder.build()
    }

    @Test func recordsOutsideTheTimestampBoundsAreRejectedWithPerRecordErrors() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("bounded", configs: [
                "message.timestamp.before.max.ms": "60000", "message.timestamp.after.max.ms": "60000",
            ])
            let now = Broker.wallClock()
            let batch = try Self.keyedBatch([(nil, now), (nil, now - 600_000), (nil, now + 600_000), (nil, now + 1)], compression: .lz4)
            let refused = try await client.produce(Requests.produce("bounded", records: batch), version: 9)
            #expect(refused.errorCode == ErrorCode.invalidTimestamp.rawValue)
            #expect(refused.baseOffset == -1)
            #expect(refused.logStartOffset == 0)
            #expect(refused.errorMessage == "One or more records have been rejected due to invalid timestamp")
            #expect(refused.recordErrors.map(\.batchIndex) == [1, 2])
            let first = try #require(refused.recordErrors.first?.batchIndexErrorMessage)
            #expect(first.hasPrefix("Timestamp \(now - 600_000) of message with offset 1 is out of range. The timestamp should be within ["))

            // Before v8 only the code: the same refusal, no message, no record errors on the wire.
            let old = try await client.produce(Requests.produce("bounded", records: batch), version: 7)
            #expect(old.errorCode == ErrorCode.invalidTimestamp.rawValue)
            #expect(old.recordErrors.isEmpty && old.errorMessage == nil)

            // Nothing was appended: the next good batch starts at offset 0.
            let good = try await client.produce(Requests.produce("bounded", records: try Self.keyedBatch([(nil, now), (nil, now + 5)])))
            #expect(good.errorCode == 0 && good.baseOffset == 0)
        }
    }

    @Test func theDefaultAllowsOldTimestampsButNotOnesMoreThanAnHourAhead() async throws {
        // Kafka 4.0 (KIP-1030): message.timestamp.after.max.ms defaults to one hour, before.max.ms to none.
        try await TestBroker.with { _, client in
            try await client.createTopic("defaults")
            let now = Broker.wallClock()
            let ancient = try await client.produce(Requests.produce("defaults", records: try Self.keyedBatch([(nil, 1000)])))
            #expect(ancient.errorCode == 0)
            let future = try await client.produce(Requests.produce("defaults", records: try Self.keyedBatch([(nil, now + 2 * 3_600_000)])))
            #expect(future.errorCode == ErrorCode.invalidTimestamp.rawValue)
            #expect(future.recordErrors.map(\.batchIndex) == [0])
        }
    }

    @Test func keylessRecordsInACompactedTopicAreRejected() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("table", configs: ["cleanup.policy": "compact,delete"])
            let now = Broker.wallClock()
            let batch = try Self.keyedBatch([("k", now), (nil, now), ("k2", now), (nil, now)], compression: .gzip)
            let refused = try await client.produce(Requests.produce("table", records: batch), version: 11)
            #expect(refused.errorCode == ErrorCode.invalidRecord.rawValue)
            #expect(refused.recordErrors.map(\.batchIndex) == [1, 3])
            let message = "Compacted topic cannot accept message without key in topic partition table-0"
            #expect(refused.recordErrors.map(\.batchIndexErrorMessage) == [message, message])
            #expect(refused.errorMessage == "One or more records have been rejected due to 2 record errors in total, and only showing "
                + "the first three errors at most: [RecordError(batchIndex=1, message='\(message)'), RecordError(batchIndex=3, message='\(message)')]")
            let keyed = try await client.produce(Requests.produce("table", records: try Self.keyedBatch([("a", now), ("b", now)])))
            #expect(keyed.errorCode == 0 && keyed.baseOffset == 0)
        }
    }

    @Test func logAppendTimeTopicsStampTheBrokerTimeAndRefuseProducerSetAppendTime() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("stamped", configs: ["message.timestamp.type": "LogAppendTime", "message.timestamp.after.max.ms": "0"])
            let before = Broker.wallClock()
            // Under LogAppendTime the bounds do not apply: a record from far ahead is accepted.
            let ok = try await client.produce(Requests.produce("stamped", records: try Self.keyedBatch([(nil, before + 86_400_000)])))
            #expect(ok.errorCode == 0 && ok.baseOffset == 0)
            #expect(ok.logAppendTimeMs >= before && ok.logAppendTimeMs < before + 600_000)
            let records = try FetchedRecord.all(in: try await client.fetch(Requests.fetch("stamped", offset: 0)).records)
            #expect(records.map(\.timestamp) == [ok.logAppendTimeMs])

            let producerStamped = try Self.keyedBatch([(nil, before), (nil, before)], logAppendTime: before)
            let refused = try await client.produce(Requests.produce("stamped", records: producerStamped))
            #expect(refused.errorCode == ErrorCode.invalidTimestamp.rawValue)
            #expect(refused.recordErrors.map(\.batchIndex) == [0, 1])
            #expect(refused.recordErrors.first?.batchIndexErrorMessage?.hasSuffix("Producer should not set timestamp type to LogAppendTime.") == true)
        }
    }

    @Test func malformedBatchesAreRefusedWholeWithoutAMessage() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("strict")
            let now = Broker.wallClock()
            // A client's batch must start at offset 0 (UnifiedLog.analyzeAndValidateRecords).
            let shifted = try await client.produce(Requests.produce("strict", records: try Self.keyedBatch([(nil, now)], baseOffset: 5)))
            #expect(shifted.errorCode == ErrorCode.invalidRecord.rawValue)
            #expect(shifted.errorMessage == nil && shifted.recordErrors.isEmpty)
            // An idempotent batch needs a sequence (LogValidator.validateBatch).
            let noSequence = try await client.produce(Requests.produce("strict", records: try Self.keyedBatch([(nil, now)], producerId: 7)))
            #expect(noSequence.errorCode == ErrorCode.invalidRecord.rawValue)
            // From v3, exactly one batch per partition (ProduceRequest.validateRecords).
            var two = try Self.keyedBatch([(nil, now)])
            var second = try Self.keyedBatch([(nil, now)])
            two.writeBuffer(&second)
            let twoBatches = try await client.produce(Requests.produce("strict", records: two), version: 9)
            #expect(twoBatches.errorCode == ErrorCode.invalidRecord.rawValue)
            // ZStandard needs Produce v7.
            let zstd = try Self.keyedBatch([(nil, now)], compression: .zstd)
            let early = try await client.produce(Requests.produce("strict", records: zstd), version: 6)
            #expect(early.errorCode == ErrorCode.unsupportedCompressionType.rawValue)
            let late = try await client.produce(Requests.produce("strict", records: zstd), version: 7)
            #expect(late.errorCode == 0 && late.baseOffset == 0)
        }
    }
}

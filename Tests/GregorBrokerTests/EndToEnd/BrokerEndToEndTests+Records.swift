import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// Produce, Fetch (with long polling) and ListOffsets over the wire.
extension BrokerEndToEndTests {
    @Test func produceWithAcksOneThenFetchReturnsTheRecordsWithOffsets() async throws {
        try await TestBroker.with { _, client in
            let topicId = try await client.createTopic("events")
            let t = Broker.wallClock()
            let first = try await client.produce(Requests.produce("events", ["a", "b", "c"], timestamps: [t, t + 1, t + 2]))
            #expect(first.errorCode == 0)
            #expect(first.baseOffset == 0)
            #expect(first.logAppendTimeMs == -1)
            #expect(first.logStartOffset == 0)
            // The oldest and newest Produce versions append to the same log.
            let second = try await client.produce(Requests.produce("events", ["d", "e"], timestamps: [t + 3, t + 4]), version: 3)
            #expect(second.errorCode == 0 && second.baseOffset == 3)
            let third = try await client.produce(Requests.produce("events", ["f"], timestamps: [t + 5]), version: 11)
            #expect(third.errorCode == 0 && third.baseOffset == 5)

            let all = try await client.fetch(Requests.fetch("events", offset: 0))
            #expect(all.errorCode == 0)
            #expect(all.highWatermark == 6)
            #expect(all.lastStableOffset == 6)
            #expect(all.logStartOffset == 0)
            let baseOffsets = try FetchedRecord.baseOffsets(in: all.records)
            #expect(baseOffsets == [0, 3, 5])
            let records = try FetchedRecord.all(in: all.records)
            #expect(records == ["a", "b", "c", "d", "e", "f"].enumerated().map {
                FetchedRecord(offset: Int64($0.offset), timestamp: t + Int64($0.offset), value: $0.element)
            })

            // By topic id (v13+), from the middle: the batch holding offset 4 onwards.
            let byId = try await client.fetch(Requests.fetch(id: topicId, offset: 4), version: 16)
            #expect(byId.errorCode == 0)
            let fromFour = try FetchedRecord.all(in: byId.records).map(\.offset)
            #expect(fromFour == [3, 4, 5])
            // The oldest Fetch version.
            let old = try await client.fetch(Requests.fetch("events", offset: 5), version: 4)
            let oldValues = try FetchedRecord.all(in: old.records).map(\.value)
            #expect(oldValues == ["f"])

            // At the end: nothing, no error.
            let end = try await client.fetch(Requests.fetch("events", offset: 6))
            #expect(end.errorCode == 0)
            #expect(try FetchedRecord.all(in: end.records).isEmpty)
            let beyond = try await client.fetch(Requests.fetch("events", offset: 99))
            #expect(beyond.errorCode == ErrorCode.offsetOutOfRange.rawValue)
            let noPartition = try await client.fetch(Requests.fetch("events", partition: 7, offset: 0))
            #expect(noPartition.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        }
    }

    @Test func recordsWithOldTimestampsAreFetchedAcrossSegments() async throws {
        // Timestamps far in the past roll a segment per append (segment.ms, as Kafka does), and
        // a fetch reads one segment: a consumer fetching from each next offset still gets all.
        try await TestBroker.with { _, client in
            try await client.createTopic("history")
            for (i, values) in [["a", "b"], ["c"], ["d", "e", "f"]].enumerated() {
                let result = try await client.produce(Requests.produce("history", values, timestamps: values.map { _ in Int64(1000 * (i + 1)) }))
                #expect(result.errorCode == 0)
            }
            let first = try await client.fetch(Requests.fetch("history", offset: 0))
            let firstOffsets = try FetchedRecord.all(in: first.records).map(\.offset)
            #expect(firstOffsets.first == 0)
            let all = try await client.fetchAll("history")
            #expect(all.map(\.offset) == [0, 1, 2, 3, 4, 5])
            #expect(all.map(\.value) == ["a", "b", "c", "d", "e", "f"])
            #expect(all.map(\.timestamp) == [1000, 1000, 2000, 3000, 3000, 3000])
        }
    }

    @Test func produceWithAcksZeroGetsNoResponseAndTheNextResponseStillArrives() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("fire-and-forget")
            _ = try await client.send(try Requests.produce("fire-and-forget", acks: 0, ["x", "y"]), version: 9)
            // The next response on the connection is the ApiVersions one: no response for acks=0.
            try await client.expectServed()
            let fetched = try await client.fetch(Requests.fetch("fire-and-forget", offset: 0))
            #expect(try FetchedRecord.all(in: fetched.records).map(\.value) == ["x", "y"])
        }
    }

    @Test func produceWithInvalidAcks() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("acks")
            for acks: Int16 in [2, -2, 5] {
                let result = try await client.produce(Requests.produce("acks", acks: acks, ["x"]))
                #expect(result.errorCode == ErrorCode.invalidRequiredAcks.rawValue, "acks=\(acks)")
                #expect(result.errorCode == 21)
            }
            let fetched = try await client.fetch(Requests.fetch("acks", offset: 0))
            #expect(fetched.highWatermark == 0)
        }
    }

    @Test func produceOfABatchAboveMaxMessageBytes() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("small", configs: ["max.message.bytes": "1000"])
            let big = String(repeating: "x", count: 2000)
            let tooLarge = try await client.produce(Requests.produce("small", [big]))
            #expect(tooLarge.errorCode == ErrorCode.messageTooLarge.rawValue)
            #expect(tooLarge.errorCode == 10)
            let fits = try await client.produce(Requests.produce("small", ["fits"]))
            #expect(fits.errorCode == 0 && fits.baseOffset == 0)
        }
    }

    @Test func produceWithACorruptCRC() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("crc")
            var batch = try Requests.batch(["payload"])
            let last = batch.writerIndex - 2
            batch.setInteger(batch.getInteger(at: last, as: UInt8.self)! ^ 0xFF, at: last)
            let corrupt = try await client.produce(Requests.produce("crc", records: batch))
            #expect(corrupt.errorCode == ErrorCode.corruptMessage.rawValue)
            #expect(corrupt.errorCode == 2)
            // Nothing was appended.
            let good = try await client.produce(Requests.produce("crc", ["payload"]))
            #expect(good.errorCode == 0 && good.baseOffset == 0)
        }
    }

    @Test func listOffsetsEarliestLatestAndByTimestamp() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("times")
            let empty = try await client.listOffset("times", timestamp: -1)
            #expect(empty.errorCode == 0 && empty.offset == 0)
            _ = try await client.produce(Requests.produce("times", ["a", "b", "c"], timestamps: [1000, 2000, 3000]))
            _ = try await client.produce(Requests.produce("times", ["d", "e"], timestamps: [4000, 5000]))

            let earliest = try await client.listOffset("times", timestamp: -2)
            #expect(earliest.errorCode == 0 && earliest.offset == 0)
            let latest = try await client.listOffset("times", timestamp: -1)
            #expect(latest.errorCode == 0 && latest.offset == 5)
            #expect(latest.leaderEpoch == 0)
            // The first offset whose timestamp is at or after the target, inside a batch too.
            let exact = try await client.listOffset("times", timestamp: 2000)
            #expect(exact.offset == 1 && exact.timestamp == 2000)
            let between = try await client.listOffset("times", timestamp: 2500)
            #expect(between.offset == 2 && between.timestamp == 3000)
            let secondBatch = try await client.listOffset("times", timestamp: 4500)
            #expect(secondBatch.offset == 4 && secondBatch.timestamp == 5000)
            let beforeAll = try await client.listOffset("times", timestamp: 1)
            #expect(beforeAll.offset == 0 && beforeAll.timestamp == 1000)
            let afterAll = try await client.listOffset("times", timestamp: 9999)
            #expect(afterAll.errorCode == 0 && afterAll.offset == -1 && afterAll.timestamp == -1)
            // MAX_TIMESTAMP (KIP-734).
            let max = try await client.listOffset("times", timestamp: -3)
            #expect(max.offset == 4 && max.timestamp == 5000)
            // The oldest version, non-flexible.
            let v1 = try await client.listOffset("times", timestamp: -1, version: 1)
            #expect(v1.errorCode == 0 && v1.offset == 5)

            let unknown = try await client.listOffset("no-such-topic", timestamp: -1)
            #expect(unknown.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        }
    }

    // MARK: Long polling

    @Test func fetchLongPollReturnsSoonAfterAProduceFromAnotherConnection() async throws {
        try await TestBroker.with { broker, client in
            try await client.createTopic("poll")
            let start = ContinuousClock.now
            let id = try await client.send(Requests.fetch("poll", offset: 0, maxWaitMs: 30_000, minBytes: 1), version: 12)
            try await Task.sleep(for: .milliseconds(300))
            let producer = try await broker.connect()
            let produced = try await producer.produce(Requests.produce("poll", ["wake up"]))
            #expect(produced.errorCode == 0)
            await producer.close()

            let response = try await client.receive(FetchResponse.self, version: 12, correlationId: id, timeout: .seconds(40))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(250), "returned before the produce: \(elapsed)")
            // Far below maxWaitMs even on a loaded machine: the append woke it.
            #expect(elapsed < .seconds(15), "long poll did not wake on the produce: \(elapsed)")
            let partition = try #require(response.responses.first?.partitions.first)
            #expect(partition.errorCode == 0)
            #expect(try FetchedRecord.all(in: partition.records).map(\.value) == ["wake up"])
        }
    }

    @Test func fetchLongPollReturnsEmptyAfterMaxWaitAndKeepsResponseOrder() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("quiet")
            let start = ContinuousClock.now
            let fetchId = try await client.send(Requests.fetch("quiet", offset: 0, maxWaitMs: 2000, minBytes: 1), version: 12)
            // Pipelined behind the waiting fetch: answered after it, never before.
            let versionsId = try await client.send(ApiVersionsRequest(), version: 3)

            let response = try await client.receive(FetchResponse.self, version: 12, correlationId: fetchId, timeout: .seconds(15))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(1900), "returned before maxWaitMs: \(elapsed)")
            #expect(elapsed < .seconds(10), "returned long after maxWaitMs: \(elapsed)")
            let partition = try #require(response.responses.first?.partitions.first)
            #expect(partition.errorCode == 0)
            #expect(partition.highWatermark == 0)
            #expect(try FetchedRecord.all(in: partition.records).isEmpty)
            let versions = try await client.receive(ApiVersionsResponse.self, version: 3, correlationId: versionsId)
            #expect(versions.errorCode == 0)
        }
    }

    @Test func aResponseIsNotHeldBackByALongPollPipelinedBehindIt() async throws {
        // Responses of pipelined requests leave together when they can (KafkaChannelHandler.
        // flushSoon); one whose successor waits at the log end must still leave at once.
        try await TestBroker.with { _, client in
            try await client.createTopic("held")
            var bytes = ByteBuffer()
            let produceId = client.takeCorrelationId()
            var produce = try client.frame(try Requests.produce("held", ["first"]), version: 9, correlationId: produceId)
            bytes.writeBuffer(&produce)
            let fetchId = client.takeCorrelationId()
            var fetch = try client.frame(Requests.fetch("held", offset: 1, maxWaitMs: 5000, minBytes: 1), version: 12, correlationId: fetchId)
            bytes.writeBuffer(&fetch)
            let start = ContinuousClock.now
            try await client.write(bytes)

            let produced = try await client.receive(ProduceResponse.self, version: 9, correlationId: produceId)
            let answered = ContinuousClock.now - start
            #expect(try #require(produced.responses.first?.partitionResponses.first).errorCode == 0)
            #expect(answered < .milliseconds(2500), "the produce waited for the fetch behind it: \(answered)")
            let fetched = try await client.receive(FetchResponse.self, version: 12, correlationId: fetchId, timeout: .seconds(20))
            #expect(ContinuousClock.now - start >= .milliseconds(4900))
            #expect(try FetchedRecord.all(in: try #require(fetched.responses.first?.partitions.first).records).isEmpty)
        }
    }

    @Test func fetchWithMinBytesAlreadyAvailableDoesNotWait() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("ready")
            _ = try await client.produce(Requests.produce("ready", ["here"]))
            let start = ContinuousClock.now
            let partition = try await client.fetch(Requests.fetch("ready", offset: 0, maxWaitMs: 30_000, minBytes: 1))
            #expect(ContinuousClock.now - start < .seconds(15))
            #expect(try FetchedRecord.all(in: partition.records).map(\.value) == ["here"])
        }
    }
}

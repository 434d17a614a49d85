import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// A real broker on a real socket, driven by requests encoded with the generated codec.
/// Serialized: the long-polling tests measure time, and the machine has two slow cores.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct BrokerEndToEndTests {
    // MARK: ApiVersions

    @Test(arguments: [Int16(0), 1, 2, 3, 4])
    func apiVersionsListsTheSupportedTable(version: Int16) async throws {
        try await TestBroker.with { _, client in
            let id = client.takeCorrelationId()
            let request = ApiVersionsRequest(clientSoftwareName: "gregor-tests", clientSoftwareVersion: "1.0")
            try await client.write(client.frame(request, version: version, correlationId: id))
            var frame = try #require(try await client.nextFrame())
            // Response header v0 at every version (KIP-511): correlation id, then the body at once.
            // Under header v1 the byte after the error code would be the tag count, 0.
            #expect(frame.getInteger(at: 0, as: Int32.self) == id)
            #expect(frame.getInteger(at: 4, as: Int16.self) == 0)
            if version >= 3 {
                #expect(frame.getInteger(at: 6, as: UInt8.self) == UInt8(Requests.expectedApiVersions.count + 1))
            } else {
                #expect(frame.getInteger(at: 6, as: Int32.self) == Int32(Requests.expectedApiVersions.count))
            }
            let response = try KafkaTestClient.decode(ApiVersionsResponse.self, from: &frame, version: version, correlationId: id)
            #expect(response.errorCode == 0)
            #expect(response.apiKeys == Requests.expectedApiVersions)
            #expect(Set(response.apiKeys.map(\.apiKey)).isSuperset(of: [0, 1, 2, 3, 18, 19, 20, 22]))
        }
    }

    @Test func apiVersionsAtAnUnknownVersionAnswersWithTheListInAV0Body() async throws {
        try await TestBroker.with { _, client in
            let id = client.takeCorrelationId()
            // A client newer than the broker: header v2 (flexible), its own newest body.
            let request = ApiVersionsRequest(clientSoftwareName: "future-client", clientSoftwareVersion: "9.9")
            try await client.write(client.frame(request, version: 99, correlationId: id, bodyVersion: 3))
            var frame = try #require(try await client.nextFrame())
            let header = try ResponseHeader(from: &frame, version: 0)
            #expect(header.correlationId == id)
            let body = try ApiVersionsResponse(from: &frame, version: 0)
            #expect(frame.readableBytes == 0)
            #expect(body.errorCode == ErrorCode.unsupportedVersion.rawValue)
            #expect(body.errorCode == 35)
            #expect(body.apiKeys == Requests.expectedApiVersions)
            // The connection stays open: the client retries at a version both know.
            try await client.expectServed()
        }
    }

    // MARK: Metadata

    @Test func metadataAutoCreatesATopic() async throws {
        try await TestBroker.with { broker, client in
            let response = try await client.request(Requests.metadata(["auto-topic"]), version: 12)
            #expect(response.brokers.map(\.nodeId) == [1])
            #expect(response.brokers.first?.host == "127.0.0.1")
            #expect(response.controllerId == 1)
            #expect(response.clusterId == broker.broker.metadata.clusterId)
            let topic = try #require(response.topics.first)
            #expect(topic.errorCode == 0)
            #expect(topic.name == "auto-topic")
            #expect(topic.topicId != .zero)
            #expect(topic.partitions.map(\.partitionIndex) == [0])
            #expect(topic.partitions.first?.leaderId == 1)
            #expect(topic.partitions.first?.isrNodes == [1])

            // It exists now: null topics (v1+) and an empty list at v0 both mean "all".
            let all = try await client.request(MetadataRequest(topics: nil), version: 1)
            #expect(all.topics.map(\.name) == ["auto-topic"])
            let allV0 = try await client.request(MetadataRequest(topics: []), version: 0)
            #expect(allV0.topics.map(\.name) == ["auto-topic"])
            let again = try await client.request(Requests.metadata(["auto-topic"]), version: 12)
            #expect(again.topics.first?.topicId == topic.topicId)

            // v4+: the client can ask not to create.
            let declined = try await client.request(Requests.metadata(["declined"], allowAutoTopicCreation: false), version: 12)
            #expect(declined.topics.first?.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
            #expect(broker.broker.metadata.topic("declined") == nil)
        }
    }

    @Test func metadataOfAnUnknownTopicWithAutoCreateOff() async throws {
        try await TestBroker.with({ $0.autoCreateTopics = false }) { broker, client in
            for version: Int16 in [1, 9, 12] {
                let response = try await client.request(Requests.metadata(["missing"]), version: version)
                #expect(response.topics.count == 1)
                #expect(response.topics.first?.errorCode == 3, "v\(version)")
                #expect(response.topics.first?.partitions.isEmpty == true)
            }
            let invalid = try await client.request(Requests.metadata(["bad name"]), version: 12)
            #expect(invalid.topics.first?.errorCode == ErrorCode.invalidTopicException.rawValue)
            let all = try await client.request(MetadataRequest(topics: nil), version: 12)
            #expect(all.topics.isEmpty)
            #expect(broker.broker.metadata.topics.isEmpty)
        }
    }

    // MARK: CreateTopics

    @Test func createTopics() async throws {
        try await TestBroker.with({ $0.autoCreateTopics = false }) { broker, client in
            let response = try await client.request(
                Requests.createTopics([
                    .init(name: "orders", numPartitions: 3, replicationFactor: 1),
                    .init(name: "bad name!", numPartitions: 1, replicationFactor: 1),
                    .init(name: "triple", numPartitions: 1, replicationFactor: 3),
                    .init(name: "defaults", numPartitions: -1, replicationFactor: -1),
                    .init(name: "bad-config", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "retention.ms", value: "soon")]),
                ]), version: 7)
            let byName = Dictionary(uniqueKeysWithValues: response.topics.map { ($0.name, $0) })
            let orders = try #require(byName["orders"])
            #expect(orders.errorCode == 0)
            #expect(orders.numPartitions == 3 && orders.replicationFactor == 1)
            #expect(orders.topicId != .zero)
            #expect(byName["bad name!"]?.errorCode == 17)
            #expect(byName["triple"]?.errorCode == 38)
            #expect(byName["defaults"]?.errorCode == 0)
            #expect(byName["defaults"]?.numPartitions == 1)
            #expect(byName["bad-config"]?.errorCode == ErrorCode.invalidConfig.rawValue)

            let duplicate = try await client.request(
                Requests.createTopics([.init(name: "orders", numPartitions: 1, replicationFactor: 1)]), version: 7)
            #expect(duplicate.topics.first?.errorCode == 36)

            let metadata = try await client.request(Requests.metadata(["orders", "bad name!", "triple", "bad-config"]), version: 12)
            #expect(metadata.topics.map(\.errorCode) == [0, 17, 3, 3])
            #expect(metadata.topics.first?.partitions.count == 3)
            #expect(metadata.topics.first?.topicId == orders.topicId)
            #expect(broker.broker.metadata.topics.map(\.name) == ["defaults", "orders"])
        }
    }

    @Test func createTopicsValidateOnlyCreatesNothing() async throws {
        try await TestBroker.with({ $0.autoCreateTopics = false }) { broker, client in
            let response = try await client.request(
                Requests.createTopics([
                    .init(name: "dry-run", numPartitions: 2, replicationFactor: 1),
                    .init(name: "dry-triple", numPartitions: 1, replicationFactor: 3),
                ], validateOnly: true), version: 7)
            #expect(response.topics.map(\.errorCode) == [0, 38])
            #expect(response.topics.first?.numPartitions == 2)
            #expect(broker.broker.metadata.topics.isEmpty)
            let metadata = try await client.request(Requests.metadata(["dry-run"]), version: 12)
            #expect(metadata.topics.first?.errorCode == 3)
            // And the real creation afterwards still works.
            try await client.createTopic("dry-run", partitions: 2)
        }
    }

    @Test func createTopicsAtTheOldestVersion() async throws {
        try await TestBroker.with { broker, client in
            let response = try await client.request(
                Requests.createTopics([.init(name: "old-client", numPartitions: 2, replicationFactor: 1)]), version: 2)
            #expect(response.topics.map(\.errorCode) == [0])
            #expect(broker.broker.metadata.topic("old-client")?.partitionCount == 2)
        }
    }

    // MARK: DeleteTopics

    @Test func deleteTopicsByNameAndById() async throws {
        try await TestBroker.with({ $0.autoCreateTopics = false }) { broker, client in
            try await client.createTopic("doomed")
            let secondId = try await client.createTopic("also-doomed", partitions: 2)
            _ = try await client.produce(Requests.produce("doomed", ["before"]))

            let byName = try await client.request(DeleteTopicsRequest(topicNames: ["doomed", "never-was"], timeoutMs: 5000), version: 5)
            #expect(byName.responses.map(\.name) == ["doomed", "never-was"])
            #expect(byName.responses.map(\.errorCode) == [0, 3])
            let gone = try await client.request(Requests.metadata(["doomed"]), version: 12)
            #expect(gone.topics.first?.errorCode == 3)

            let unknownId = KafkaUUID(high: 0x1234, low: 0x5678)
            let byId = try await client.request(
                DeleteTopicsRequest(topics: [.init(name: nil, topicId: secondId), .init(name: nil, topicId: unknownId)], timeoutMs: 5000),
                version: 6)
            #expect(byId.responses.map(\.errorCode) == [0, ErrorCode.unknownTopicId.rawValue])
            #expect(byId.responses.first?.name == "also-doomed")
            #expect(byId.responses.first?.topicId == secondId)
            #expect(broker.broker.metadata.topics.isEmpty)

            // A topic created again under the same name starts from an empty log.
            try await client.createTopic("doomed")
            let produced = try await client.produce(Requests.produce("doomed", ["after"]))
            #expect(produced.errorCode == 0 && produced.baseOffset == 0)
        }
    }

    // MARK: InitProducerId

    @Test func initProducerId() async throws {
        try await TestBroker.with { _, client in
            let first = try await client.request(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60_000), version: 4)
            #expect(first.errorCode == 0)
            #expect(first.producerId >= 0)
            #expect(first.producerEpoch == 0)
            let second = try await client.request(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60_000), version: 0)
            #expect(second.errorCode == 0)
            #expect(second.producerId != first.producerId)

            // KIP-360: an idempotent producer that sends its id and epoch again gets a new id at
            // epoch 0, as Kafka's TransactionCoordinator "blindly accepts" it.
            let again = try await client.request(
                InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60_000, producerId: first.producerId, producerEpoch: 0),
                version: 5)
            #expect(again.errorCode == 0 && again.producerEpoch == 0)
            #expect(![first.producerId, second.producerId].contains(again.producerId))

            // A transactional id gets its id from the transaction coordinator, epoch 0 then bumped;
            // an empty one, or a timeout over transaction.max.timeout.ms, is refused.
            let transactional = try await client.request(InitProducerIdRequest(transactionalId: "tx-1", transactionTimeoutMs: 60_000), version: 4)
            #expect(transactional.errorCode == 0 && transactional.producerEpoch == 0)
            let bumped = try await client.request(InitProducerIdRequest(transactionalId: "tx-1", transactionTimeoutMs: 60_000), version: 4)
            #expect(bumped.errorCode == 0 && bumped.producerId == transactional.producerId && bumped.producerEpoch == 1)
            let tooLong = try await client.request(InitProducerIdRequest(transactionalId: "tx-1", transactionTimeoutMs: 900_001), version: 4)
            #expect(tooLong.errorCode == ErrorCode.invalidTransactionTimeout.rawValue)
            let empty = try await client.request(InitProducerIdRequest(transactionalId: "", transactionTimeoutMs: 60_000), version: 4)
            #expect(empty.errorCode == ErrorCode.invalidRequest.rawValue)
        }
    }

    /// KIP-98 over the wire: a retried idempotent batch gets its first base offset and is not
    /// stored twice; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH.
    @Test func idempotentProducesAreDeduplicatedAndSequenced() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("idem")
            let pid = try await client.request(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60_000), version: 4).producerId
            func produce(epoch: Int16, sequence: Int32) async throws -> ProduceResponse.PartitionProduceResponse {
                var builder = RecordBatchBuilder(producerId: pid, producerEpoch: epoch, baseSequence: sequence)
                builder.append(timestamp: Broker.wallClock(), key: nil, value: ByteBuffer(string: "v\(sequence)"))
                return try await client.produce(Requests.produce("idem", records: try builder.build()), version: 9)
            }
            #expect(try await produce(epoch: 0, sequence: 0).baseOffset == 0)
            #expect(try await produce(epoch: 0, sequence: 1).baseOffset == 1)
            let retried = try await produce(epoch: 0, sequence: 0)
            #expect(retried.errorCode == 0 && retried.baseOffset == 0)
            let gap = try await produce(epoch: 0, sequence: 5)
            #expect(gap.errorCode == ErrorCode.outOfOrderSequenceNumber.rawValue && gap.baseOffset == -1 && gap.logStartOffset == 0)
            #expect(try await produce(epoch: 1, sequence: 0).baseOffset == 2)
            #expect(try await produce(epoch: 0, sequence: 2).errorCode == ErrorCode.invalidProducerEpoch.rawValue)
            #expect(try await client.fetchAll("idem").map(\.value) == ["v0", "v1", "v0"])
        }
    }

    // MARK: Pipelining

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await TestBroker.with { _, client in
            try await client.createTopic("pipe")
            // Twenty requests in one write, mixing APIs; the produces go to one partition.
            var bytes = ByteBuffer()
            var sent: [(id: Int32, kind: Int)] = []
            var producedValues: [String] = []
            for i in 0..<20 {
                let id = client.takeCorrelationId()
                var frame: ByteBuffer
                switch i % 4 {
                case 0: frame = try client.frame(ApiVersionsRequest(), version: 3, correlationId: id)
                case 1: frame = try client.frame(Requests.metadata(["pipe"]), version: 12, correlationId: id)
                default:
                    producedValues.append("m\(i)")
                    frame = try client.frame(try Requests.produce("pipe", ["m\(i)"]), version: 9, correlationId: id)
                }
                bytes.writeBuffer(&frame)
                sent.append((id, i % 4))
            }
            try await client.write(bytes)

            var produceOffsets: [Int64] = []
            for (id, kind) in sent {
                switch kind {
                case 0:
                    let r = try await client.receive(ApiVersionsResponse.self, version: 3, correlationId: id)
                    #expect(r.errorCode == 0)
                case 1:
                    let r = try await client.receive(MetadataResponse.self, version: 12, correlationId: id)
                    #expect(r.topics.first?.errorCode == 0)
                default:
                    let r = try await client.receive(ProduceResponse.self, version: 9, correlationId: id)
                    let p = try #require(r.responses.first?.partitionResponses.first)
                    #expect(p.errorCode == 0)
                    produceOffsets.append(p.baseOffset)
                }
            }
            // Kafka processes one connection's requests in order: the appends land in send order.
            #expect(produceOffsets == Array(0..<Int64(producedValues.count)))
            let values = try await client.fetchAll("pipe").map(\.value)
            #expect(values == producedValues)
        }
    }

    @Test(arguments: 0..<3)
    func pipelinedProducesAppendInSendOrder(round: Int) async throws {
        // Large batches (slow to decode) before small ones: handled concurrently, a small one
        // could be appended first. Kafka handles a connection's requests one at a time.
        try await TestBroker.with { _, client in
            try await client.createTopic("order")
            var bytes = ByteBuffer()
            var ids: [Int32] = []
            for i in 0..<40 {
                let values = i.isMultiple(of: 2) ? (0..<300).map { "big-\(i)-\($0)" } : ["small-\(i)"]
                let id = client.takeCorrelationId()
                var frame = try client.frame(try Requests.produce("order", values), version: 9, correlationId: id)
                bytes.writeBuffer(&frame)
                ids.append(id)
            }
            try await client.write(bytes)
            var baseOffsets: [Int64] = []
            for id in ids {
                let response = try await client.receive(ProduceResponse.self, version: 9, correlationId: id)
                baseOffsets.append(try #require(response.responses.first?.partitionResponses.first).baseOffset)
            }
            // Each pair is a 300-record batch then a 1-record batch.
            let expected: [Int64] = (0..<40).map { (i: Int) -> Int64 in
                let pairStart = Int64(i / 2) * 301
                return i.isMultiple(of: 2) ? pairStart : pairStart + 300
            }
            #expect(baseOffsets == expected)
        }
    }

    @Test func moreRequestsInFlightThanTheLimitPauseAndResumeReading() async throws {
        // Beyond KafkaChannelHandler.maxInFlight the broker stops reading; it must start again.
        try await TestBroker.with { _, client in
            try await client.createTopic("flood")
            let count = KafkaChannelHandler.maxInFlight * 4
            let value = String(repeating: "v", count: 1000)
            var bytes = ByteBuffer()
            var ids: [Int32] = []
            for _ in 0..<count {
                let id = client.takeCorrelationId()
                var frame = try client.frame(try Requests.produce("flood", [value]), version: 9, correlationId: id)
                bytes.writeBuffer(&frame)
                ids.append(id)
            }
            try await client.write(bytes)
            var offsets: [Int64] = []
            for id in ids {
                let response = try await client.receive(ProduceResponse.self, version: 9, correlationId: id)
                offsets.append(try #require(response.responses.first?.partitionResponses.first).baseOffset)
            }
            #expect(offsets == (0..<Int64(count)).map { $0 })
            try await client.expectServed()
        }
    }

    @Test func fireAndForgetProducesBeforeAClientCloseAreAppended() async throws {
        try await TestBroker.with { broker, client in
            try await client.createTopic("fire")
            let producer = try await broker.connect()
            var bytes = ByteBuffer()
            for i in 0..<5 {
                var frame = try producer.frame(try Requests.produce("fire", acks: 0, ["f\(i)"]), version: 9, correlationId: Int32(i))
                bytes.writeBuffer(&frame)
            }
            try await producer.write(bytes)
            await producer.close()
            // Nothing acknowledges acks=0: poll until the records are there.
            let deadline = ContinuousClock.now + .seconds(5)
            var highWatermark: Int64 = 0
            while highWatermark < 5 && ContinuousClock.now < deadline {
                highWatermark = try await client.fetch(Requests.fetch("fire", offset: 0)).highWatermark
                if highWatermark < 5 { try await Task.sleep(for: .milliseconds(20)) }
            }
            let values = try await client.fetchAll("fire").map(\.value)
            #expect(values == ["f0", "f1", "f2", "f3", "f4"])
        }
    }
}

import GregorClient
import KafkaProtocol
import NIOCore
import Testing

@Suite("GregorClient against a real broker")
struct GregorClientTests {
    @Test func negotiatesVersionsWithinBothRanges() async throws {
        try await ClientTestBroker.with { client, _ in
            let fetch = try client.version(of: FetchRequest.self)
            let broker = try #require(client.brokerVersions[ApiKey.fetch.rawValue])
            #expect(broker.contains(fetch))
            #expect(FetchRequest.validVersions.contains(fetch))
        }
    }

    @Test func createListDescribeAlterDeleteTopic() async throws {
        try await ClientTestBroker.with { client, _ in
            try await client.createTopic("orders", partitions: 2, replicationFactor: 1, configs: [("retention.ms", "3600000")])
            #expect(try await client.listTopics().map(\.name) == ["orders"])

            var description = try await client.describeTopic("orders")
            #expect(description.partitions.map(\.partition) == [0, 1])
            #expect(description.partitions.allSatisfy { $0.leader == 1 && $0.logStartOffset == 0 && $0.highWatermark == 0 })
            #expect(description.configs.first { $0.name == "retention.ms" }?.value == "3600000")
            #expect(description.render().contains("Configs: retention.ms=3600000"))

            await #expect(throws: GregorClientError.self) {
                try await client.createTopic("orders", partitions: 1)
            }

            try await client.alterTopic("orders", partitions: 3, set: [("cleanup.policy", "compact")], delete: ["retention.ms"])
            description = try await client.describeTopic("orders")
            #expect(description.partitions.count == 3)
            #expect(description.configs.first { $0.name == "cleanup.policy" }?.value == "compact")
            #expect(description.configs.first { $0.name == "retention.ms" }?.isDefault == true)

            try await client.deleteTopic("orders")
            #expect(try await client.listTopics().isEmpty)
            await #expect(throws: GregorClientError.broker(.unknownTopicOrPartition, nil, context: "topic orders")) {
                try await client.describeTopic("orders")
            }
        }
    }

    @Test(arguments: [CompressionCodec.none, .gzip, .snappy, .lz4, .zstd])
    func producedLinesComeBackInOrderFormatted(compression: CompressionCodec) async throws {
        try await ClientTestBroker.with { client, _ in
            try await client.createTopic("lines", partitions: 1)
            let headers = [RecordHeader(key: "src", value: ByteBuffer(string: "cli"))]
            let records = ["a:one", "b:two", "three", "c:fo:ur"].map {
                ProducerRecord(line: $0, keySeparator: ":", headers: headers)
            }
            let results = try await client.produce(topic: "lines", records: records, compression: compression)
            #expect(results.map(\.error) == [.none])
            #expect(results.first?.baseOffset == 0)

            let formatter = try RecordFormatter("%t/%p/%o %k=%v [%h]\\n")
            var lines: [String] = []
            let count = try await client.consume(topic: "lines", options: ConsumeOptions(start: .beginning)) { record in
                lines.append(formatter.format(record))
            }
            #expect(count == 4)
            #expect(
                lines == [
                    "lines/0/0 a=one [src=cli]\n", "lines/0/1 b=two [src=cli]\n", "lines/0/2 =three [src=cli]\n",
                    "lines/0/3 c=fo:ur [src=cli]\n",
                ])
        }
    }

    @Test func consumeStopsAtHighWatermarkAndHonoursOffsetAndCount() async throws {
        try await ClientTestBroker.with { client, _ in
            try await client.createTopic("t", partitions: 1)
            for batch in 0..<3 {
                let records = (0..<4).map { ProducerRecord(value: ByteBuffer(string: "v\(batch * 4 + $0)")) }
                _ = try await client.produce(topic: "t", partition: 0, records: records)
            }
            var values: [String] = []
            try await client.consume(topic: "t", options: ConsumeOptions(partition: 0, start: .offset(5), count: 4)) {
                values.append(String(buffer: $0.value!))
            }
            #expect(values == ["v5", "v6", "v7", "v8"])

            values = []
            try await client.consume(topic: "t", options: ConsumeOptions(start: .end)) { values.append(String(buffer: $0.value!)) }
            #expect(values.isEmpty)

            values = []
            try await client.consume(topic: "t", options: ConsumeOptions(start: .offset(-2))) { values.append(String(buffer: $0.value!)) }
            #expect(values == ["v10", "v11"])
        }
    }

    @Test func keyedRecordsArePartitionedByMurmur2() async throws {
        // Kafka's UtilsTest.testMurmur2: murmur2("21") == -973932308.
        #expect(murmur2(Array("21".utf8)) == -973932308)
        try await ClientTestBroker.with { client, _ in
            try await client.createTopic("keyed", partitions: 4)
            let records = (0..<20).map { ProducerRecord(line: "k\($0 % 5):v\($0)", keySeparator: ":") }
            _ = try await client.produce(topic: "keyed", records: records)
            var partitionsByKey: [String: Set<Int32>] = [:]
            try await client.consume(topic: "keyed", options: ConsumeOptions(start: .beginning)) {
                partitionsByKey[String(buffer: $0.key!), default: []].insert($0.partition)
            }
            #expect(partitionsByKey.count == 5)
            #expect(partitionsByKey.values.allSatisfy { $0.count == 1 })
        }
    }

    @Test func followWaitsForNewRecords() async throws {
        try await ClientTestBroker.with { client, address in
            try await client.createTopic("live", partitions: 1)
            let producer = try await KafkaClient.connect(to: address)
            defer { Task { await producer.close() } }
            async let consumed: [String] = {
                var values: [String] = []
                try await client.consume(topic: "live", options: ConsumeOptions(start: .beginning, follow: true, count: 2, maxWaitMs: 200)) {
                    values.append(String(buffer: $0.value!))
                }
                return values
            }()
            try await Task.sleep(for: .milliseconds(300))
            _ = try await producer.produce(topic: "live", records: [ProducerRecord(value: ByteBuffer(string: "x"))])
            _ = try await producer.produce(topic: "live", records: [ProducerRecord(value: ByteBuffer(string: "y"))], acks: -1)
            #expect(try await consumed == ["x", "y"])
        }
    }

    @Test func unreachableBrokerIsOneClearError() async throws {
        // Bind nothing: port 1 on loopback refuses at once.
        await #expect(throws: GregorClientError.cannotConnect("127.0.0.1:1", reason: "connection refused")) {
            _ = try await KafkaClient.connect(bootstrap: "127.0.0.1:1")
        }
        #expect(
            GregorClientError.cannotConnect("localhost:9092", reason: "connection refused").description
                == "cannot connect to localhost:9092: connection refused")
    }

    @Test func parsesAddressesAndFormats() throws {
        #expect(try BrokerAddress(parsing: "localhost:9092") == BrokerAddress(host: "localhost", port: 9092))
        #expect(try BrokerAddress(parsing: "[::1]:19092") == BrokerAddress(host: "::1", port: 19092))
        #expect(try BrokerAddress(parsing: "example") == BrokerAddress(host: "example", port: 9092))
        #expect(throws: GregorClientError.self) { try BrokerAddress(parsing: "host:notaport") }
        #expect(throws: GregorClientError.self) { try RecordFormatter("%x") }
        let record = ConsumedRecord(
            topic: "t", partition: 1, offset: 7, timestamp: 42, key: nil, value: ByteBuffer(string: "v"),
            headers: [RecordHeader(key: "a", value: ByteBuffer(string: "1")), RecordHeader(key: "b", value: nil)])
        #expect(try RecordFormatter("%t %p %o %T %k|%v %h 100%%\\t.").format(record) == "t 1 7 42 |v a=1,b= 100%\t.")
    }
}

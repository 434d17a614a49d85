import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// Input the broker cannot serve closes that connection, and only that connection.
extension BrokerEndToEndTests {
    /// Sends `bytes` on a fresh connection, expects the broker to close it without a response,
    /// then checks the broker still serves the first client and a new connection.
    private func expectCloses(_ bytes: ByteBuffer, broker: TestBroker, client: KafkaTestClient) async throws {
        let victim = try await broker.connect()
        try await victim.write(bytes)
        let responses = try await victim.waitForClose(timeout: .seconds(5))
        #expect(responses == 0)
        await victim.close()
        try await client.expectServed()
        let fresh = try await broker.connect()
        try await fresh.expectServed()
        await fresh.close()
    }

    private static func header(key: Int16, version: Int16, correlationId: Int32 = 1) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(key)
        payload.writeInteger(version)
        payload.writeInteger(correlationId)
        payload.writeInteger(Int16(-1))  // null client id
        return payload
    }

    @Test func negativeFrameSizeClosesTheConnection() async throws {
        try await TestBroker.with { broker, client in
            var bytes = ByteBuffer()
            bytes.writeInteger(Int32(-1))
            bytes.writeBytes([0, 18, 0, 3, 0, 0, 0, 1])
            try await expectCloses(bytes, broker: broker, client: client)
        }
    }

    @Test func frameOverSocketRequestMaxBytesClosesBeforeTheBodyArrives() async throws {
        try await TestBroker.with({ $0.socketRequestMaxBytes = 1024 }) { broker, client in
            // Only the size is sent: the broker must not wait for 1025 bytes.
            var bytes = ByteBuffer()
            bytes.writeInteger(Int32(1025))
            try await expectCloses(bytes, broker: broker, client: client)
            // A 2 GiB claim likewise.
            var huge = ByteBuffer()
            huge.writeInteger(Int32.max)
            try await expectCloses(huge, broker: broker, client: client)
            // Requests within the limit are served on the same broker.
            try await client.createTopic("fits")
            let produced = try await client.produce(Requests.produce("fits", [String(repeating: "x", count: 500)]))
            #expect(produced.errorCode == 0)
        }
    }

    @Test func unknownApiKeyClosesTheConnection() async throws {
        try await TestBroker.with { broker, client in
            try await expectCloses(KafkaTestClient.sizePrefixed(Self.header(key: 1000, version: 0)), broker: broker, client: client)
            try await expectCloses(KafkaTestClient.sizePrefixed(Self.header(key: -7, version: 0)), broker: broker, client: client)
            // Known to Kafka, never served by a KRaft broker.
            try await expectCloses(KafkaTestClient.sizePrefixed(Self.header(key: ApiKey.leaderAndIsr.rawValue, version: 5)), broker: broker, client: client)
        }
    }

    @Test func unsupportedVersionOfAnotherApiClosesTheConnection() async throws {
        try await TestBroker.with { broker, client in
            // InitProducerId v6 is in Kafka 4.3's specs, marked unstable: not served.
            let unstable = try client.frame(InitProducerIdRequest(transactionTimeoutMs: 1000), version: 6, correlationId: 1)
            try await expectCloses(unstable, broker: broker, client: client)
            // One above the newest Fetch advertised; the body is the newest the codec writes.
            let newest = try #require(SupportedApis.all.versions(.fetch)).upperBound
            let fetchTooNew = try client.frame(Requests.fetch(offset: 0), version: newest + 1, correlationId: 1, bodyVersion: 16)
            try await expectCloses(fetchTooNew, broker: broker, client: client)
        }
    }

    @Test func truncatedBodyClosesTheConnection() async throws {
        try await TestBroker.with { broker, client in
            var frame = try client.frame(Requests.metadata(["some-topic", "another-topic"]), version: 12, correlationId: 1)
            frame.moveReaderIndex(forwardBy: 4)
            let payload = frame.getSlice(at: frame.readerIndex, length: frame.readableBytes - 5)!
            try await expectCloses(KafkaTestClient.sizePrefixed(payload), broker: broker, client: client)

            // A produce whose records array claims more bytes than the frame holds.
            var produce = try client.frame(try Requests.produce("t", ["value"]), version: 3, correlationId: 2)
            produce.moveReaderIndex(forwardBy: 4)
            let cut = produce.getSlice(at: produce.readerIndex, length: produce.readableBytes - 10)!
            try await expectCloses(KafkaTestClient.sizePrefixed(cut), broker: broker, client: client)
        }
    }

    @Test func frameShorterThanARequestHeaderClosesTheConnection() async throws {
        try await TestBroker.with { broker, client in
            try await expectCloses(KafkaTestClient.sizePrefixed(ByteBuffer(bytes: [0, 18])), broker: broker, client: client)
            try await expectCloses(KafkaTestClient.sizePrefixed(ByteBuffer()), broker: broker, client: client)
            // A header cut inside its client id.
            var header = Self.header(key: 18, version: 0)
            header.moveWriterIndex(to: header.writerIndex - 2)
            header.writeInteger(Int16(20))
            header.writeString("short")
            try await expectCloses(KafkaTestClient.sizePrefixed(header), broker: broker, client: client)
        }
    }

    @Test func aProduceBeforeAMalformedRequestIsAnsweredBeforeTheClose() async throws {
        // Kafka answers a request before it reads the next; Gregor, reading ahead, must still send
        // the answers it has written (KafkaChannelHandler.flushSoon may hold them) before closing.
        try await TestBroker.with { broker, client in
            try await client.createTopic("t")
            let victim = try await broker.connect()
            var bytes = try victim.frame(try Requests.produce("t", ["kept"]), version: 9, correlationId: 1)
            var cut = try victim.frame(try Requests.produce("t", ["cut"]), version: 9, correlationId: 2)
            cut.moveReaderIndex(forwardBy: 4)
            var truncated = KafkaTestClient.sizePrefixed(cut.getSlice(at: cut.readerIndex, length: cut.readableBytes - 10)!)
            bytes.writeBuffer(&truncated)
            try await victim.write(bytes)
            #expect(try await victim.waitForClose(timeout: .seconds(5)) == 1)
            await victim.close()
            #expect(try await client.fetchAll("t").map(\.value) == ["kept"])
        }
    }

    @Test func malformedFrameAfterAValidRequestStillCloses() async throws {
        try await TestBroker.with { broker, client in
            let victim = try await broker.connect()
            var bytes = try victim.frame(ApiVersionsRequest(), version: 3, correlationId: 1)
            bytes.writeInteger(Int32(-5))
            try await victim.write(bytes)
            // The valid request may or may not be answered before the close; the close must come.
            let responses = try await victim.waitForClose(timeout: .seconds(5))
            #expect(responses <= 1)
            await victim.close()
            try await client.expectServed()
        }
    }
}

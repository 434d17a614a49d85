import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// Requests cut at every byte boundary reach the handlers whole, through the server's own framing.
extension BrokerEndToEndTests {
    @Test func pipelinedRequestsSentOneByteAtATimeAreAnsweredInOrder() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("bytes")
            // Three pipelined requests of different APIs, header versions and sizes.
            let ids = (0..<3).map { _ in client.takeCorrelationId() }
            var stream = try client.frame(ApiVersionsRequest(clientSoftwareName: "t", clientSoftwareVersion: "1"), version: 3, correlationId: ids[0])
            var produce = try client.frame(Requests.produce("bytes", ["one", "two"]), version: 9, correlationId: ids[1])
            var metadata = try client.frame(Requests.metadata(["bytes"]), version: 12, correlationId: ids[2])
            stream.writeBuffer(&produce)
            stream.writeBuffer(&metadata)
            for byte in stream.readableBytesView {
                try await client.write(ByteBuffer(bytes: [byte]))
            }
            guard var first = try await client.nextFrame(), var second = try await client.nextFrame(), var third = try await client.nextFrame()
            else { throw ClientError.closed }
            let versions = try KafkaTestClient.decode(ApiVersionsResponse.self, from: &first, version: 3, correlationId: ids[0])
            #expect(versions.errorCode == 0)
            let produced = try KafkaTestClient.decode(ProduceResponse.self, from: &second, version: 9, correlationId: ids[1])
            #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)
            let described = try KafkaTestClient.decode(MetadataResponse.self, from: &third, version: 12, correlationId: ids[2])
            #expect(described.topics.map(\.name) == ["bytes"])
            #expect(try await client.fetchAll("bytes").map(\.value) == ["one", "two"])
        }
    }

    /// Kafka mutes a connection from the moment a request is read until its response is sent
    /// (SocketServer's Processor), so a pipelined request is not handled before the one ahead of
    /// it is answered: a Produce behind a Fetch waiting at the log end does not wake that Fetch,
    /// which answers empty after its wait, and the Produce is appended after it.
    @Test func aPipelinedRequestWaitsForTheOneBeforeIt() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("muted")
            let ids = (0..<2).map { _ in client.takeCorrelationId() }
            var stream = try client.frame(Requests.fetch("muted", offset: 0, maxWaitMs: 300, minBytes: 1), version: 12, correlationId: ids[0])
            var produce = try client.frame(Requests.produce("muted", ["late"]), version: 9, correlationId: ids[1])
            stream.writeBuffer(&produce)
            let sent = ContinuousClock.now
            try await client.write(stream)
            guard var first = try await client.nextFrame(), var second = try await client.nextFrame() else { throw ClientError.closed }
            let fetched = try KafkaTestClient.decode(FetchResponse.self, from: &first, version: 12, correlationId: ids[0])
            let partition = fetched.responses.first?.partitions.first
            #expect(partition?.errorCode == 0)
            #expect(try FetchedRecord.all(in: partition?.records).isEmpty)
            #expect(ContinuousClock.now - sent >= .milliseconds(250))
            let produced = try KafkaTestClient.decode(ProduceResponse.self, from: &second, version: 9, correlationId: ids[1])
            #expect(produced.responses.first?.partitionResponses.first?.baseOffset == 0)
            #expect(try await client.fetchAll("muted").map(\.value) == ["late"])
        }
    }

    /// Large requests are read into a buffer of their own once their size is known
    /// (`FrameReadAllocator`): whether a request arrives whole, with its size alone first, or in
    /// pieces with pauses between (reads that stop short of the offered buffer), the log gets
    /// exactly what was sent.
    @Test func largePipelinedRequestsArriveWholeHoweverTheyAreSplit() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("large")
            let values = (0..<4).map { request in
                (0..<300).map { i in String(repeating: "\(request)-\(i)-", count: 1000 / "\(request)-\(i)-".count + 1) }
            }
            let ids = values.map { _ in client.takeCorrelationId() }
            var frames = try zip(values, ids).map { try client.frame(Requests.produce("large", $0), version: 9, correlationId: $1) }
            #expect(frames.allSatisfy { $0.readableBytes > 250_000 })
            // Whole; its first 10 bytes alone; in 64 KiB pieces 20 ms apart; its size's first 3 bytes alone.
            try await client.write(frames[0])
            try await client.write(frames[1].readSlice(length: 10)!)
            try await Task.sleep(for: .milliseconds(20))
            try await client.write(frames[1])
            while frames[2].readableBytes > 0 {
                try await client.write(frames[2].readSlice(length: min(65_536, frames[2].readableBytes))!)
                try await Task.sleep(for: .milliseconds(20))
            }
            try await client.write(frames[3].readSlice(length: 3)!)
            try await Task.sleep(for: .milliseconds(20))
            try await client.write(frames[3].readSlice(length: 100_000)!)
            try await client.write(frames[3])
            for (n, id) in ids.enumerated() {
                guard var frame = try await client.nextFrame() else { throw ClientError.closed }
                let response = try KafkaTestClient.decode(ProduceResponse.self, from: &frame, version: 9, correlationId: id)
                let partition = response.responses.first?.partitionResponses.first
                #expect(partition?.errorCode == 0)
                #expect(partition?.baseOffset == Int64(300 * n))
            }
            #expect(try await client.fetchAll("large").map(\.value) == values.flatMap { $0 })
        }
    }
}

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
}

import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// A produce that only waits for its fsync (`flush.messages=1`) lets the connection's next
/// request start (`RequestContext.letNextRequestStart`): the next append joins the pending
/// fsync instead of waiting for it, and the answers still leave in order.
extension BrokerEndToEndTests {
    @Test func aProduceWaitingForItsFsyncLetsTheNextRequestAppend() async throws {
        try await TestBroker.with({ $0.numIoThreads = 1 }) { broker, client in
            let gate = try await broker.holdingTheIoThreadOverDurableAndPlain(client)
            defer { gate.signal() }

            let durableId = client.takeCorrelationId(), plainId = client.takeCorrelationId()
            var bytes = try client.frame(try Requests.produce("durable", ["d1"]), version: 9, correlationId: durableId)
            var second = try client.frame(try Requests.produce("plain", ["p1"]), version: 9, correlationId: plainId)
            bytes.writeBuffer(&second)
            try await client.write(bytes)

            // The second produce is appended while the first still waits for its fsync.
            let observer = try await broker.connect()
            var plainEnd = try await observer.listOffset("plain", timestamp: -1).offset
            for _ in 0..<200 where plainEnd < 2 {
                try await Task.sleep(for: .milliseconds(25))
                plainEnd = try await observer.listOffset("plain", timestamp: -1).offset
            }
            #expect(plainEnd == 2)
            #expect(try await observer.listOffset("durable", timestamp: -1).offset == 2)
            await observer.close()

            // Neither is answered before the fsync; then both are, in the order they were sent.
            await #expect(throws: ClientError.self) { _ = try await client.nextFrame(timeout: .milliseconds(200)) }
            gate.signal()
            let first = try await client.receive(ProduceResponse.self, version: 9, correlationId: durableId)
            #expect(first.responses.first?.partitionResponses.first?.baseOffset == 1)
            let then = try await client.receive(ProduceResponse.self, version: 9, correlationId: plainId)
            #expect(then.responses.first?.partitionResponses.first?.baseOffset == 1)
        }
    }
}

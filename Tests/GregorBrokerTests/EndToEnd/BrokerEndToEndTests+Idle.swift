import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// `connections.max.idle.ms`: Kafka's Selector closes a connection that has read and written
/// nothing for that long; one that keeps sending requests stays open however long it lives.
extension BrokerEndToEndTests {
    @Test func anIdleConnectionIsClosedAndABusyOneIsNot() async throws {
        try await TestBroker.with({ $0.connectionsMaxIdleMs = 400 }) { broker, client in
            let idle = try await broker.connect()
            #expect(try await idle.request(ApiVersionsRequest(), version: 3).errorCode == 0)
            let lastRequest = ContinuousClock.now
            async let closed: ByteBuffer? = idle.nextFrame(timeout: .seconds(5))
            // The busy connection: a request every 100 ms for three idle periods.
            while ContinuousClock.now - lastRequest < .milliseconds(1200) {
                #expect(try await client.request(ApiVersionsRequest(), version: 3).errorCode == 0)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await closed == nil)
            let idleFor = ContinuousClock.now - lastRequest
            #expect(idleFor >= .milliseconds(400), "\(idleFor)")
            await idle.close()
        }
    }
}

import GregorStorage
import KafkaProtocol
import Logging
import Testing

@testable import GregorBroker

/// Kafka's `.lock` per log dir: a second broker on a running broker's directories is refused at
/// startup, and the running one keeps serving what it has.
extension BrokerEndToEndTests {
    @Test func aSecondBrokerOnTheSameLogDirsIsRefused() async throws {
        try await TestBroker.with { broker, client in
            _ = try await client.createTopic("kept")
            #expect(try await client.produce(Requests.produce("kept", ["a", "b"])).errorCode == 0)
            #expect(throws: LogDirLocks.Locked.self) {
                _ = try Broker(config: broker.broker.config, logger: Logger(label: "second-broker"))
            }
            #expect(try await client.produce(Requests.produce("kept", ["c"])).baseOffset == 2)
            #expect(try await client.fetchAll("kept").map(\.offset) == [0, 1, 2])
        }
    }
}

import Foundation
import KafkaProtocol
import Logging
import NIOCore

@testable import GregorBroker

/// A real broker on 127.0.0.1 with an ephemeral port and a temporary log directory.
struct TestBroker: Sendable {
    let broker: Broker
    let port: Int
    let stats: ConnectionStats

    /// Starts a broker, runs `body` with it and a connected client, then stops it and deletes its logs.
    static func with<T>(
        _ configure: (inout BrokerConfig) -> Void = { _ in },
        _ body: (TestBroker, KafkaTestClient) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gregor-broker-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var config = BrokerConfig()
        config.listeners = [.init(host: "127.0.0.1", port: 0)]
        config.logDirs = [directory]
        config.advertisedListeners = [.init(host: "127.0.0.1", port: 0)]
        configure(&config)
        var logger = Logger(label: "gregor-broker-tests")
        logger.logLevel = ProcessInfo.processInfo.environment["GREGOR_TEST_LOG"] != nil ? .debug : .warning

        let broker = try Broker(config: config, logger: logger)
        let server = BrokerServer(broker: broker, logger: logger, threads: 1)
        let channels = try await server.start()
        let result: Result<T, Error>
        do {
            guard let port = channels.first?.localAddress?.port else { throw ClientError(description: "no bound port") }
            let testBroker = TestBroker(broker: broker, port: port, stats: server.stats)
            let client = try await testBroker.connect()
            do {
                result = .success(try await body(testBroker, client))
            } catch {
                result = .failure(error)
            }
            await client.close()
        } catch {
            result = .failure(error)
        }
        try? await server.shutdown(closing: channels)
        return try result.get()
    }

    func connect(autoRead: Bool = true) async throws -> KafkaTestClient {
        try await KafkaTestClient.connect(port: port, autoRead: autoRead)
    }

    /// Topics "durable" (`flush.messages=1`) and "plain", one record appended to each (a new
    /// leader epoch's first append runs on the I/O threads), then the broker's only I/O thread
    /// (`numIoThreads = 1`), where an fsync would run, held until the returned gate is signalled.
    func holdingTheIoThreadOverDurableAndPlain(_ client: KafkaTestClient) async throws -> DispatchSemaphore {
        _ = try await client.createTopic("durable", configs: ["flush.messages": "1"])
        _ = try await client.createTopic("plain")
        guard try await client.produce(Requests.produce("durable", ["d0"])).errorCode == 0,
              try await client.produce(Requests.produce("plain", ["p0"])).errorCode == 0 else { throw ClientError.closed }
        let gate = DispatchSemaphore(value: 0)
        broker.io.pool.submit { _ in gate.wait() }
        return gate
    }
}

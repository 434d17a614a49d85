import Foundation
import GregorBroker
import GregorClient
import Logging
import NIOCore

/// A real broker on 127.0.0.1 with an ephemeral port and a temporary log directory, and a
/// `KafkaClient` connected to it.
enum ClientTestBroker {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func with<T>(_ body: (KafkaClient, BrokerAddress) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gregor-client-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        var config = BrokerConfig()
        config.listeners = [.init(host: "127.0.0.1", port: 0)]
        config.logDirs = [directory]
        config.advertisedListeners = [.init(host: "127.0.0.1", port: 0)]
        var logger = Logger(label: "gregor-client-tests")
        logger.logLevel = .warning

        let broker = try Broker(config: config, logger: logger)
        let server = BrokerServer(broker: broker, logger: logger, threads: 1)
        let channels = try await server.start()
        let result: Result<T, Error>
        do {
            guard let port = channels.first?.localAddress?.port else { throw Failure(description: "no bound port") }
            let address = BrokerAddress(host: "127.0.0.1", port: port)
            let client = try await KafkaClient.connect(to: address, timeouts: ClientTimeouts(connect: .seconds(5), request: .seconds(10)))
            do {
                result = .success(try await body(client, address))
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
}

import Foundation
import KafkaProtocol
import Logging
import Testing

@testable import GregorBroker

/// Named listeners: each connection is told the endpoints of the listener it came in on.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ListenerTests {
    @Test func clientsAreToldTheEndpointOfTheListenerTheyCameInOn() async throws {
        try await TestBroker.with({ c in
            c.listeners = [Listener(host: "127.0.0.1", port: 0), Listener(name: "INTERNAL", host: "127.0.0.1", port: 0)]
            c.advertisedListeners = [.init(host: "127.0.0.1", port: 0), .init(name: "INTERNAL", host: "internal.example", port: 0)]
        }) { broker, client in
            let internalPort = try #require(broker.broker.advertised.first { $0.name == "INTERNAL" }?.port)
            #expect(internalPort != 0 && internalPort != broker.port)

            let plain = try await client.request(Requests.metadata([]), version: 12)
            #expect(plain.brokers.map(\.host) == ["127.0.0.1"] && plain.brokers.map(\.port) == [Int32(broker.port)])

            let other = try await KafkaTestClient.connect(port: internalPort)
            let described = try await other.request(Requests.metadata([]), version: 12)
            #expect(described.brokers.map(\.host) == ["internal.example"] && described.brokers.map(\.port) == [Int32(internalPort)])
            let coordinator = try await other.request(FindCoordinatorRequest(key: "g"), version: 3)
            #expect(coordinator.host == "internal.example" && coordinator.port == Int32(internalPort))
            await other.close()
        }
    }

    @Test func aListenerTheBrokerCannotServeStopsStartupNamingIt() async throws {
        try await Self.expectStartupFails(containing: ["SASL_PLAINTEXT://127.0.0.1:0 (SASL_PLAINTEXT)"]) { config, _ in
            config.listeners = [
                Listener(host: "127.0.0.1", port: 0), Listener(name: "SASL_PLAINTEXT", host: "127.0.0.1", port: 0, securityProtocol: .saslPlaintext),
            ]
        }
    }

    /// Kafka's socket settings reach the sockets: SO_RCVBUF on the listener, which accepted
    /// connections inherit, SO_SNDBUF and keep-alive on each accepted connection (Linux reports
    /// twice the buffer size set).
    @Test func socketBuffersReachTheListenerAndItsConnections() async throws {
        try await TestBroker.with({ c in
            c.socketReceiveBufferBytes = 50_000
            c.socketSendBufferBytes = 60_000
        }) { broker, client in
            _ = try await client.request(Requests.metadata([]), version: 12)
            let listening = Self.sockets(port: broker.port, listening: true)
            #expect(listening.count == 1)
            #expect(listening.map { Self.option($0, SO_RCVBUF) } == [100_000])
            let accepted = Self.sockets(port: broker.port, listening: false)
            #expect(!accepted.isEmpty)
            #expect(accepted.allSatisfy { Self.option($0, SO_SNDBUF) == 120_000 && Self.option($0, SO_RCVBUF) == 100_000 })
            #expect(accepted.allSatisfy { Self.option($0, SO_KEEPALIVE) == 1 })
        }
    }

    /// This process's TCP sockets bound to `port`: the listening one, or those it accepted.
    static func sockets(port: Int, listening: Bool) -> [Int32] {
        let fds = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap(Int32.init)
        return fds.filter { fd in
            var address = sockaddr_in6()
            var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            // sin_port and sin6_port sit at the same offset, in network byte order.
            guard named == 0, address.sin6_family == sa_family_t(AF_INET) || address.sin6_family == sa_family_t(AF_INET6),
                  Int(UInt16(bigEndian: address.sin6_port)) == port else { return false }
            return (option(fd, SO_ACCEPTCONN) == 1) == listening
        }
    }

    static func option(_ fd: Int32, _ name: Int32) -> Int32 {
        var value: Int32 = -1
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0 ? value : -1
    }

    /// Starts a broker configured by `configure` (given a data directory to use) and expects the
    /// server's start to throw an error whose text contains each of `fragments`.
    static func expectStartupFails(containing fragments: [String], _ configure: (inout BrokerConfig, String) throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gregor-startup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var config = BrokerConfig()
        config.logDirs = [directory]
        try configure(&config, directory)
        let logger = Logger(label: "startup-tests")
        let broker = try Broker(config: config, logger: logger)
        let server = BrokerServer(broker: broker, logger: logger, threads: 1)
        await #expect {
            _ = try await server.start()
        } throws: { error in
            fragments.allSatisfy { "\(error)".contains($0) }
        }
        try await server.shutdown(closing: [])
    }
}

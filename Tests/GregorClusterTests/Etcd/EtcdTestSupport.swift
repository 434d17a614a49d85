import GregorCluster
import GregorTestSupport
import Logging
import NIOCore
import NIOPosix

let etcdTestLogger = Logger(label: "gregor.etcd.test")

/// Runs `body` with a client of a fresh etcd of its own, then stops that etcd.
func withEtcd<T>(arguments: [String] = [], requestTimeout: TimeAmount = .seconds(5),
                 _ body: (EtcdClient, EtcdServer) async throws -> T) async throws -> T {
    let server = try await EtcdServer.start(arguments: arguments)
    defer { server.stop() }
    let client = EtcdClient(endpoints: [EtcdEndpoint(host: "127.0.0.1", port: server.clientPort)], group: MultiThreadedEventLoopGroup.singleton,
                            requestTimeout: requestTimeout, logger: etcdTestLogger)
    defer { client.close() }
    return try await body(client, server)
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}

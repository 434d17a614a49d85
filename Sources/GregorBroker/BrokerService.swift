import Logging
import NIOCore
import ServiceLifecycle

/// The broker as a service: binds, prints one startup line, runs the log maintenance (flush.ms,
/// retention, compaction, checkpoints), and on SIGTERM/SIGINT stops accepting, then flushes and
/// closes every log.
public struct BrokerService: Service {
    let config: BrokerConfig
    let logger: Logger
    /// Called with the bound addresses once the broker is ready (tests use it to learn the port).
    let onReady: @Sendable ([SocketAddress]) -> Void

    public init(config: BrokerConfig, logger: Logger, onReady: @escaping @Sendable ([SocketAddress]) -> Void = { _ in }) {
        self.config = config
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        var config = config
        if let cluster = config.cluster {
            config.clusterId = try await ClusterMember.clusterId(cluster, proposed: config.clusterId, logger: logger)
        }
        let broker = try Broker(config: config, logger: logger)
        let server = BrokerServer(broker: broker, logger: logger, threads: config.numNetworkThreads)
        let channels = try await server.start()
        if let cluster = broker.cluster {
            try await cluster.start(broker: broker, endpoints: broker.registeredEndpoints)
        }
        let addresses = channels.compactMap(\.localAddress)
        print("gregor: node \(config.nodeId) listening on \(addresses.map(\.description).joined(separator: ", ")), advertising \(broker.advertised.map(\.description).joined(separator: ", ")), cluster id \(broker.metadata.clusterId), data in \(config.logDirs.joined(separator: ","))")
        fflush(nil)
        onReady(addresses)
        await withGracefulShutdownHandler {
            var lastExpiry = broker.clock()
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                // SIGTERM ends the wait at once: a cluster member starts its controlled shutdown
                // without a second's delay.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                do { try broker.logs.maintenance() } catch { logger.error("log maintenance failed: \(error)") }
                if broker.clock() - lastExpiry >= broker.offsets.config.retentionCheckIntervalMs {
                    lastExpiry = broker.clock()
                    await broker.expireOffsets()
                }
            }
        } onGracefulShutdown: {
            logger.info("shutting down")
        }
        await broker.cluster?.stop()
        try await server.shutdown(closing: channels)
        logger.info("logs flushed; stopped")
    }
}

#if canImport(Glibc)
import Glibc
#endif

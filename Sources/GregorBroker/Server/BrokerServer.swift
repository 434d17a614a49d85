import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Binds the listeners and wires each accepted connection's pipeline.
public final class BrokerServer: Sendable {
    public let broker: Broker
    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    /// Connection counts across every listener.
    public let stats = ConnectionStats()

    public init(broker: Broker, logger: Logger, threads: Int = System.coreCount) {
        self.broker = broker
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Binds every listener; returns the bound channels (their local addresses carry the ports).
    public func start() async throws -> [Channel] {
        let broker = self.broker
        var channels: [Channel] = []
        var bound: [String: Int] = [:]
        do {
            for listener in broker.config.listeners {
                let channel = try await bind(listener)
                channels.append(channel)
                bound[listener.name] = channel.localAddress?.port ?? listener.port
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        broker.setAdvertised(broker.config.resolvingBoundPorts(bound))
        return channels
    }

    /// Binds one listener, refusing one the broker cannot serve as configured.
    private func bind(_ listener: Listener) async throws -> Channel {
        let tls = try tlsContext(listener)
        if listener.securityProtocol.usesSASL && (broker.config.sasl[listener.name]?.enabledMechanisms ?? []).isEmpty {
            throw ListenerError(listener: listener, reason: "no SASL mechanism enabled (sasl.enabled.mechanisms)")
        }
        let broker = self.broker
        let logger = self.logger
        let stats = self.stats
        let config = broker.config
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: Int32(clamping: config.socketListenBacklogSize))
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            // Kafka's Acceptor.configureAcceptedSocketChannel: no delay, keep-alive, SO_SNDBUF.
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.so_keepalive), value: 1)
            // Unsent response bytes above this stop the connection being read (a slow consumer).
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 1 << 20, high: 4 << 20))
        // SO_RCVBUF on the listening socket before it binds (SocketServer.openServerSocket): the
        // window scale is agreed in the handshake, so accepted sockets inherit the size.
        if config.socketReceiveBufferBytes != -1 {
            bootstrap = bootstrap.serverChannelOption(ChannelOptions.socketOption(.so_rcvbuf), value: SocketOptionValue(clamping: config.socketReceiveBufferBytes))
        }
        if config.socketSendBufferBytes != -1 {
            bootstrap = bootstrap.childChannelOption(ChannelOptions.socketOption(.so_sndbuf), value: SocketOptionValue(clamping: config.socketSendBufferBytes))
        }
        bootstrap = bootstrap
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var readTarget: FrameReadTarget?
                    if tls == nil, let options = channel.syncOptions {
                        // Large requests read into place (FrameReadAllocator); not under TLS.
                        let target = FrameReadTarget()
                        try options.setOption(ChannelOptions.maxMessagesPerRead, value: UInt(FrameReadAllocator.pooled))
                        try options.setOption(ChannelOptions.recvAllocator, value: FrameReadAllocator(target: target))
                        readTarget = target
                    }
                    let kafka = KafkaChannelHandler(broker: broker, listener: listener, logger: logger, stats: stats, readTarget: readTarget)
                    if let tls {
                        // Record bytes are read through memory on TLS: sendfile would bypass the encryption.
                        kafka.zeroCopy = false
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.current()))
                    }
                    try channel.pipeline.syncOperations.addHandler(kafka)
                }
            }
        do {
            return try await bootstrap.bind(host: listener.host, port: listener.port).get()
        } catch where listener.host == "::" {
            // No IPv6 on this machine: fall back to IPv4 on the same port.
            return try await bootstrap.bind(host: "0.0.0.0", port: listener.port).get()
        }
    }

    /// The TLS context of an SSL listener, nil for PLAINTEXT; throws for a listener the broker
    /// cannot serve as configured.
    private func tlsContext(_ listener: Listener) throws -> TLSContextSource? {
        switch listener.securityProtocol {
        case .plaintext, .saslPlaintext:
            return nil
        case .ssl, .saslSsl:
            guard let settings = broker.config.tls[listener.name] else {
                throw ListenerError(listener: listener, reason: "no key store (ssl.keystore.location, or ssl.keystore.certificate.chain and ssl.keystore.key)")
            }
            do {
                return try TLSContextSource(settings: settings, logger: logger)
            } catch {
                throw ListenerError(listener: listener, reason: "\(error)")
            }
        }
    }

    public func stop() async throws {
        try await group.shutdownGracefully()
    }

    /// The whole stop, in order: no more connections or requests, then the logs flushed and
    /// closed (on the handler threads: a thousand fsyncs must not hold the cooperative pool),
    /// then the handler threads stopped. Throws the flush's error, after everything has stopped.
    public func shutdown(closing channels: [Channel]) async throws {
        for channel in channels { try? await channel.close() }
        try? await stop()
        let broker = self.broker
        let flushed: Result<Void, any Error> = await withTaskExecutorPreference(broker.io) {
            Result { try broker.shutdown() }
        }
        await broker.stopThreads()
        try flushed.get()
    }
}

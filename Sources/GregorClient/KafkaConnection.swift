import Foundation
import KafkaProtocol
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One TCP connection to a broker: frames requests with a correlation id and hands each
/// response frame to the request waiting for that id. Every wait is bounded.
final class KafkaConnection: Sendable {
    let channel: Channel
    let address: BrokerAddress
    private let router: NIOLoopBound<ResponseRouter>
    private let clientId: String?
    private let nextCorrelationId = Mutex<Int32>(1)

    private init(channel: Channel, address: BrokerAddress, router: NIOLoopBound<ResponseRouter>, clientId: String?) {
        self.channel = channel
        self.address = address
        self.router = router
        self.clientId = clientId
    }

    /// With `tls`, the TLS handshake checks the broker's certificate against the host name, or
    /// against the address connected to when the host is an IP address (no SNI then).
    static func connect(to address: BrokerAddress, clientId: String?, timeout: Duration, tls: NIOSSLContext? = nil) async throws -> KafkaConnection {
        let channel: Channel
        let isAddress = (try? SocketAddress(ipAddress: address.host, port: 0)) != nil
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
                .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : address.host))
                        }
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(SizePrefixedFrameDecoder()),
                            ResponseRouter(),
                        ])
                    }
                }
                .connect(host: address.host, port: address.port).get()
        } catch {
            throw GregorClientError.cannotConnect(address.description, reason: Self.describeConnectError(error))
        }
        let router = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ResponseRouter.self), eventLoop: channel.eventLoop)
        }.get()
        return KafkaConnection(channel: channel, address: address, router: router, clientId: clientId)
    }

    func close() async {
        try? await channel.close()
    }

    /// Sends `request` at `version` and waits up to `timeout` for the response with its correlation id.
    func send<R: KafkaAPIMessage, Response: KafkaAPIMessage>(
        _ request: R, version: Int16, expecting _: Response.Type, timeout: Duration
    ) async throws -> Response {
        let id = nextCorrelationId.withLock { id in
            defer { id = id == Int32.max ? 1 : id + 1 }
            return id
        }
        let header = RequestHeader(requestApiKey: R.apiKey.rawValue, requestApiVersion: version, correlationId: id, clientId: clientId)
        var payload = ByteBuffer()
        payload.writeInteger(Int32(0))
        try header.write(to: &payload, version: R.apiKey.requestHeaderVersion(version))
        try request.write(to: &payload, version: version)
        payload.setInteger(Int32(payload.readableBytes - 4), at: payload.readerIndex)

        let frameToSend = payload
        let router = self.router
        let channel = self.channel
        let address = self.address
        let millis = Int64(timeout.components.seconds) * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        let frame = try await channel.eventLoop.flatSubmit { () -> EventLoopFuture<ByteBuffer> in
            let promise = channel.eventLoop.makePromise(of: ByteBuffer.self)
            router.value.register(id, promise: promise)
            let timer = channel.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(millis)) {
                router.value.fail(id, error: GregorClientError.timedOut(address.description, api: "\(R.apiKey)"))
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            channel.writeAndFlush(frameToSend).whenFailure { _ in
                router.value.fail(id, error: GregorClientError.connectionClosed(address.description))
            }
            return promise.futureResult
        }.get()

        var body = frame
        let responseHeader = try ResponseHeader(from: &body, version: R.apiKey.responseHeaderVersion(version))
        precondition(responseHeader.correlationId == id)
        do {
            return try Response(from: &body, version: version)
        } catch {
            throw GregorClientError.malformedResponse("\(Response.messageName) v\(version): \(error)")
        }
    }

    /// "connection refused", "timed out", "no such host"… from what NIO reports.
    static func describeConnectError(_ error: Error) -> String {
        if let connectionError = error as? NIOConnectionError {
            if connectionError.dnsAError != nil || connectionError.dnsAAAAError != nil,
                connectionError.connectionErrors.isEmpty
            {
                return "unknown host"
            }
            if let first = connectionError.connectionErrors.first { return describeConnectError(first.error) }
        }
        if let ioError = error as? IOError {
            switch ioError.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "timed out"
            case EHOSTUNREACH: return "host unreachable"
            case ENETUNREACH: return "network unreachable"
            default: return String(cString: strerror(ioError.errnoCode)).lowercased()
            }
        }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError { return "timed out" }
        if error is SocketAddressError { return "unknown host" }
        return "\(error)"
    }
}

/// Frames are an int32 size followed by that many bytes; passes on the bytes without the size.
struct SizePrefixedFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    /// Far above any response the CLI asks for; guards against a peer that is not Kafka.
    var maxFrameSize = 1 << 30

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return .needMoreData }
        guard size >= 4, Int(size) <= maxFrameSize else {
            throw GregorClientError.malformedResponse("response frame of \(size) bytes (is this a Kafka broker?)")
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(NIOAny(buffer.readSlice(length: Int(size))!))
        return .continue
    }
}

/// Matches response frames to waiting requests by correlation id (the frame's first four bytes).
final class ResponseRouter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var pending: [Int32: EventLoopPromise<ByteBuffer>] = [:]
    private var closed: Error?

    func register(_ id: Int32, promise: EventLoopPromise<ByteBuffer>) {
        if let closed {
            promise.fail(closed)
        } else {
            pending[id] = promise
        }
    }

    func fail(_ id: Int32, error: Error) {
        pending.removeValue(forKey: id)?.fail(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard let id = frame.getInteger(at: frame.readerIndex, as: Int32.self) else { return }
        pending.removeValue(forKey: id)?.succeed(frame)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(GregorClientError.connectionClosed("\(context.remoteAddress.map { "\($0)" } ?? "broker")"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        if closed == nil { closed = error }
        let waiting = pending
        pending = [:]
        for promise in waiting.values { promise.fail(error) }
    }
}

import KafkaProtocol
import Logging
import NIOCore

/// Reads request frames, runs each request's handler, and writes the responses in request
/// order (Kafka clients pipeline requests and match responses by order as well as by
/// correlation id). Stops reading while too many requests are in flight, as Kafka's
/// `queued.max.requests` does, so a flood of requests cannot balloon the process.
final class KafkaChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maxInFlight = 64

    let broker: Broker
    var logger: Logger
    var machine: ConnectionStateMachine
    private var nextSequence = 0
    private var nextToWrite = 0
    /// Finished responses waiting for the ones before them; nil for a request with no response.
    private var finished: [Int: ByteBuffer?] = [:]
    private var readingPaused = false
    /// The last request handed to a handler: the next one starts when it is done.
    private var lastRequest: EventLoopFuture<Void>?

    init(broker: Broker, logger: Logger) {
        self.broker = broker
        self.logger = logger
        self.machine = ConnectionStateMachine(authenticated: true, supported: broker.supported)
    }

    func channelActive(context: ChannelHandlerContext) {
        logger[metadataKey: "peer"] = "\(context.remoteAddress.map { "\($0)" } ?? "?")"
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frame = unwrapInboundIn(data)
        guard let rawKey = frame.getInteger(at: frame.readerIndex, as: Int16.self),
            let version = frame.getInteger(at: frame.readerIndex + 2, as: Int16.self)
        else { return close(context, machine.malformedRequest("frame shorter than a request header")) }
        let apiKey = ApiKey(rawValue: rawKey)
        let header: RequestHeader
        do {
            header = try RequestHeader(from: &frame, version: apiKey.requestHeaderVersion(version))
        } catch {
            return close(context, machine.malformedRequest("\(error)"))
        }
        switch machine.requestReceived(apiKey: apiKey, version: version) {
        case .ignore:
            return
        case .close(let reason):
            return close(context, .close(reason: reason))
        case .rejectApiVersions:
            let sequence = take()
            let body = ApiVersionsHandler.unsupportedVersionResponse(broker.supported)
            finish(context, sequence, encode(body, correlationId: header.correlationId, apiKey: apiKey, version: 0))
        case .dispatch:
            dispatch(context: context, header: header, apiKey: apiKey, body: frame)
        }
    }

    private func take() -> Int {
        defer { nextSequence += 1 }
        return nextSequence
    }

    private func dispatch(context: ChannelHandlerContext, header: RequestHeader, apiKey: ApiKey, body: ByteBuffer) {
        guard let entry = broker.supported.entry(apiKey) else { return }
        let sequence = take()
        let requestContext = RequestContext(
            broker: broker, apiVersion: header.requestApiVersion, correlationId: header.correlationId,
            clientId: header.clientId, logger: logger)
        let promise = context.eventLoop.makePromise(of: ByteBuffer?.self)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        // Kafka handles a connection's requests one at a time, in order: a pipelined Produce
        // must not overtake the one before it.
        let previous = lastRequest ?? context.eventLoop.makeSucceededVoidFuture()
        lastRequest = promise.futureResult.map { _ in }
        previous.whenComplete { _ in
            promise.completeWithTask {
                var body = body
                let response = try await entry.handle(requestContext, &body)
                return try response.map { try Self.encode($0, correlationId: header.correlationId, apiKey: apiKey, version: header.requestApiVersion) }
            }
        }
        promise.futureResult.whenComplete { result in
            let (handler, context) = bound.value
            switch result {
            case .success(let bytes): handler.finish(context, sequence, bytes)
            case .failure(let error): handler.close(context, handler.machine.malformedRequest("\(apiKey.name) v\(header.requestApiVersion): \(error)"))
            }
        }
        if nextSequence - nextToWrite >= Self.maxInFlight && !readingPaused {
            readingPaused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        }
    }

    private func finish(_ context: ChannelHandlerContext, _ sequence: Int, _ bytes: ByteBuffer?) {
        finished[sequence] = .some(bytes)
        var wrote = false
        while let next = finished.removeValue(forKey: nextToWrite) {
            if let next {
                context.write(wrapOutboundOut(next), promise: nil)
                wrote = true
            }
            nextToWrite += 1
        }
        if wrote { context.flush() }
        if readingPaused && nextSequence - nextToWrite < Self.maxInFlight / 2 {
            readingPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
        }
    }

    private func encode(_ body: any KafkaAPIMessage, correlationId: Int32, apiKey: ApiKey, version: Int16) -> ByteBuffer {
        (try? Self.encode(body, correlationId: correlationId, apiKey: apiKey, version: version)) ?? ByteBuffer()
    }

    /// A response frame: size, response header (v0, or v1 when flexible; always v0 for ApiVersions), body.
    static func encode(_ body: any KafkaAPIMessage, correlationId: Int32, apiKey: ApiKey, version: Int16) throws -> ByteBuffer {
        let header = ResponseHeader(correlationId: correlationId)
        let headerVersion = apiKey.responseHeaderVersion(version)
        let size = header.size(version: headerVersion) + body.size(version: version)
        var out = ByteBufferAllocator().buffer(capacity: 4 + size)
        out.writeInteger(Int32(size))
        try header.write(to: &out, version: headerVersion)
        try body.write(to: &out, version: version)
        return out
    }

    private func close(_ context: ChannelHandlerContext, _ action: ConnectionStateMachine.Action) {
        if case .close(let reason) = action {
            logger.info("closing connection: \(reason)")
        }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.info("closing connection: \(error)")
        machine.channelClosed()
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            logger.debug("closing idle connection (connections.max.idle.ms)")
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.channelClosed()
        context.fireChannelInactive()
    }
}

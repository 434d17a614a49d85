import KafkaProtocol
import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Reads request frames, runs each request's handler, and writes the responses in request
/// order (Kafka clients pipeline requests and match responses by order as well as by
/// correlation id).
///
/// Memory stays bounded per connection, as Kafka's muting of a channel with a request in
/// progress and its `queued.max.requests` do: reading stops while too many requests (or request
/// bytes) are queued, or while the socket will not take the responses already written (a slow
/// or stalled consumer), and resumes when both have drained.
final class KafkaChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = IOData

    static let maxInFlight = 64
    /// Request bytes queued on one connection before reading stops.
    static let maxQueuedBytes = 16 << 20

    let broker: Broker
    var logger: Logger
    var machine: ConnectionStateMachine
    private(set) var nextSequence = 0
    private(set) var nextToWrite = 0
    /// The requests not answered yet, from `nextToWrite` on: each one's size, whether it let the
    /// next request start before its answer (`startNextEarly`) and, once its handler is done,
    /// its response (nil for none) waiting for the ones before it.
    private var unanswered = CircularBuffer<(size: Int, released: Bool, done: Bool, response: ResponseFrame?)>()
    private var queuedBytes = 0
    private var readingPaused = false
    /// A `flushSoon` is queued on the event loop.
    var flushPending = false
    /// File regions go out with sendfile; false once the connection is wrapped in TLS.
    var zeroCopy = true
    let stats: ConnectionStats
    /// A request is with its handler: the next one waits in `waitingRequests` until it is done.
    var requestRunning = false
    /// The starts of the requests read but not yet handed to a handler, in order.
    var waitingRequests = CircularBuffer<@Sendable () -> Void>()
    /// Where this connection's non-blocking handlers run (made on first use).
    private var eventLoopExecutor: EventLoopTaskExecutor?
    private var connectionHook: ConnectionHook?

    /// Bytes read but not yet cut into frames. Frames are cut only while reading is not paused:
    /// a paused connection holds at most one socket read beyond its queued requests.
    var frames: FrameCutter
    var closing = false
    /// The peer's address as Kafka prints it, for JoinGroup and DescribeGroups.
    private var clientHost = ""
    private var clientPort: Int?
    /// What the client's ApiVersions v3+ request said it is (KIP-511), for KIP-714's matching.
    private var clientSoftware: (name: String, version: String)?

    /// The listener the connection came in on: its name picks the endpoints clients are told.
    let listener: Listener
    /// The SASL exchange, on a SASL listener.
    let sasl: SaslSession?
    /// Who the client is: set by SASL, or on an SSL listener from the client's certificate.
    var principal = "User:ANONYMOUS"
    /// A request of the SASL exchange is being answered: like Kafka, nothing more is read until
    /// it is, so no request can slip in before authentication completes.
    var authenticationInFlight = false
    /// When the SASL session ends (`connections.max.reauth.ms`, KIP-368); nil for never.
    var sessionExpiry: NIODeadline?
    /// The TLS handshake completed (SSL and SASL_SSL listeners).
    private var tlsEstablished = false
    /// Muted by a client quota until then (KIP-219): nothing more is read.
    var mutedUntil: NIODeadline?
    /// When the connection last read a request's bytes or wrote a response (`connections.max.idle.ms`).
    var lastActive = NIODeadline.now()
    var idleCheck: Scheduled<Void>?
    /// `connections.max.idle.ms`, capped at a century so that a deadline cannot overflow.
    let idleTimeout: TimeAmount

    init(broker: Broker, listener: Listener, logger: Logger, stats: ConnectionStats = ConnectionStats(), readTarget: FrameReadTarget? = nil) {
        self.broker = broker
        self.listener = listener
        self.frames = FrameCutter(maxFrameSize: broker.config.socketRequestMaxBytes, readTarget: readTarget)
        self.logger = logger
        self.stats = stats
        self.idleTimeout = .milliseconds(min(broker.config.connectionsMaxIdleMs, 100 * 365 * 86_400_000))
        let sasl = listener.securityProtocol.usesSASL
            ? SaslSession(settings: broker.config.sasl[listener.name] ?? SaslSettings(enabledMechanisms: []), credentials: broker.scramCredentials,
                          tokens: broker.delegationTokens.enabled ? broker.delegationTokens : nil,
                          maxReauthMs: broker.config.connectionsMaxReauthMs, clock: broker.clock)
            : nil
        self.sasl = sasl
        self.machine = ConnectionStateMachine(sasl: sasl != nil, supported: broker.supported, maxUnauthenticatedFrame: broker.config.saslServerMaxReceiveSize)
        // Before authentication a frame's size is refused on its four bytes, before its body arrives.
        if sasl != nil { frames.maxFrameSize = min(broker.config.socketRequestMaxBytes, broker.config.saslServerMaxReceiveSize) }
    }

    func channelActive(context: ChannelHandlerContext) {
        logger[metadataKey: "peer"] = "\(context.remoteAddress.map { "\($0)" } ?? "?")"
        clientHost = context.remoteAddress.map(ClientHost.kafkaString) ?? ""
        clientPort = context.remoteAddress?.port
        stats.connectionOpened()
        lastActive = .now()
        scheduleIdleCheck(context, at: lastActive + idleTimeout)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActive = .now()
        frames.append(unwrapInboundIn(data))
        handleFrames(context)
    }

    /// Cuts and handles frames until the buffered bytes run out or reading is paused.
    func handleFrames(_ context: ChannelHandlerContext) {
        while !readingPaused && !closing && !authenticationInFlight {
            let frame: ByteBuffer?
            do {
                frame = try frames.next()
            } catch let error as FrameDecoder.InvalidFrameSize where listener.securityProtocol == .plaintext && UInt32(bitPattern: error.size) >> 16 == 0x1603 {
                // A TLS record header (handshake, version 3.x) read as a frame size.
                return close(context, .close(reason: "a TLS handshake on PLAINTEXT listener \(listener.name): the client must use PLAINTEXT here, or connect to an SSL listener"))
            } catch let error as FrameDecoder.InvalidFrameSize where sasl != nil && !machine.isAuthenticated {
                return close(context, .close(reason: "a frame of \(error.size) bytes before authentication (sasl.server.max.receive.size is \(error.limit))"))
            } catch {
                return close(context, .close(reason: "\(error)"))
            }
            guard let frame else { return }
            handleFrame(context, frame)
        }
    }

    private func handleFrame(_ context: ChannelHandlerContext, _ frame: ByteBuffer) {
        var frame = frame
        let frameSize = frame.readableBytes
        switch machine.frameReceived(size: frameSize) {
        case nil: break
        case .evaluateRawToken?: return evaluateRawToken(context, frame)
        case .close(let reason)?: return close(context, .close(reason: reason))
        default: return
        }
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
        guard sessionLive(apiKey) else {
            return close(context, .close(reason: "\(apiKey.name) after the SASL session expired: the client must log in again (connections.max.reauth.ms)"))
        }
        switch machine.requestReceived(apiKey: apiKey, version: version) {
        case .ignore, .evaluateRawToken:
            return
        case .close(let reason):
            return close(context, .close(reason: reason))
        case .rejectApiVersions:
            let sequence = take(frameSize)
            let body = ApiVersionsHandler.unsupportedVersionResponse(broker.supported)
            finish(context, sequence, try? ResponseFrame.encode(body, correlationId: header.correlationId, apiKey: apiKey, version: 0))
        case .dispatch:
            dispatch(context: context, header: header, apiKey: apiKey, body: frame, size: frameSize)
        }
    }

    func take(_ size: Int) -> Int {
        defer { nextSequence += 1 }
        unanswered.append((size, false, false, nil))
        queuedBytes += size
        stats.requestsQueued(1)
        return nextSequence
    }

    private func dispatch(context: ChannelHandlerContext, header: RequestHeader, apiKey: ApiKey, body: ByteBuffer, size: Int) {
        guard let entry = broker.supported.entry(apiKey) else { return }
        let sequence = take(size)
        if apiKey == .apiVersions, header.requestApiVersion >= 3 {
            var copy = body
            if let request = try? ApiVersionsRequest(from: &copy, version: header.requestApiVersion) {
                clientSoftware = (request.clientSoftwareName, request.clientSoftwareVersion)
            }
        }
        let exempt = quotaExempt(apiKey), hook = hook(context)
        let requestContext = RequestContext(
            broker: broker, apiVersion: header.requestApiVersion, correlationId: header.correlationId,
            clientId: header.clientId, logger: logger, clientHost: clientHost, clientPort: clientPort, clientSoftware: clientSoftware,
            listenerName: listener.name, sasl: sasl, principal: principal, securityProtocol: listener.securityProtocol,
            tokenAuthenticated: sasl?.tokenAuthenticated ?? false, requestSize: size,
            connection: (hook, sequence, exempt))
        if !machine.isAuthenticated || apiKey == .saslHandshake || apiKey == .saslAuthenticate { authenticationInFlight = true }
        let zeroCopy = self.zeroCopy
        let executor: any TaskExecutor = entry.runsOnEventLoop ? loopExecutor(context) : broker.io
        let version = header.requestApiVersion, correlationId = header.correlationId
        // The task starts on its executor (no stop on Swift's global pool on the way) and, on
        // the connection's event loop, answers without a hop back.
        let start: @Sendable () -> Void = {
            Task(executorPreference: executor) {
                let result: Result<ResponseFrame?, any Error>
                do {
                    var body = body
                    requestContext.throttle.started(at: .now)
                    let response = try await entry.handle(requestContext, &body)
                    // Kafka reports the throttle in every response that has the field
                    // (KafkaApis.sendResponseMaybeThrottle), and records even a response it
                    // does not send (acks=0).
                    let throttleMs = requestContext.responseThrottleMs(exempt: exempt)
                    result = .success(try response.map {
                        try ResponseFrame.make(
                            $0.reportingThrottle(throttleMs, version: version), correlationId: correlationId,
                            apiKey: apiKey, version: version, zeroCopy: zeroCopy)
                    })
                } catch {
                    result = .failure(error)
                }
                hook.answer(result, sequence: sequence, apiKey: apiKey, version: version, requestContext)
            }
        }
        // Kafka handles a connection's requests one at a time, in order: a pipelined Produce
        // must not overtake the one before it.
        if requestRunning {
            waitingRequests.append(start)
        } else {
            requestRunning = true
            startWhenUnmuted(context, start)
        }
        updateReading(context)
    }

    private func loopExecutor(_ context: ChannelHandlerContext) -> EventLoopTaskExecutor {
        if let eventLoopExecutor { return eventLoopExecutor }
        let made = EventLoopTaskExecutor(context.eventLoop)
        eventLoopExecutor = made
        return made
    }

    private func hook(_ context: ChannelHandlerContext) -> ConnectionHook {
        if let connectionHook { return connectionHook }
        let made = ConnectionHook(self, context)
        connectionHook = made
        return made
    }

    /// Marks request `sequence` as having let the next one start, if it is still unanswered and
    /// has not already; returns whether it did.
    func markReleased(_ sequence: Int) -> Bool {
        guard sequence >= nextToWrite, sequence < nextSequence else { return false }
        let slot = unanswered.index(unanswered.startIndex, offsetBy: sequence - nextToWrite)
        guard !unanswered[slot].done, !unanswered[slot].released else { return false }
        unanswered[slot].released = true
        return true
    }

    /// Whether request `sequence`, unanswered, already let the next one start.
    func wasReleased(_ sequence: Int) -> Bool {
        guard sequence >= nextToWrite, sequence < nextSequence else { return false }
        return unanswered[unanswered.index(unanswered.startIndex, offsetBy: sequence - nextToWrite)].released
    }

    /// Writes the responses now in order and, with `flush`, sends them; returns whether it wrote any.
    @discardableResult
    func finish(_ context: ChannelHandlerContext, _ sequence: Int, _ frame: ResponseFrame?, flush: Bool = true) -> Bool {
        guard sequence >= nextToWrite, sequence < nextSequence else {
            assertionFailure("request \(sequence) answered twice or never taken")
            return false
        }
        let slot = unanswered.index(unanswered.startIndex, offsetBy: sequence - nextToWrite)
        unanswered[slot].done = true
        unanswered[slot].response = frame
        var wrote = false
        while let next = unanswered.first, next.done {
            unanswered.removeFirst()
            if let response = next.response {
                write(context, response)
                wrote = true
            }
            queuedBytes -= next.size
            stats.requestsQueued(-1)
            nextToWrite += 1
        }
        if wrote && flush { context.flush() }
        updateReading(context)
        return wrote
    }

    private func write(_ context: ChannelHandlerContext, _ frame: ResponseFrame) {
        lastActive = .now()
        for part in frame.parts {
            switch part {
            case .bytes(let bytes):
                context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
            case .region(let region):
                // NIO's handle borrows the log's descriptor; the region keeps the file open until
                // the write is done, then the descriptor is taken back so NIO does not close it.
                let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: region.file.descriptor)
                let fileRegion = FileRegion(
                    fileHandle: handle, readerIndex: Int(region.position), endIndex: Int(region.position) + region.length)
                let written = context.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenComplete { _ in
                    _ = try? handle.takeDescriptorOwnership()
                    withExtendedLifetime(region.file) {}
                }
                context.write(wrapOutboundOut(.fileRegion(fileRegion)), promise: written)
            }
        }
    }

    /// Stops reading while requests or unsent responses pile up; resumes once they drain.
    private func updateReading(_ context: ChannelHandlerContext) {
        let queued = nextSequence - nextToWrite
        let writable = context.channel.isWritable
        if !readingPaused && (queued >= Self.maxInFlight || queuedBytes > Self.maxQueuedBytes || !writable || mutedUntil != nil) {
            readingPaused = true
            stats.pausedChanged(1)
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        } else if readingPaused && queued < Self.maxInFlight / 2 && queuedBytes <= Self.maxQueuedBytes / 2 && writable && mutedUntil == nil {
            readingPaused = false
            stats.pausedChanged(-1)
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            handleFrames(context)
        }
    }

    /// Stops reading for `ms`: Kafka's ThrottledChannel.
    func mute(_ context: ChannelHandlerContext, untilMs ms: Int64) {
        let until = NIODeadline.now() + .milliseconds(ms)
        if let current = mutedUntil, current >= until { return }
        mutedUntil = until
        updateReading(context)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(deadline: until) {
            let (handler, context) = bound.value
            guard let muted = handler.mutedUntil, muted <= NIODeadline.now() else { return }
            handler.mutedUntil = nil
            handler.updateReading(context)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        updateReading(context)
        context.fireChannelWritabilityChanged()
    }

    func close(_ context: ChannelHandlerContext, _ action: ConnectionStateMachine.Action) {
        closing = true
        // The answers already written (a `flushSoon` may be pending) go out first, as Kafka sends
        // a request's response before it reads the next one.
        context.flush()
        if case .close(let reason) = action {
            logger.info("closing connection: \(reason)")
        }
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        closing = true
        if tlsEstablished, let ssl = error as? NIOSSLError, case .uncleanShutdown = ssl {
            // Many clients (kafka-python among them) close without TLS's close_notify.
            logger.debug("connection closed without a TLS close_notify")
        } else if tlsEstablished && (error is NIOSSLError || error is BoringSSLError) {
            logger.info("closing connection: TLS error on listener \(listener.name): \(error)")
        } else if error is NIOSSLError || error is BoringSSLError {
            logger.info("closing connection: TLS handshake failed on listener \(listener.name) (a PLAINTEXT client, a client that does not trust this certificate, an untrusted or missing client certificate, or no common protocol): \(error)")
        } else {
            logger.info("closing connection: \(error)")
        }
        machine.channelClosed()
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            tlsEstablished = true
            if listener.securityProtocol == .ssl {
                guard let mapped = sslPrincipal(context) else {
                    machine.channelClosed()
                    return context.close(promise: nil)
                }
                principal = mapped
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        idleCheck?.cancel()
        idleCheck = nil
        frames.reset()
        machine.channelClosed()
        stats.connectionClosed(paused: readingPaused)
        context.fireChannelInactive()
    }
}

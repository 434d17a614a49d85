import KafkaProtocol
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

@testable import GregorBroker

/// A request the test client knows the response type of.
protocol TestRequest: KafkaAPIMessage {
    associatedtype Response: KafkaAPIMessage
}

extension ApiVersionsRequest: TestRequest { typealias Response = ApiVersionsResponse }
extension MetadataRequest: TestRequest { typealias Response = MetadataResponse }
extension CreateTopicsRequest: TestRequest { typealias Response = CreateTopicsResponse }
extension DeleteTopicsRequest: TestRequest { typealias Response = DeleteTopicsResponse }
extension ProduceRequest: TestRequest { typealias Response = ProduceResponse }
extension FetchRequest: TestRequest { typealias Response = FetchResponse }
extension ListOffsetsRequest: TestRequest { typealias Response = ListOffsetsResponse }
extension InitProducerIdRequest: TestRequest { typealias Response = InitProducerIdResponse }

struct ClientError: Error, CustomStringConvertible {
    var description: String
    static let timedOut = ClientError(description: "timed out waiting for a response")
    static let closed = ClientError(description: "connection closed before the response")
}

/// Collects response frames on the event loop; a reader waits for the next one with a timeout.
final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var frames = CircularBuffer<ByteBuffer>()
    private var waiter: (id: Int, promise: EventLoopPromise<ByteBuffer?>)?
    private var nextWaiterId = 0
    private var closed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if let waiter {
            self.waiter = nil
            waiter.promise.succeed(frame)
        } else {
            frames.append(frame)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        if let waiter {
            self.waiter = nil
            waiter.promise.succeed(nil)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// The next frame; nil once the connection has closed and every frame was read.
    func next(on loop: EventLoop, timeout: TimeAmount) -> EventLoopFuture<ByteBuffer?> {
        if let frame = frames.popFirst() { return loop.makeSucceededFuture(frame) }
        if closed { return loop.makeSucceededFuture(nil) }
        precondition(waiter == nil, "one reader at a time")
        let promise = loop.makePromise(of: ByteBuffer?.self)
        nextWaiterId += 1
        let id = nextWaiterId
        waiter = (id, promise)
        let timer = loop.assumeIsolated().scheduleTask(in: timeout) {
            guard let waiter = self.waiter, waiter.id == id else { return }
            self.waiter = nil
            waiter.promise.fail(ClientError.timedOut)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return promise.futureResult
    }
}

/// A minimal Kafka client: encodes requests with the generated codec, frames them, and reads
/// response frames with the broker's own frame decoder. Every wait is bounded.
final class KafkaTestClient: Sendable {
    let channel: Channel
    private let collector: NIOLoopBound<ResponseCollector>
    private let nextCorrelationId = Mutex<Int32>(1)
    let clientId: String? = "gregor-tests"

    private init(channel: Channel, collector: NIOLoopBound<ResponseCollector>) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects; with `autoRead` false nothing is read until `startReading()` (a stalled consumer).
    /// With `tls`, the connection is wrapped in TLS, verifying the broker as `localhost`.
    static func connect(port: Int, autoRead: Bool = true, tls: NIOSSLContext? = nil) async throws -> KafkaTestClient {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelOption(ChannelOptions.autoRead, value: autoRead)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                    }
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder(maxFrameSize: Int(Int32.max))),
                        ResponseCollector(),
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let collector = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: ResponseCollector.self), eventLoop: channel.eventLoop)
        }.get()
        return KafkaTestClient(channel: channel, collector: collector)
    }

    func startReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: true)
    }

    func close() async {
        try? await channel.close()
    }

    func takeCorrelationId() -> Int32 {
        nextCorrelationId.withLock { id in
            defer { id += 1 }
            return id
        }
    }

    // MARK: Frames

    /// A request frame: size, request header at the API's header version, body at `bodyVersion`
    /// (the header's version unless given: an unknown version needs a body the codec can write).
    func frame<R: KafkaAPIMessage>(_ request: R, version: Int16, correlationId: Int32, bodyVersion: Int16? = nil) throws -> ByteBuffer {
        let header = RequestHeader(requestApiKey: R.apiKey.rawValue, requestApiVersion: version, correlationId: correlationId, clientId: clientId)
        var payload = ByteBuffer()
        try header.write(to: &payload, version: R.apiKey.requestHeaderVersion(version))
        try request.write(to: &payload, version: bodyVersion ?? version)
        return Self.sizePrefixed(payload)
    }

    static func sizePrefixed(_ payload: ByteBuffer) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.writeInteger(Int32(payload.readableBytes))
        var payload = payload
        frame.writeBuffer(&payload)
        return frame
    }

    func write(_ bytes: ByteBuffer) async throws {
        try await channel.writeAndFlush(bytes)
    }

    /// The next response frame without its size; nil when the broker closed the connection.
    func nextFrame(timeout: TimeAmount = .seconds(10)) async throws -> ByteBuffer? {
        let collector = self.collector
        return try await channel.eventLoop.flatSubmit {
            collector.value.next(on: collector.eventLoop, timeout: timeout)
        }.get()
    }

    /// Waits for the broker to close the connection, discarding any responses before that.
    /// Returns how many responses came first.
    @discardableResult
    func waitForClose(timeout: TimeAmount = .seconds(10)) async throws -> Int {
        var responses = 0
        while try await nextFrame(timeout: timeout) != nil { responses += 1 }
        return responses
    }

    // MARK: Requests

    /// Sends a request without waiting; returns its correlation id.
    func send<R: KafkaAPIMessage>(_ request: R, version: Int16) async throws -> Int32 {
        let id = takeCorrelationId()
        try await write(frame(request, version: version, correlationId: id))
        return id
    }

    /// Reads the next response, which must carry `correlationId` and decode exactly.
    func receive<R: KafkaAPIMessage>(_: R.Type, version: Int16, correlationId: Int32, timeout: TimeAmount = .seconds(10)) async throws -> R {
        guard var frame = try await nextFrame(timeout: timeout) else { throw ClientError.closed }
        return try Self.decode(R.self, from: &frame, version: version, correlationId: correlationId)
    }

    static func decode<R: KafkaAPIMessage>(_: R.Type, from frame: inout ByteBuffer, version: Int16, correlationId: Int32) throws -> R {
        let header = try ResponseHeader(from: &frame, version: R.apiKey.responseHeaderVersion(version))
        guard header.correlationId == correlationId else {
            throw ClientError(description: "\(R.messageName): correlation id \(header.correlationId), expected \(correlationId)")
        }
        let body = try R(from: &frame, version: version)
        guard frame.readableBytes == 0 else {
            throw ClientError(description: "\(R.messageName) v\(version): \(frame.readableBytes) bytes after the body")
        }
        return body
    }

    /// Sends a request and waits for its response.
    func request<R: TestRequest>(_ request: R, version: Int16, timeout: TimeAmount = .seconds(10)) async throws -> R.Response {
        let id = try await send(request, version: version)
        return try await receive(R.Response.self, version: version, correlationId: id, timeout: timeout)
    }
}

import NIOCore
import NIOHTTP1

/// One POST to the gateway and where its answer goes.
struct EtcdHTTPRequest: Sendable {
    var path: String
    var host: String
    var body: ByteBuffer
    var promise: EventLoopPromise<EtcdHTTPResponse>
}

/// One whole answer.
struct EtcdHTTPResponse: Sendable {
    var status: HTTPResponseStatus
    var body: ByteBuffer
    /// Whether the connection can carry another request.
    var keepAlive: Bool
}

/// Why an exchange failed before any answer, which decides whether it may be tried again elsewhere.
enum EtcdExchangeFailure: Error, CustomStringConvertible {
    /// The request never left: connecting failed, or the connection was closed before the write.
    case notSent(any Error)
    /// The request went out and the connection broke before the whole answer.
    case lost(String)

    var description: String {
        switch self {
        case .notSent(let error): "\(error)"
        case .lost(let reason): reason
        }
    }
}

/// Carries unary requests over one keep-alive HTTP/1.1 connection, one at a time: the pool lends
/// a connection to one caller until its answer is in, so there is never more than one pending.
final class EtcdHTTPHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = EtcdHTTPRequest
    typealias OutboundOut = HTTPClientRequestPart

    /// An answer above this is refused rather than buffered: `range(prefix:)` pages, so only a
    /// transaction's `getPrefix` over a huge prefix comes near it.
    static let maxAnswerBytes = 64 << 20

    private var pending: EventLoopPromise<EtcdHTTPResponse>?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard pending == nil else {
            // The pool never lends a busy connection; refuse rather than interleave answers.
            let error = EtcdExchangeFailure.notSent(ChannelError.inappropriateOperationForState)
            request.promise.fail(error)
            promise?.fail(error)
            return
        }
        pending = request.promise
        head = nil
        body.clear()
        var requestHead = HTTPRequestHead(version: .http1_1, method: .POST, uri: request.path)
        requestHead.headers.add(name: "Host", value: request.host)
        requestHead.headers.add(name: "Content-Type", value: "application/json")
        requestHead.headers.add(name: "Content-Length", value: "\(request.body.readableBytes)")
        context.write(wrapOutboundOut(.head(requestHead)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
        case .body(var bytes):
            guard body.readableBytes + bytes.readableBytes <= Self.maxAnswerBytes else {
                fail(EtcdError.malformed("an answer over \(Self.maxAnswerBytes) bytes"))
                context.close(promise: nil)
                return
            }
            body.writeBuffer(&bytes)
        case .end:
            guard let promise = pending, let head else { return }
            pending = nil
            promise.succeed(EtcdHTTPResponse(status: head.status, body: body, keepAlive: head.isKeepAlive))
            body = ByteBuffer()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(EtcdExchangeFailure.lost("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(EtcdExchangeFailure.lost("the connection closed before the whole answer"))
        context.fireChannelInactive()
    }

    private func fail(_ error: any Error) {
        pending?.fail(error)
        pending = nil
    }
}

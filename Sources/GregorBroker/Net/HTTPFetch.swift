import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP(S) GET over SwiftNIO, for documents the broker fetches itself (a JWKS endpoint):
/// one request per connection, no redirects, a bounded body, a deadline.
enum HTTPFetch {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The body of a 200 answer to GET `url` (http or https; https checks the server's
    /// certificate and name against `trustRoots`, or the system's CAs).
    static func get(_ url: URL, trustRoots: NIOSSLTrustRoots = .default, timeout: TimeAmount = .seconds(10), maxBytes: Int = 1 << 20,
                    group: any EventLoopGroup) -> EventLoopFuture<[UInt8]> {
        let loop = group.next()
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host else {
            return loop.makeFailedFuture(Failure(description: "\(url) is not an http or https URL"))
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let tls: NIOSSLContext?
        do {
            if scheme == "https" {
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.trustRoots = trustRoots
                tls = try NIOSSLContext(configuration: configuration)
            } else {
                tls = nil
            }
        } catch {
            return loop.makeFailedFuture(error)
        }
        let promise = loop.makePromise(of: [UInt8].self)
        let path = (url.path.isEmpty ? "/" : url.path) + (url.query.map { "?\($0)" } ?? "")
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // An address is no server name (SNI): the certificate is checked against it instead.
                    let serverName = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(Collector(promise: promise, maxBytes: maxBytes))
                }
            }
        bootstrap.connect(host: host, port: port).whenComplete { result in
            switch result {
            case .failure(let error):
                promise.fail(error)
            case .success(let channel):
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
                head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
                head.headers.add(name: "Accept", value: "application/json")
                head.headers.add(name: "Connection", value: "close")
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                    promise.fail(Failure(description: "no answer from \(url) within \(timeout.nanoseconds / 1_000_000) ms"))
                    channel.close(promise: nil)
                }
                promise.futureResult.whenComplete { _ in
                    deadline.cancel()
                    channel.close(promise: nil)
                }
            }
        }
        return promise.futureResult
    }

    /// Gathers one response; fails on a status other than 200 or a body over the limit.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<[UInt8]>
        let maxBytes: Int
        var status: HTTPResponseStatus?
        var body: [UInt8] = []

        init(promise: EventLoopPromise<[UInt8]>, maxBytes: Int) {
            self.promise = promise
            self.maxBytes = maxBytes
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                status = head.status
            case .body(var bytes):
                body += bytes.readBytes(length: bytes.readableBytes) ?? []
                if body.count > maxBytes {
                    promise.fail(Failure(description: "a body over \(maxBytes) bytes"))
                    context.close(promise: nil)
                }
            case .end:
                if status == .ok { promise.succeed(body) } else {
                    promise.fail(Failure(description: "HTTP \(status.map { "\($0.code) \($0.reasonPhrase)" } ?? "?")"))
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(Failure(description: "the connection closed before the whole answer"))
        }
    }
}

import NIOCore
import NIOPosix

/// A loopback TCP server that answers every connection's first bytes with the same canned
/// bytes and closes, or closes without a word, or never answers: what a real etcd never does.
final class CannedHTTPServer: Sendable {
    enum Behaviour: Sendable {
        case answer(String)
        case closeOnRequest
        case silent
    }

    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel) {
        self.channel = channel
    }

    static func start(_ behaviour: Behaviour) async throws -> CannedHTTPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CannedHandler(behaviour)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CannedHTTPServer(channel: channel)
    }

    func stop() async {
        try? await channel.close()
    }

    /// An HTTP/1.1 answer with this status line and body, closing the connection.
    static func http(_ status: String, _ body: String, contentType: String = "application/json") -> Behaviour {
        .answer("HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
    }
}

private final class CannedHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let behaviour: CannedHTTPServer.Behaviour
    var answered = false

    init(_ behaviour: CannedHTTPServer.Behaviour) {
        self.behaviour = behaviour
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        switch behaviour {
        case .answer(let text):
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text))).whenComplete { _ in channel.close(promise: nil) }
        case .closeOnRequest:
            context.close(promise: nil)
        case .silent:
            break
        }
    }
}

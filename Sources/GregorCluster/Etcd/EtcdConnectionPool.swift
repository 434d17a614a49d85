import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Keep-alive connections to each endpoint, each lent to one request at a time, and which
/// endpoint requests go to first: the one that last worked, so a dead member costs one refused
/// connect once rather than on every request.
final class EtcdConnectionPool: Sendable {
    let endpoints: [EtcdEndpoint]
    private let group: any EventLoopGroup
    /// Idle connections kept per endpoint; more are opened when requests overlap, and closed after.
    private let maxIdle = 4

    private struct State {
        var idle: [[any Channel]]
        var preferred = 0
        var closed = false
    }

    private let state: Mutex<State>

    init(endpoints: [EtcdEndpoint], group: any EventLoopGroup) {
        self.endpoints = endpoints
        self.group = group
        self.state = Mutex(State(idle: Array(repeating: [], count: endpoints.count)))
    }

    /// The endpoints to try for one request, as indexes: the preferred one, then round the ring.
    func order() -> [Int] {
        let first = state.withLock { $0.preferred }
        return (0..<endpoints.count).map { (first + $0) % endpoints.count }
    }

    /// Moves the preference past an endpoint that just failed (unless another request already did).
    func failed(_ index: Int) {
        state.withLock { state in
            if state.preferred == index { state.preferred = (index + 1) % endpoints.count }
        }
    }

    /// An event loop of the group, for promises that outlive one connection.
    func nextEventLoop() -> any EventLoop { group.next() }

    /// Closes every idle connection; connections lent out close when their request ends.
    func close() {
        let idle = state.withLock { state in
            state.closed = true
            defer { state.idle = Array(repeating: [], count: endpoints.count) }
            return state.idle.flatMap { $0 }
        }
        for channel in idle { channel.close(promise: nil) }
    }

    /// One POST to one endpoint, answered by `deadline`, on an idle connection if there is one.
    func exchange(_ index: Int, path: String, body: ByteBuffer, deadline: NIODeadline) async throws -> EtcdHTTPResponse {
        var reuse = true
        while true {
            let (channel, reused) = try await connection(to: index, reuse: reuse, deadline: deadline)
            do {
                let response = try await send(on: channel, to: endpoints[index], path: path, body: body, deadline: deadline)
                if response.keepAlive { release(channel, to: index) } else { channel.close(promise: nil) }
                return response
            } catch EtcdExchangeFailure.notSent where reused {
                // An idle connection the server had closed: the request never left, so a fresh one is safe.
                channel.close(promise: nil)
                reuse = false
            } catch {
                channel.close(promise: nil)
                throw error
            }
        }
    }

    /// A connection to the endpoint for one caller's exclusive use: the caller closes it, or
    /// gives it back with `release` once its answer is complete.
    func connect(to index: Int, deadline: NIODeadline, handler: @escaping @Sendable () -> any ChannelHandler) async throws -> any Channel {
        let endpoint = endpoints[index]
        let remaining = deadline - .now()
        guard remaining > .zero else { throw EtcdError.timeout("no time left to connect to \(endpoint)") }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(remaining)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler())
                }
            }
        do {
            return try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        } catch {
            throw EtcdExchangeFailure.notSent(error)
        }
    }

    private func connection(to index: Int, reuse: Bool, deadline: NIODeadline) async throws -> (any Channel, reused: Bool) {
        if reuse, let idle = takeIdle(index) { return (idle, true) }
        return (try await connect(to: index, deadline: deadline) { EtcdHTTPHandler() }, false)
    }

    private func takeIdle(_ index: Int) -> (any Channel)? {
        state.withLock { state in
            while let channel = state.idle[index].popLast() {
                if channel.isActive { return channel }
            }
            return nil
        }
    }

    private func release(_ channel: any Channel, to index: Int) {
        let kept = state.withLock { state in
            guard !state.closed, channel.isActive, state.idle[index].count < maxIdle else { return false }
            state.idle[index].append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    private func send(on channel: any Channel, to endpoint: EtcdEndpoint, path: String, body: ByteBuffer,
                      deadline: NIODeadline) async throws -> EtcdHTTPResponse {
        let promise = channel.eventLoop.makePromise(of: EtcdHTTPResponse.self)
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            promise.fail(EtcdError.timeout("no answer from \(endpoint) to \(path) in time"))
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        let request = EtcdHTTPRequest(path: path, host: endpoint.description, body: body, promise: promise)
        // A write that fails never reached the handler (the channel had closed), so nothing else
        // will complete the promise; the first completion wins if the handler did see it.
        channel.writeAndFlush(request).whenFailure { error in promise.fail(EtcdExchangeFailure.notSent(error)) }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
            channel.close(promise: nil)
        }
    }
}

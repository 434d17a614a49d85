import Foundation
import Logging
import NIOCore
import NIOHTTP1

extension EtcdClient {
    /// Every change to keys starting with `prefix` from revision `fromRevision` on (0: from now),
    /// including changes made before the call, in revision order.
    ///
    /// The watch has its own connection. The stream ends with an error, never quietly: `.compacted`
    /// (with `compactRevision`) when `fromRevision` is gone, so re-list with `range(prefix:)` and
    /// watch from its revision + 1; `.connectionLost` when the connection drops; `.watchCanceled`
    /// when etcd cancels it otherwise. Resume from the last batch's `revision + 1`. Cancelling the
    /// consuming task (or dropping the stream) closes the connection.
    public func watch(prefix: String, fromRevision: Int64) -> AsyncThrowingStream<EtcdWatchBatch, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: EtcdWatchBatch.self)
        let range = WireRangeRequest.prefix(prefix)
        let request = WireWatchRequest(createRequest: .init(key: range.key, rangeEnd: range.rangeEnd,
                                                            startRevision: fromRevision > 0 ? WireInt64(fromRevision) : nil,
                                                            progressNotify: true))
        let task = Task { await self.runWatch(request, continuation: continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Connects (trying each endpoint until one confirms the watch), then waits until the
    /// connection closes or the consumer goes away; the handler feeds the stream meanwhile.
    private func runWatch(_ request: WireWatchRequest, continuation: AsyncThrowingStream<EtcdWatchBatch, any Error>.Continuation) async {
        let path = "/v3/watch"
        let body: ByteBuffer
        do {
            body = ByteBuffer(bytes: try JSONEncoder().encode(request))
        } catch {
            continuation.finish(throwing: error)
            return
        }
        let deadline = NIODeadline.now() + requestTimeout
        var failures: [String] = []
        for index in pool.order() {
            let endpoint = endpoints[index]
            let created = pool.nextEventLoop().makePromise(of: Void.self)
            let channel: any Channel
            do {
                channel = try await pool.connect(to: index, deadline: deadline) {
                    EtcdWatchHandler(continuation: continuation, created: created)
                }
            } catch {
                created.fail(error)
                failures.append("\(endpoint): \(error)")
                pool.failed(index)
                continue
            }
            let outcome = await confirm(channel, endpoint: endpoint, path: path, body: body, created: created, deadline: deadline)
            switch outcome {
            case .success:
                logger.debug("etcd watch started", metadata: ["endpoint": "\(endpoint)"])
                await withTaskCancellationHandler {
                    try? await channel.closeFuture.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
                return
            case .failure(let error as EtcdExchangeFailure):
                // Nothing was delivered yet, and a watch reads only: another endpoint is safe.
                failures.append("\(endpoint): \(error)")
                pool.failed(index)
            case .failure(let error):
                continuation.finish(throwing: error)
                return
            }
        }
        continuation.finish(throwing: EtcdError.unreachable("\(path): no etcd endpoint answered (\(failures.joined(separator: "; ")))"))
    }

    /// Sends the create request and waits for etcd's `created` answer, the deadline, or cancellation.
    private func confirm(_ channel: any Channel, endpoint: EtcdEndpoint, path: String, body: ByteBuffer,
                         created: EventLoopPromise<Void>, deadline: NIODeadline) async -> Result<Void, any Error> {
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            created.fail(EtcdError.timeout("\(path) on \(endpoint): the watch was not confirmed in time"))
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: endpoint.description)
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(body)), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { error in
            created.fail(EtcdExchangeFailure.notSent(error))
        }
        let result: Result<Void, any Error>
        do {
            try await withTaskCancellationHandler {
                try await created.futureResult.get()
            } onCancel: {
                created.fail(CancellationError())
            }
            result = .success(())
        } catch {
            result = .failure(error)
        }
        timer.cancel()
        if case .failure = result { channel.close(promise: nil) }
        return result
    }
}

import Foundation
import NIOCore
import NIOHTTP1

/// Reads `/v3/watch`'s streamed answer: a chunked body of JSON objects, one per line
/// (`{"result": {...}}\n`). Lines are split on newlines, not on chunks, which the gateway does
/// not promise to align with them; JSON escapes every newline inside a string, so a raw newline
/// always ends an object.
///
/// Until etcd confirms the watch (`created`), failures go to `created` so the caller can try
/// another endpoint; after, every failure ends the stream.
final class EtcdWatchHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias Continuation = AsyncThrowingStream<EtcdWatchBatch, any Error>.Continuation

    /// A line longer than this is refused rather than buffered (etcd sends a thousand revisions'
    /// events at most in one answer; values are at most 1.5 MiB each by default).
    static let maxLineBytes = 256 << 20

    private let continuation: Continuation
    private let created: EventLoopPromise<Void>
    private var confirmed = false
    private var finished = false
    private var status: HTTPResponseStatus?
    private var buffer = ByteBuffer()

    init(continuation: Continuation, created: EventLoopPromise<Void>) {
        self.continuation = continuation
        self.created = created
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var bytes):
            buffer.writeBuffer(&bytes)
            guard status == .ok else {
                // An error answer: its whole body is one JSON error object, read at the end.
                if buffer.readableBytes > 1 << 20 { finish(EtcdError.malformed("/v3/watch: an error answer over 1 MiB"), context) }
                return
            }
            while !finished, let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer.readSlice(length: newline - buffer.readerIndex + 1)!
                handle(line, context)
            }
            buffer.discardReadBytes()
            if buffer.readableBytes > Self.maxLineBytes {
                finish(EtcdError.malformed("/v3/watch: a line over \(Self.maxLineBytes) bytes"), context)
            }
        case .end:
            if status != .ok {
                finish(errorAnswer(), context)
                return
            }
            if buffer.readableBytes > 0 { handle(buffer, context) }
            finish(EtcdError.connectionLost("etcd ended the watch's answer"), context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(confirmed ? EtcdError.connectionLost("the watch connection failed: \(error)") : EtcdExchangeFailure.lost("\(error)"), context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let reason = "the watch connection closed"
        finish(confirmed ? EtcdError.connectionLost(reason) : EtcdExchangeFailure.lost(reason), nil)
        context.fireChannelInactive()
    }

    private func handle(_ line: ByteBuffer, _ context: ChannelHandlerContext) {
        let bytes = Data(line.readableBytesView)
        guard bytes.contains(where: { !$0.isJSONSpace }) else { return }
        let decoded: WireWatchLine
        do {
            decoded = try JSONDecoder().decode(WireWatchLine.self, from: bytes)
        } catch {
            let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            return finish(EtcdError.malformed("/v3/watch: \(error) in '\(text)'"), context)
        }
        if let error = decoded.error {
            return finish(EtcdError.answer(httpStatus: error.httpCode ?? 200, grpcCode: error.grpcCode, message: error.message), context)
        }
        guard let result = decoded.result else {
            return finish(EtcdError.malformed("/v3/watch: a line with neither result nor error"), context)
        }
        if result.canceled == true {
            if let compacted = result.compactRevision?.value, compacted > 0 {
                return finish(EtcdError(code: .compacted, message: "the watch's start revision was compacted", compactRevision: compacted), context)
            }
            let reason = result.cancelReason.map { $0.isEmpty ? "no reason given" : $0 } ?? "no reason given"
            return finish(EtcdError(code: .watchCanceled, message: "etcd cancelled the watch: \(reason)"), context)
        }
        if result.created == true {
            confirmed = true
            created.succeed(())
        }
        let events = (result.events ?? []).map { event in
            EtcdEvent(kind: event.isDelete ? .delete : .put, kv: event.kv?.keyValue ?? EtcdKeyValue(key: "", value: [], createRevision: 0, modRevision: 0, version: 0))
        }
        if let last = events.last {
            continuation.yield(EtcdWatchBatch(revision: last.kv.modRevision, events: events))
        } else if result.created != true, let revision = result.header?.revision?.value {
            // A progress notification: nothing matched up to this revision.
            continuation.yield(EtcdWatchBatch(revision: revision, events: []))
        }
    }

    private func errorAnswer() -> EtcdError {
        let bytes = Data(buffer.readableBytesView)
        let code = Int(status?.code ?? 0)
        if let body = try? JSONDecoder().decode(WireErrorBody.self, from: bytes), let message = body.message ?? body.error {
            return EtcdError.answer(httpStatus: code, grpcCode: body.code, message: message)
        }
        return EtcdError(code: .server, message: "/v3/watch: HTTP \(code): '\(String(decoding: bytes.prefix(200), as: UTF8.self))'", httpStatus: code)
    }

    /// Ends the watch once: before confirmation through `created`, after it through the stream.
    private func finish(_ error: any Error, _ context: ChannelHandlerContext?) {
        guard !finished else { return }
        finished = true
        if confirmed {
            continuation.finish(throwing: error)
        } else {
            created.fail(error)
        }
        context?.close(promise: nil)
    }
}

extension UInt8 {
    fileprivate var isJSONSpace: Bool { self == 0x20 || self == 0x0A || self == 0x0D || self == 0x09 }
}

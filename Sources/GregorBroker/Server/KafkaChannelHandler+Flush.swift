import NIOCore

extension KafkaChannelHandler {
    /// Sends what is written once the event loop has run the tasks queued before this call, among
    /// them the next pipelined request when it was already read: a handler that does not wait
    /// (a produce appending to the page cache) answers within them, and the responses leave in
    /// one write. While requests of this connection are still unanswered the flush waits up to
    /// `maxFlushHops` more turns of the loop, so five requests in flight (a producer's default)
    /// are answered in one or two writes. Each write wakes the client's thread; on a VM the
    /// wake-up (an inter-processor interrupt) cost more of the broker's CPU than the append with
    /// 16 KiB batches five in flight (`rawproduce`, issue 13). A request that waits (an fsync, a
    /// fetch at the log end) holds the responses before it back by those turns only.
    func flushSoon(_ context: ChannelHandlerContext) {
        guard !flushPending else { return }
        flushPending = true
        scheduleFlush(context, hops: 0)
    }

    static let maxFlushHops = 4

    private func scheduleFlush(_ context: ChannelHandlerContext, hops: Int) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = bound.value
            if hops < Self.maxFlushHops, handler.nextSequence > handler.nextToWrite, !handler.closing {
                return handler.scheduleFlush(context, hops: hops + 1)
            }
            handler.flushPending = false
            context.flush()
        }
    }
}

import NIOCore

// connections.max.idle.ms: Kafka's Selector closes a connection that has read and written nothing
// for that long (its idle expiry manager, checked as it polls). One timer a connection, moved on
// only when it fires: a busy connection costs a clock read a read and a write, where NIO's
// IdleStateHandler made a promise for every write to learn when it completed (issue 13).
extension KafkaChannelHandler {
    func scheduleIdleCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleCheck = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.checkIdle(context)
        }
    }

    private func checkIdle(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        let due = lastActive + idleTimeout
        if due > .now() { return scheduleIdleCheck(context, at: due) }
        logger.debug("closing idle connection (connections.max.idle.ms)")
        context.close(promise: nil)
    }
}

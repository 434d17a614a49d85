import NIOCore

/// Runs a connection's non-blocking request handlers on the connection's own event loop.
///
/// Each request used to start a task on the `num.io.threads` pool and come back to the event
/// loop with its response: two thread wake-ups per request, which the profile of 10,000
/// single-record produce requests a second showed as most of the broker's CPU (futex waits and
/// context switches). A handler that never blocks its thread (`APIHandler.runsOnEventLoop`)
/// starts, suspends and resumes here instead; it hops to the pool only for work that blocks
/// (an fsync), as Kafka's network threads hand only such work to its request handlers.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // Run as this task executor, so the task's later jobs (after an await) come back here.
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

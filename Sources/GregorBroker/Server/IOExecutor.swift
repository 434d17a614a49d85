import NIOPosix

/// The threads request handlers run on, `num.io.threads` of them as in Kafka's request handler
/// pool. Handlers do blocking file I/O (appends, fsyncs, creating a thousand topics at once);
/// on Swift's cooperative pool, one thread per core, two such requests would stall every other
/// connection and the group coordinator's timers.
public final class IOExecutor: TaskExecutor {
    let pool: NIOThreadPool

    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
    }

    func start() { pool.start() }

    /// Stops the threads once the jobs queued so far have run.
    func shutdown() async throws { try await pool.shutdownGracefully() }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // After shutdown the pool hands the item back at once (state `.cancelled`): the job
        // still runs, here, since dropping it would leave its task suspended forever.
        pool.submit { _ in job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

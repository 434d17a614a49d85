#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A lock whose waiters sleep in the kernel rather than spin: a partition log's state (issue 13).
///
/// Swift's `Mutex` on Linux is a priority-inheritance futex, and a contended one spins in the
/// kernel (`rt_mutex_slowlock_block`) while its owner runs. An append holds its partition's lock
/// across the `pwritev` into the page cache, which is slow when that memory is cold; with
/// producers on both event loops writing to one partition, the waiting loop spun on a core the
/// clients needed (8% of the broker's CPU in a profile of 8 producers to one partition). A
/// default pthread mutex puts the waiter to sleep instead.
final class BlockingLock<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only read or written between lock and unlock of `mutex`.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.value = value
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock.
    func withLock<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

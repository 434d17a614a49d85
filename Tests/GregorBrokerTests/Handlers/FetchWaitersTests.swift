import GregorStorage
import NIOPosix
import Testing

@testable import GregorBroker

/// The wake-up behind Fetch long polling, on its own instance (not the shared one).
@Suite struct FetchWaitersTests {
    @Test func anAppendSinceTheGenerationReturnsAtOnce() async {
        let waiters = FetchWaiters()
        let generation = waiters.generation
        waiters.notify()
        let start = ContinuousClock.now
        await waiters.wait(since: generation, until: start + .seconds(60))
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func aPastDeadlineReturnsAtOnce() async {
        let waiters = FetchWaiters()
        let start = ContinuousClock.now
        await waiters.wait(since: waiters.generation, until: start - .seconds(1))
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test func nothingHappeningReturnsAtTheDeadline() async {
        let waiters = FetchWaiters()
        let start = ContinuousClock.now
        await waiters.wait(since: waiters.generation, until: start + .milliseconds(300))
        #expect(ContinuousClock.now - start >= .milliseconds(290))
    }

    @Test func notifyWakesEveryWaiter() async {
        let waiters = FetchWaiters()
        let generation = waiters.generation
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask { await waiters.wait(since: generation, until: start + .seconds(60)) }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(200))
                waiters.notify()
            }
        }
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(waiters.generation == generation + 1)
    }

    @Test func repeatedWaitsKeepWorking() async {
        // Woken and timed-out waits alternate; each must still be woken or time out on its own.
        let waiters = FetchWaiters()
        for round in 0..<50 {
            let generation = waiters.generation
            if round.isMultiple(of: 2) {
                waiters.notify()
                let start = ContinuousClock.now
                await waiters.wait(since: generation, until: start + .seconds(60))
                #expect(ContinuousClock.now - start < .seconds(30))
            } else {
                await waiters.wait(since: generation, until: .now + .milliseconds(5))
            }
        }
    }

    /// As Kafka's purgatory keys a delayed fetch by its partitions: a move elsewhere lets it sleep.
    @Test func aMoveOfAnotherPartitionDoesNotWakeTheWait() async {
        let waiters = FetchWaiters()
        let a = TopicPartition("a", 0), b = TopicPartition("b", 0)
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await waiters.wait(since: waiters.generation, until: start + .milliseconds(400), watching: [a]) }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(100))
                waiters.notify(b)
            }
        }
        #expect(ContinuousClock.now - start >= .milliseconds(390))
    }

    @Test func aMoveOfAWatchedPartitionWakesTheWait() async {
        let waiters = FetchWaiters()
        let a = TopicPartition("a", 0), b = TopicPartition("b", 1)
        let start = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await waiters.wait(since: waiters.generation, until: start + .seconds(60), watching: [a, b]) }
            group.addTask { await waiters.wait(since: waiters.generation, until: start + .seconds(60)) }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(100))
                waiters.notify(b)
            }
        }
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    /// On an event loop the deadline is the loop's timer; woken early, the wait is gone at once.
    @Test func onAnEventLoopTheDeadlineIsTheLoopsTimer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopTaskExecutor(group.next())
        let waiters = FetchWaiters()
        let a = TopicPartition("a", 0)
        let timedOut = await Task(executorPreference: executor) { () -> Duration in
            let start = ContinuousClock.now
            await waiters.wait(since: waiters.generation, until: start + .milliseconds(200), watching: [a])
            return ContinuousClock.now - start
        }.value
        #expect(timedOut >= .milliseconds(190) && timedOut < .seconds(30))
        let start = ContinuousClock.now
        let woken = Task(executorPreference: executor) {
            await waiters.wait(since: waiters.generation, until: .now + .seconds(60), watching: [a])
        }
        try await Task.sleep(for: .milliseconds(100))
        waiters.notify(a)
        await woken.value
        #expect(ContinuousClock.now - start < .seconds(30))
        try await group.shutdownGracefully()
    }
}

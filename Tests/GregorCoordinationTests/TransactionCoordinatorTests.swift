import GregorStorage
import KafkaProtocol
import Synchronization
import Testing

@testable import GregorCoordination

/// The transaction coordinator with its marker writer: an ended transaction's markers reach
/// every partition, a partition that cannot take one is retried, and only then is the
/// transaction complete.
@Suite(.timeLimit(.minutes(1)))
struct TransactionCoordinatorTests {
    final class Writes: Sendable {
        let state = Mutex<(written: [TopicPartition], failuresLeft: Int)>(([], 0))
    }

    @Test func markersAreWrittenRetriedAndThenTheTransactionCompletes() async throws {
        let clock = ManualClock()
        let ids = ProducerIds()
        let coordinator = TransactionCoordinator(numPartitions: 3, clock: clock) { ids.take() }
        let writes = Writes()
        writes.state.withLock { $0.failuresLeft = 2 }
        coordinator.setMarkerWriter { tp, producer, committed, _ throws(TransactionCoordinator.MarkerFailure) in
            #expect(producer.id == 1000 && committed)
            let fail = writes.state.withLock { state -> Bool in
                if tp.partition == 1 && state.failuresLeft > 0 {
                    state.failuresLeft -= 1
                    return true
                }
                state.written.append(tp)
                return false
            }
            if fail { throw .retry("not now") }
        }
        let p0 = TopicPartition("orders", 0), p1 = TopicPartition("orders", 1)
        let initialized = await coordinator.write("t") { $0.initProducerId(transactionalId: "t", transactionTimeoutMs: 60_000, producerIdAndEpoch: nil, now: $1) }
        #expect(try initialized.get() == InitProducerIdResult(producerId: 1000, producerEpoch: 0))
        #expect(try await coordinator.write("t") { $0.addPartitions(transactionalId: "t", producerId: 1000, epoch: 0, partitions: [p0, p1], now: $1) }.get() == .none)
        #expect(try await coordinator.write("t") {
            $0.endTransaction(transactionalId: "t", producerId: 1000, epoch: 0, commit: true, clientTransactionVersion: 0, now: $1)
        }.get().error == .none)
        #expect(try coordinator.read("t") { $0.transactions["t"]?.state }.get() == .prepareCommit)
        // Partition 1 refuses twice; each retry waits 100 ms of the clock.
        for step in 1...10 {
            for _ in 0..<200 { await Task.yield() }
            clock.advance(to: Int64(step) * 100)
        }
        await coordinator.settle()
        #expect(writes.state.withLock { $0.written } == [p0, p1])
        #expect(writes.state.withLock { $0.failuresLeft } == 0)
        #expect(try coordinator.read("t") { $0.transactions["t"]?.state }.get() == .completeCommit)
        #expect(coordinator.partition(for: "t") == OffsetStoreConfig.partition(for: "t", partitions: 3))
    }
}

import GregorStorage
import KafkaProtocol
import NIOCore
import Synchronization
import Testing

@testable import GregorCoordination

/// The transaction coordinator on the runtime: answers once written, a failed write changes
/// nothing, and a load re-sends the markers of transactions left in Prepare*.
@Suite(.timeLimit(.minutes(1)))
struct TransactionRuntimeTests {
    let clock = ManualClock()
    let log = MemoryCoordinatorLog()
    let events = TransactionEvents()
    let ids = ProducerIds()

    func runtime() -> CoordinatorRuntime<TransactionShard> {
        let (events, ids) = (self.events, self.ids)
        return CoordinatorRuntime(topic: "__transaction_state", log: log, clock: clock, deliver: { events.append($0) }) {
            TransactionShard(partition: $0, coordinatorEpoch: 1) { ids.take() }
        }
    }

    @Test func aTransactionThroughTheRuntimeSurvivesAFailedWriteAndAReload() async throws {
        let runtime = runtime()
        try await runtime.load(0)
        let pid = try await runtime.write(0) { $0.initProducerId(transactionalId: "t", transactionTimeoutMs: 1000, producerIdAndEpoch: nil, now: $1) }
        #expect(pid == InitProducerIdResult(producerId: 1000, producerEpoch: 0))
        #expect(try await runtime.write(0) { $0.addPartitions(transactionalId: "t", producerId: 1000, epoch: 0, partitions: [ordersP0], now: $1) } == .none)
        #expect(runtime.nextTimerDeadline(0) == 1001)

        log.state.withLock { $0.failAppends = true }
        await #expect(throws: CoordinatorError.self) {
            try await runtime.write(0) { $0.endTransaction(transactionalId: "t", producerId: 1000, epoch: 0, commit: true, clientTransactionVersion: 0, now: $1) }
        }
        #expect(try runtime.read(0) { $0.transactions["t"]?.state } == .ongoing)
        #expect(events.all.isEmpty && runtime.nextTimerDeadline(0) == 1001)
        log.state.withLock { $0.failAppends = false }

        let ended = try await runtime.write(0) {
            $0.endTransaction(transactionalId: "t", producerId: 1000, epoch: 0, commit: true, clientTransactionVersion: 0, now: $1)
        }
        #expect(ended == EndTransactionResult(producerId: 1000, producerEpoch: 0))
        let markers = TransactionShard.Event.writeMarkers(
            transactionalId: "t", producerId: 1000, producerEpoch: 0, committed: true, coordinatorEpoch: 1, partitions: [ordersP0])
        #expect(events.all == [markers])
        #expect(runtime.nextTimerDeadline(0) == 3_600_000)

        // The partition moves before the markers are written: its next coordinator re-sends them.
        runtime.unload(0)
        clock.advance(to: 10)
        try await runtime.load(0)
        #expect(try runtime.read(0) { $0.transactions["t"]?.state } == .prepareCommit)
        await runtime.settle()
        #expect(events.all == [markers, markers])
        #expect(try await runtime.write(0) { $0.completeTransaction(transactionalId: "t", producerId: 1000, epoch: 0, now: $1) } == .none)
        runtime.unload(0)
        try await runtime.load(0)
        #expect(try runtime.read(0) { $0.transactions["t"] }?.state == .completeCommit)
        #expect(try runtime.read(0) { $0.transactions["t"] }?.partitions == [])
    }

    @Test func aLoadedOngoingTransactionTimesOut() async throws {
        let runtime = runtime()
        try await runtime.load(0)
        _ = try await runtime.write(0) { $0.initProducerId(transactionalId: "t", transactionTimeoutMs: 1000, producerIdAndEpoch: nil, now: $1) }
        _ = try await runtime.write(0) { $0.addPartitions(transactionalId: "t", producerId: 1000, epoch: 0, partitions: [ordersP1], now: $1) }
        runtime.unload(0)
        try await runtime.load(0)
        #expect(runtime.nextTimerDeadline(0) == 1001)
        for time: Int64 in [500, 1000, 1001] {
            clock.advance(to: time)
            await runtime.settle()
        }
        #expect(try runtime.read(0) { $0.transactions["t"]?.state } == .prepareAbort)
        #expect(events.all.map { if case .writeMarkers(_, _, let epoch, let committed, _, _) = $0 { (epoch, committed) } else { (0, true) } }
                .elementsEqual([(Int16(2), false)], by: ==))
    }
}

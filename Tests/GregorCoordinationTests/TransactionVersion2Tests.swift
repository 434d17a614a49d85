import GregorStorage
import KafkaProtocol
import Testing

@testable import GregorCoordination

/// KIP-890 part 2 (transaction version 2, EndTxn v5+): every commit and abort bumps the epoch
/// and returns it; retries carry the epoch from before the bump; the producer id rolls over to
/// NextProducerId when the epoch is exhausted.
struct TransactionVersion2Tests {
    @Test func everyEndBumpsTheEpochAndRetriesAreRecognised() {
        var h = TransactionHarness()
        _ = h.initPid()
        _ = h.add(1000, 0, [ordersP0], clientTransactionVersion: 2, now: 5)
        #expect(h.end(1000, 0, commit: true, tv: 2, now: 10) == EndTransactionResult(producerId: 1000, producerEpoch: 1))
        #expect(h.metadata()?.producerEpoch == 1 && h.metadata()?.lastProducerEpoch == 0)
        #expect(h.events.last == .writeMarkers(transactionalId: "t", producerId: 1000, producerEpoch: 1, committed: true,
                                               coordinatorEpoch: 3, partitions: [ordersP0]))
        // A retry (old epoch) while markers are written; the new epoch is not a retry.
        #expect(h.end(1000, 0, commit: true, tv: 2) == .failure(.concurrentTransactions))
        #expect(h.end(1000, 1, commit: true, tv: 2) == .failure(.producerFenced))
        #expect(h.complete(1000, 1, now: 20) == .none)
        #expect(h.metadata()?.state == .completeCommit && h.metadata()?.previousProducerId == 1000)
        #expect(h.end(1000, 0, commit: true, tv: 2) == EndTransactionResult(producerId: 1000, producerEpoch: 1))
        #expect(h.end(1000, 0, commit: false, tv: 2) == .failure(.invalidTxnState))
        #expect(h.end(1000, 1, commit: true, tv: 2) == .failure(.producerFenced))

        // The next transaction runs at the returned epoch.
        #expect(h.add(1000, 1, [ordersP1], clientTransactionVersion: 2, now: 30) == .none)
        #expect(h.end(1000, 1, commit: false, tv: 2, now: 40) == EndTransactionResult(producerId: 1000, producerEpoch: 2))
        #expect(h.complete(1000, 2) == .none && h.state() == .completeAbort)
    }

    @Test func anExhaustedEpochRollsOverToTheNextProducerId() throws {
        var h = TransactionHarness()
        _ = h.initPid()
        h.shard.transactions["t"]?.producerEpoch = Int16.max - 1
        _ = h.add(1000, Int16.max - 1, [ordersP0], clientTransactionVersion: 2)
        #expect(h.end(1000, Int16.max - 1, commit: true, tv: 2) == EndTransactionResult(producerId: 1001, producerEpoch: 0))
        #expect(h.metadata()?.nextProducerId == 1001 && h.metadata()?.producerEpoch == Int16.max)
        // Markers go out for the old producer id at its last epoch.
        #expect(h.events.last == .writeMarkers(transactionalId: "t", producerId: 1000, producerEpoch: Int16.max, committed: true,
                                               coordinatorEpoch: 3, partitions: [ordersP0]))
        // NextProducerId is written, so a load mid-way still knows it.
        let decoded = try TransactionShard.decode(try TransactionShard.encode(h.written.last!))
        guard case .metadata(let loaded)? = decoded else { Issue.record("not metadata"); return }
        #expect(loaded.nextProducerId == 1001 && loaded.state == .prepareCommit)
        #expect(h.complete(1000, Int16.max) == .none)
        let rolled = try #require(h.metadata())
        #expect(rolled.producerId == 1001 && rolled.producerEpoch == 0 && rolled.previousProducerId == 1000 && rolled.nextProducerId == -1)
        // The retry with the old id at the exhausted epoch gets the new id.
        #expect(h.end(1000, Int16.max - 1, commit: true, tv: 2) == EndTransactionResult(producerId: 1001, producerEpoch: 0))
        #expect(h.add(1001, 0, [ordersP1], clientTransactionVersion: 2) == .none)
    }

    /// A TV2 producer may abort without knowing whether a partition was added: an Empty
    /// transaction aborts, with no markers to write, in one write.
    @Test func anEmptyTransactionAbortsDirectly() {
        var h = TransactionHarness()
        _ = h.initPid()
        #expect(h.end(1000, 0, commit: true, tv: 2) == .failure(.invalidTxnState))
        #expect(h.end(1000, 0, commit: false, tv: 0) == .failure(.invalidTxnState))
        #expect(h.end(1000, 0, commit: false, tv: 2, now: 9) == EndTransactionResult(producerId: 1000, producerEpoch: 1))
        #expect(h.writtenMetadata.suffix(2).map { $0?.state } == [.prepareAbort, .completeAbort])
        #expect(h.state() == .completeAbort && h.events.isEmpty)
        #expect(h.end(1000, 0, commit: false, tv: 2) == EndTransactionResult(producerId: 1000, producerEpoch: 1))
    }

    /// TransactionState's transitions, as Kafka lists them.
    @Test func validPreviousStates() {
        #expect(TransactionState.prepareCommit.validPreviousStates == [.ongoing])
        #expect(TransactionState.prepareAbort.validPreviousStates == [.ongoing, .prepareEpochFence, .empty])
        #expect(TransactionState.dead.validPreviousStates == [.empty, .completeAbort, .completeCommit])
        #expect(TransactionState.allCases.filter(\.isExpirationAllowed) == [.empty, .completeCommit, .completeAbort])
        #expect(TransactionState(name: "PrepareEpochFence") == .prepareEpochFence && TransactionState(name: "x") == nil)
    }
}

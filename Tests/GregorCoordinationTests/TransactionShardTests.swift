import GregorStorage
import KafkaProtocol
import Testing

@testable import GregorCoordination

/// The transaction coordinator's state machine, as transcripts of Kafka's behaviour.
struct TransactionShardTests {
    @Test func aCommitRunsEmptyOngoingPrepareCommitCompleteCommit() {
        var h = TransactionHarness()
        #expect(h.initPid() == InitProducerIdResult(producerId: 1000, producerEpoch: 0))
        #expect(h.state() == .empty && h.written.count == 1)
        #expect(h.add(1000, 0, [ordersP0], now: 10) == .none)
        #expect(h.state() == .ongoing && h.metadata()?.startTimestamp == 10)
        #expect(h.timers["txn-timeout:t"] == 60_011)
        // Already in the transaction: answered at once, nothing written.
        #expect(h.add(1000, 0, [ordersP0], now: 20) == .none && h.written.count == 2)
        // AddOffsetsToTxn is the group's __consumer_offsets partition.
        #expect(h.add(1000, 0, [offsetsTp], now: 30) == .none && h.written.count == 3)
        #expect(h.metadata()?.startTimestamp == 10 && h.timers["txn-timeout:t"] == 60_011)

        #expect(h.end(1000, 0, commit: true, now: 40) == EndTransactionResult(producerId: 1000, producerEpoch: 0))
        #expect(h.state() == .prepareCommit && h.timers["txn-timeout:t"] == nil)
        #expect(h.events == [.writeMarkers(transactionalId: "t", producerId: 1000, producerEpoch: 0, committed: true,
                                           coordinatorEpoch: 3, partitions: [offsetsTp, ordersP0])])
        // Retries while markers are written.
        #expect(h.end(1000, 0, commit: true) == .failure(.concurrentTransactions))
        #expect(h.end(1000, 0, commit: false) == .failure(.concurrentTransactions))
        #expect(h.add(1000, 0, [ordersP1]) == .concurrentTransactions)
        #expect(h.initPid() == .failure(.concurrentTransactions))

        #expect(h.complete(1000, 0, now: 50) == .none)
        #expect(h.state() == .completeCommit && h.metadata()?.partitions == [])
        #expect(h.complete(1000, 0) == .invalidTxnState)
        // EndTxn retried after completion: NONE; the other outcome: INVALID_TXN_STATE.
        #expect(h.end(1000, 0, commit: true) == EndTransactionResult(producerId: 1000, producerEpoch: 0))
        #expect(h.end(1000, 0, commit: false) == .failure(.invalidTxnState))
        #expect(h.written.count == 5)

        // The next transaction starts from CompleteCommit, and aborts.
        #expect(h.add(1000, 0, [ordersP1], now: 60) == .none && h.metadata()?.startTimestamp == 60)
        #expect(h.end(1000, 0, commit: false, now: 70).error == .none && h.state() == .prepareAbort)
        #expect(h.complete(1000, 0) == .none && h.state() == .completeAbort)
        #expect(h.end(1000, 0, commit: false).error == .none)
        #expect(h.end(1000, 0, commit: true) == .failure(.invalidTxnState))
    }

    @Test func requestsWithTheWrongProducerAreRefused() {
        var h = TransactionHarness()
        #expect(h.initPid("", timeout: 1000) == .failure(.invalidRequest))
        #expect(h.initPid(timeout: 900_001) == .failure(.invalidTransactionTimeout))
        #expect(h.initPid(timeout: 0) == .failure(.invalidTransactionTimeout))
        #expect(h.written.isEmpty && h.shard.transactions.isEmpty)
        #expect(h.add(1000, 0, [ordersP0]) == .invalidProducerIdMapping)
        _ = h.initPid()
        #expect(h.add(999, 0, [ordersP0]) == .invalidProducerIdMapping)
        #expect(h.add(1000, 1, [ordersP0]) == .producerFenced)
        #expect(h.end(1000, 0, commit: true) == .failure(.invalidTxnState))  // Empty
        #expect(h.end(1000, 1, commit: true) == .failure(.producerFenced))
        #expect(h.end(7, 0, commit: true) == .failure(.invalidProducerIdMapping))
        #expect(h.end("nope", 1000, 0, commit: true) == .failure(.invalidProducerIdMapping))
        #expect(h.written.count == 1)
        #expect(TransactionShard.compatible(.producerFenced, requestVersion: 1, firstVersionWithProducerFenced: 2) == .invalidProducerEpoch)
        #expect(TransactionShard.compatible(.producerFenced, requestVersion: 2, firstVersionWithProducerFenced: 2) == .producerFenced)
    }

    /// A successor's InitProducerId fences an Ongoing transaction: PrepareEpochFence bumps the
    /// epoch, the transaction is aborted at it, the successor told CONCURRENT_TRANSACTIONS; its
    /// retry bumps again. The fenced producer is refused everywhere.
    @Test func aSuccessorFencesTheOngoingTransaction() {
        var config = TransactionConfig()
        config.transactionVersionLevel = 0
        var h = TransactionHarness(config: config)
        _ = h.initPid()
        _ = h.add(1000, 0, [ordersP0], now: 5)
        #expect(h.initPid(now: 10) == .failure(.concurrentTransactions))
        #expect(h.state() == .prepareAbort && h.metadata()?.producerEpoch == 1 && h.metadata()?.lastProducerEpoch == -1)
        #expect(h.events == [.writeMarkers(transactionalId: "t", producerId: 1000, producerEpoch: 1, committed: false,
                                           coordinatorEpoch: 3, partitions: [ordersP0])])
        #expect(h.timers["txn-timeout:t"] == nil)
        #expect(h.add(1000, 0, [ordersP1]) == .producerFenced)
        #expect(h.initPid() == .failure(.concurrentTransactions))
        #expect(h.complete(1000, 1) == .none && h.state() == .completeAbort)
        #expect(h.end(1000, 0, commit: true) == .failure(.producerFenced))
        #expect(h.initPid(now: 20) == InitProducerIdResult(producerId: 1000, producerEpoch: 2))
        #expect(h.add(1000, 1, [ordersP0]) == .producerFenced)
    }

    /// KIP-360: a producer recovering with its id and epoch gets the epoch bumped; the same call
    /// retried gets the same answer; an older epoch is fenced.
    @Test func kip360RecoveryAndRetries() {
        var h = TransactionHarness()
        _ = h.initPid()
        #expect(h.initPid(timeout: 60_000, (1000, 0)) == InitProducerIdResult(producerId: 1000, producerEpoch: 1))
        #expect(h.metadata()?.lastProducerEpoch == 0)
        #expect(h.initPid(timeout: 60_000, (1000, 0)) == InitProducerIdResult(producerId: 1000, producerEpoch: 1))
        #expect(h.initPid(timeout: 60_000, (999, 1)) == .failure(.producerFenced))
        #expect(h.initPid(timeout: 60_000, (1000, 1)) == InitProducerIdResult(producerId: 1000, producerEpoch: 2))
        #expect(h.initPid(timeout: 60_000, (1000, 0)) == .failure(.producerFenced))
        // A new producer (no id) forgets the last epoch, so the old retry is fenced too.
        #expect(h.initPid() == InitProducerIdResult(producerId: 1000, producerEpoch: 3))
        #expect(h.initPid(timeout: 60_000, (1000, 2)) == .failure(.producerFenced))
        // A brand-new transactional id accepts any recovering producer.
        #expect(h.initPid("u", (77, 4)) == InitProducerIdResult(producerId: 1001, producerEpoch: 0))
    }

    /// At an exhausted epoch InitProducerId rotates to a new producer id at epoch 0; a retry
    /// with the old id at the exhausted epoch is recognised and answered the same.
    @Test func epochExhaustionRotatesTheProducerId() {
        var h = TransactionHarness()
        _ = h.initPid()
        h.shard.transactions["t"]?.producerEpoch = Int16.max - 1
        #expect(h.initPid(timeout: 60_000, (1000, Int16.max - 1)) == InitProducerIdResult(producerId: 1001, producerEpoch: 0))
        #expect(h.metadata()?.previousProducerId == 1000 && h.metadata()?.lastProducerEpoch == Int16.max - 1)
        #expect(h.initPid(timeout: 60_000, (1000, Int16.max - 1)) == InitProducerIdResult(producerId: 1001, producerEpoch: 0))
        #expect(h.initPid(timeout: 60_000, (1001, 0)) == InitProducerIdResult(producerId: 1001, producerEpoch: 1))
        #expect(h.initPid(timeout: 60_000, (1000, 5)) == .failure(.producerFenced))
    }

    @Test func anOngoingTransactionTimesOutAndIsAbortedWithAFencedEpoch() {
        var config = TransactionConfig()
        config.transactionVersionLevel = 0
        var h = TransactionHarness(config: config)
        _ = h.initPid(timeout: 1000)
        _ = h.add(1000, 0, [ordersP0, ordersP1], now: 100)
        h.fire(now: 1100)
        #expect(h.state() == .ongoing)
        h.fire(now: 1101)
        #expect(h.state() == .prepareAbort && h.metadata()?.producerEpoch == 1)
        #expect(h.events == [.writeMarkers(transactionalId: "t", producerId: 1000, producerEpoch: 1, committed: false,
                                           coordinatorEpoch: 3, partitions: [ordersP0, ordersP1])])
        #expect(h.end(1000, 0, commit: true) == .failure(.producerFenced))
        #expect(h.complete(1000, 1) == .none && h.state() == .completeAbort)
    }

    /// At transaction version 2 the coordinator's own abort bumps the epoch twice: the fence,
    /// then the abort itself.
    @Test func aTimeoutAbortAtTransactionVersionTwoBumpsTwice() {
        var h = TransactionHarness()
        _ = h.initPid(timeout: 1000)
        _ = h.add(1000, 0, [ordersP0], now: 0)
        h.fire(now: 1001)
        #expect(h.metadata()?.producerEpoch == 2 && h.metadata()?.lastProducerEpoch == 1)
        #expect(h.metadata()?.clientTransactionVersion == 2)
    }

    @Test func idleTransactionalIdsExpireWithATombstone() {
        var config = TransactionConfig()
        config.transactionalIdExpirationMs = 1000
        config.removeExpiredTransactionalIdsIntervalMs = 500
        var h = TransactionHarness(config: config)
        let timers = h.shard.loaded(now: 0)
        CoordinatorRuntime<TransactionShard>.apply(timers, to: &h.timers)
        _ = h.initPid("idle", now: 0)
        _ = h.initPid("busy", now: 0)
        _ = h.add("busy", 1001, 0, [ordersP0], now: 400)
        h.fire(now: 500)
        #expect(h.shard.transactions.count == 2)
        h.fire(now: 1000)
        #expect(h.shard.transactions.keys.sorted() == ["busy"])
        #expect(h.written.last == .tombstone(transactionalId: "idle"))
        #expect(h.timers["txn-expiration"] == 1500)
    }

    @Test func describeAndListReadTheMetadata() {
        var h = TransactionHarness()
        _ = h.initPid("a", now: 0)
        _ = h.initPid("b", now: 0)
        _ = h.add("b", 1001, 0, [ordersP1, ordersP0, offsetsTp], now: 100)
        let b = h.shard.describe(transactionalId: "b")
        #expect(b.error == .none && b.state == "Ongoing" && b.producerId == 1001 && b.startTimeMs == 100 && b.timeoutMs == 60_000)
        #expect(b.topics.map(\.topic) == ["__consumer_offsets", "orders"] && b.topics.map(\.partitions) == [[7], [0, 1]])
        #expect(h.shard.describe(transactionalId: "zz").error == .transactionalIdNotFound)
        #expect(h.shard.describe(transactionalId: "").error == .invalidRequest)

        #expect(h.shard.list(now: 200).transactions.map(\.transactionalId) == ["a", "b"])
        let ongoing = h.shard.list(states: ["Ongoing", "Bogus"], now: 200)
        #expect(ongoing.transactions == [ListedTransaction(transactionalId: "b", producerId: 1001, state: "Ongoing")])
        #expect(ongoing.unknownStates == ["Bogus"])
        #expect(h.shard.list(producerIds: [1000], now: 200).transactions.map(\.transactionalId) == ["a"])
        // KIP-994: longer than the filter only; an idle id's start is -1, so it always passes.
        #expect(h.shard.list(durationFilterMs: 100, now: 200).transactions.map(\.transactionalId) == ["a"])
        #expect(h.shard.list(durationFilterMs: 99, now: 200).transactions.map(\.transactionalId) == ["a", "b"])
    }

    /// KIP-890 part 1: a partition leader verifies a partition without writing.
    @Test func verifyOnlyChecksPartitionsWithoutWriting() {
        var h = TransactionHarness()
        _ = h.initPid()
        _ = h.add(1000, 0, [ordersP0])
        let written = h.written.count
        #expect(h.shard.verifyPartitions(transactionalId: "t", producerId: 1000, epoch: 0, partitions: [ordersP0, ordersP1])
                == [ordersP0: .none, ordersP1: .transactionAbortable])
        #expect(h.shard.verifyPartitions(transactionalId: "t", producerId: 1000, epoch: 1, partitions: [ordersP0]) == [ordersP0: .producerFenced])
        #expect(h.shard.verifyPartitions(transactionalId: "t", producerId: 9, epoch: 0, partitions: [ordersP0]) == [ordersP0: .invalidProducerIdMapping])
        #expect(h.shard.verifyPartitions(transactionalId: "x", producerId: 1000, epoch: 0, partitions: [ordersP0]) == [ordersP0: .invalidProducerIdMapping])
        _ = h.end(1000, 0, commit: true)
        #expect(h.shard.verifyPartitions(transactionalId: "t", producerId: 1000, epoch: 0, partitions: [ordersP0]) == [ordersP0: .concurrentTransactions])
        #expect(h.written.count == written + 1)
    }
}

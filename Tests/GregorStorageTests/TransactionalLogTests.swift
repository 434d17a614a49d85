import KafkaProtocol
import NIOCore
import Testing

@testable import GregorStorage

/// Transactions at the partition (KIP-98): the last stable offset, markers, the aborted
/// transaction index, and producer state carried over a restart by snapshots and the log.
@Suite struct TransactionalLogTests {
    static let now: Int64 = 1_700_000_000_000

    func batch(_ producerId: Int64, epoch: Int16 = 0, sequence: Int32, count: Int = 2, transactional: Bool = true) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: epoch, baseSequence: sequence, isTransactional: transactional)
        for i in 0..<count { builder.append(timestamp: Self.now, key: nil, value: ByteBuffer(string: "v\(i)")) }
        return try builder.build()
    }

    func code(_ body: () throws(ClientAppendError) -> Any) -> ErrorCode? {
        do { _ = try body() } catch .producerState(let error) { return error.errorCode } catch { return .unknownServerError }
        return nil
    }

    @Test func readCommittedStopsAtTheFirstOpenTransactionAndReportsAborts() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        _ = try log.appendFromClient(try batch(1, sequence: 0), now: Self.now)          // 0-1, txn of 1
        _ = try log.appendFromClient(try batch(-1, epoch: -1, sequence: -1, transactional: false), now: Self.now)  // 2-3
        _ = try log.appendFromClient(try batch(2, sequence: 0), now: Self.now)          // 4-5, txn of 2
        #expect(log.lastStableOffset == 0)
        #expect(try log.read(from: 0, maxBytes: 1 << 20, readCommitted: true).region == nil)
        #expect(try log.read(from: 0, maxBytes: 1 << 20).region != nil)

        // Producer 1 aborts: reads may go up to producer 2's open transaction.
        #expect(try log.appendMarker(producerId: 1, producerEpoch: 0, committed: false, coordinatorEpoch: 0, now: Self.now) == 6)
        #expect(log.lastStableOffset == 4)
        let read = try log.read(from: 0, maxBytes: 1 << 20, readCommitted: true)
        #expect(read.lastStableOffset == 4)
        #expect(read.abortedTransactions == [AbortedTransaction(producerId: 1, firstOffset: 0, lastOffset: 6, lastStableOffset: 4)])
        // Producer 2 commits: everything is stable; a commit leaves no index entry.
        #expect(try log.appendMarker(producerId: 2, producerEpoch: 0, committed: true, coordinatorEpoch: 0, now: Self.now) == 7)
        #expect(log.lastStableOffset == 8)
        #expect(log.abortedTransactions(from: 7, upTo: 8).isEmpty)
        #expect(log.abortedTransactions(from: 0, upTo: 8).count == 1)

        // The index survives an unclean restart, and so does an open transaction.
        _ = try log.appendFromClient(try batch(3, sequence: 0), now: Self.now)          // 8-9, txn of 3
        let (reopened, report) = try openLog(dir, recoveryPoint: 0)
        #expect(report.producerBatchesReplayed > 0)
        #expect(reopened.lastStableOffset == 8)
        #expect(reopened.abortedTransactions(from: 0, upTo: 10) == [AbortedTransaction(producerId: 1, firstOffset: 0, lastOffset: 6, lastStableOffset: 4)])
    }

    @Test func anOpenTransactionRefusesPlainBatchesAndStaleMarkers() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        _ = try log.appendFromClient(try batch(1, epoch: 3, sequence: 0), now: Self.now)
        #expect(code { () throws(ClientAppendError) in try log.appendFromClient(try! batch(1, epoch: 3, sequence: 2, transactional: false), now: Self.now) } == .invalidTxnState)
        #expect(code { () throws(ClientAppendError) in try log.appendMarker(producerId: 1, producerEpoch: 2, committed: true, coordinatorEpoch: 0, now: Self.now) } == .invalidProducerEpoch)
        // A fencing abort at a bumped epoch (KIP-360) ends the transaction; the old epoch is refused.
        _ = try log.appendMarker(producerId: 1, producerEpoch: 4, committed: false, coordinatorEpoch: 5, now: Self.now)
        #expect(code { () throws(ClientAppendError) in try log.appendFromClient(try! batch(1, epoch: 3, sequence: 2), now: Self.now) } == .invalidProducerEpoch)
        #expect(code { () throws(ClientAppendError) in try log.appendMarker(producerId: 1, producerEpoch: 4, committed: false, coordinatorEpoch: 4, now: Self.now) } == .transactionCoordinatorFenced)
        #expect(try log.appendFromClient(try batch(1, epoch: 4, sequence: 0), now: Self.now).firstOffset == 3)
        #expect(log.lastStableOffset == 3)
    }

    /// KIP-890: the check with the coordinator is recorded before it is made; a marker written
    /// meanwhile voids it, and the write it allowed is refused rather than opening a
    /// transaction no marker will close.
    @Test func aMarkerBetweenTheCheckAndTheWriteVoidsTheCheck() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        let checked = log.beginVerification(producerId: 1, epoch: 0, now: Self.now)
        #expect(checked.token != nil)
        // A pipelined second write of the same transaction shares the check.
        #expect(log.beginVerification(producerId: 1, epoch: 0, now: Self.now) == checked)
        _ = try log.appendMarker(producerId: 1, producerEpoch: 0, committed: false, coordinatorEpoch: 0, now: Self.now)
        #expect(code { () throws(ClientAppendError) in try log.appendFromClient(try! batch(1, sequence: 0), now: Self.now, verification: checked) } == .invalidTxnState)
        #expect(log.logEndOffset == 1)
        // A fresh check lets the write open the transaction; later writes need none.
        let again = log.beginVerification(producerId: 1, epoch: 0, now: Self.now)
        #expect(try log.appendFromClient(try batch(1, sequence: 0), now: Self.now, verification: again).firstOffset == 1)
        #expect(log.beginVerification(producerId: 1, epoch: 0, now: Self.now).token == nil)
        #expect(try log.appendFromClient(try batch(1, sequence: 2), now: Self.now, verification: VerificationGuard(token: nil)).firstOffset == 3)
        // A coordinator's transactional write is held to the same checks, and to the epoch.
        _ = try log.appendMarker(producerId: 1, producerEpoch: 1, committed: false, coordinatorEpoch: 0, now: Self.now)
        var offsets = RecordBatchBuilder(producerId: 1, producerEpoch: 0, isTransactional: true)
        offsets.append(timestamp: Self.now, key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v"))
        let stale = try offsets.build()
        do {
            _ = try log.appendTransactional(stale, producerId: 1, epoch: 0, verification: nil, now: Self.now)
            Issue.record("a stale epoch was written")
        } catch {
            #expect(error.errorCode == .invalidProducerEpoch)
        }
    }

    /// UnifiedLog.maybeIncrementFirstUnstableOffset: an open transaction whose start was
    /// deleted (DeleteRecords, retention) no longer holds the last stable offset below the log
    /// start, so a READ_COMMITTED consumer is never sent out of range.
    @Test func theLastStableOffsetNeverFallsBelowTheLogStart() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        _ = try log.appendFromClient(try batch(1, sequence: 0), now: Self.now)                                   // 0-1, open
        _ = try log.appendFromClient(try batch(-1, epoch: -1, sequence: -1, transactional: false), now: Self.now) // 2-3
        #expect(log.lastStableOffset == 0)
        try log.deleteRecords(before: 3)
        #expect(log.lastStableOffset == 3)
        #expect(try log.read(from: 3, maxBytes: 1 << 20, readCommitted: true).lastStableOffset == 3)
    }

    @Test func aCleanRestartKeepsDeduplicatingFromTheSnapshot() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 400
        let (log, _) = try openLog(dir, config: config)
        for sequence in stride(from: Int32(0), to: 20, by: 2) {
            _ = try log.appendFromClient(try batch(7, sequence: sequence, transactional: false), now: Self.now)
        }
        #expect(log.segmentCount > 1)
        try log.close(flush: true)
        let (clean, cleanReport) = try openLog(dir, config: config, clean: true)
        #expect(cleanReport.producerBatchesReplayed == 0)
        // The last batch is remembered; a retry gets its offsets back and writes nothing.
        let retried = try clean.appendFromClient(try batch(7, sequence: 18, transactional: false), now: Self.now)
        #expect(retried.firstOffset == 18 && clean.logEndOffset == 20)
        #expect(code { () throws(ClientAppendError) in try clean.appendFromClient(try! batch(7, sequence: 30, transactional: false), now: Self.now) } == .outOfOrderSequenceNumber)

        // Without a clean shutdown the batches after the last roll's snapshot are replayed.
        _ = try clean.appendFromClient(try batch(7, sequence: 20, transactional: false), now: Self.now)
        let (unclean, report) = try openLog(dir, config: config, recoveryPoint: 0)
        #expect(report.producerBatchesReplayed > 0)
        #expect(try unclean.appendFromClient(try batch(7, sequence: 20, transactional: false), now: Self.now).firstOffset == 20)
        #expect(unclean.logEndOffset == 22)
    }

    @Test func snapshotsHaveKafkasLayout() throws {
        var states = ProducerStates()
        states.entries[42] = ProducerStateEntry(
            epoch: 3, batches: [.init(firstSequence: 5, lastSequence: 9, firstOffset: 100, lastOffset: 104, maxTimestamp: 77)],
            lastTimestamp: 77, coordinatorEpoch: 2, currentTxnFirstOffset: 90)
        let bytes = ProducerStateSnapshot.encode(states)
        var expected = ByteBuffer()
        expected.writeInteger(Int32(1))
        expected.writeInteger(Int64(42)); expected.writeInteger(Int16(3)); expected.writeInteger(Int32(9))
        expected.writeInteger(Int64(104)); expected.writeInteger(Int32(4)); expected.writeInteger(Int64(77))
        expected.writeInteger(Int32(2)); expected.writeInteger(Int64(90))
        #expect(bytes.getInteger(at: 0, as: Int16.self) == 1)
        #expect(bytes.getInteger(at: 2, as: UInt32.self) == CRC32C.checksum(expected))
        #expect(bytes.getSlice(at: 6, length: bytes.readableBytes - 6) == expected)
        let decoded = try ProducerStateSnapshot.decode(bytes)
        #expect(decoded.entries == states.entries && decoded.ongoing == [42: 90])
        var corrupt = bytes
        corrupt.setInteger(UInt8(0xff), at: 20)
        #expect(throws: StorageError.self) { try ProducerStateSnapshot.decode(corrupt) }
    }

    @Test func idleProducersExpireButOpenTransactionsStay() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        _ = try log.appendFromClient(try batch(1, sequence: 0, transactional: false), now: Self.now)
        _ = try log.appendFromClient(try batch(2, sequence: 0), now: Self.now)
        log.removeExpiredProducers(now: Self.now + 1000, expirationMs: 1000)
        #expect(log.activeProducers.map(\.producerId) == [2])
        #expect(log.activeProducers.first?.currentTxnStartOffset == 2)
        // Forgotten: any sequence is accepted again.
        #expect(try log.appendFromClient(try batch(1, sequence: 40, transactional: false), now: Self.now).firstOffset == 4)
    }
}

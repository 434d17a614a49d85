import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorStorage

/// A follower cutting its log where it diverges from the leader's (`UnifiedLog.truncateTo`,
/// `truncateFullyAndStartAt`).
@Suite struct TruncationTests {
    static let now: Int64 = 1_700_000_000_000

    @Test func truncateToTheMiddleThenAppendAgainAtTheTruncatedOffset() throws {
        let dir = TempDir()
        let log = try openReplica(dir)
        _ = try log.append(makeBatch(count: 3), now: 0, leaderEpoch: 0)                 // 0-2
        _ = try log.append(makeBatch(count: 2, firstValue: 3), now: 0, leaderEpoch: 0)  // 3-4
        _ = try log.append(makeBatch(count: 3, firstValue: 5), now: 0, leaderEpoch: 1)  // 5-7
        _ = try log.append(makeBatch(count: 2, firstValue: 8), now: 0, leaderEpoch: 1)  // 8-9
        try log.maybeIncrementHighWatermark(8)
        try log.flush()
        #expect(try log.truncate(to: 5, now: 0))
        #expect(log.logEndOffset == 5 && log.highWatermark == 5 && log.recoveryPoint == 5)
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 0, startOffset: 0)])
        #expect(try fileText(dir, "leader-epoch-checkpoint") == "0\n1\n0 0\n")
        #expect(try log.append(makeBatch(count: 2, firstValue: 50), now: 0, leaderEpoch: 2).firstOffset == 5)
        #expect(log.leaderEpochEntries == [EpochEntry(epoch: 0, startOffset: 0), EpochEntry(epoch: 2, startOffset: 5)])
        #expect(try records(in: log.read(from: 0, maxBytes: 1 << 20, maxOffset: Int64.max)).map(\.value)
            == ["value-0", "value-1", "value-2", "value-3", "value-4", "value-50", "value-51"])
        // An offset inside a batch takes the whole batch (LogSegment.truncateTo).
        #expect(try log.truncate(to: 4, now: 0))
        #expect(log.logEndOffset == 3 && log.highWatermark == 3)
        #expect(try records(in: log.read(from: 0, maxBytes: 1 << 20)).map(\.offset) == [0, 1, 2])
    }

    @Test func truncatingAcrossSegmentsRemovesTheirFilesAndTransactions() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 300
        let (log, _) = try openLog(dir, config: config)
        for i in 0..<4 { _ = try log.append(makeBatch(count: 2, firstValue: 2 * i, valueSize: 60), now: Self.now) }   // 0-7
        _ = try log.appendFromClient(try producerBatch(5, sequence: 0, transactional: true), now: Self.now)           // 8-9
        #expect(try log.appendMarker(producerId: 5, producerEpoch: 0, committed: false, coordinatorEpoch: 0, now: Self.now) == 10)
        for i in 0..<2 { _ = try log.append(makeBatch(count: 2, firstValue: 20 + 2 * i, valueSize: 60), now: Self.now) } // 11-14
        #expect(log.segmentBaseOffsets == [0, 2, 4, 6, 10, 13])
        #expect(fileNames(dir).contains("00000000000000000010.txnindex"))
        #expect(log.abortedTransactions(from: 0, upTo: 15).count == 1)

        #expect(try log.truncate(to: 5, now: 0))
        #expect(log.segmentBaseOffsets == [0, 2, 4] && log.logEndOffset == 4)
        let left = fileNames(dir)
        for base in ["00000000000000000006", "00000000000000000010", "00000000000000000013"] {
            #expect(!left.contains { $0.hasPrefix(base) && !$0.hasSuffix(".snapshot") }, "\(base) left in \(left)")
        }
        #expect(!left.contains { $0.hasSuffix(".snapshot") && Int64($0.dropLast(9))! > 4 }, "\(left)")
        #expect(log.abortedTransactions(from: 0, upTo: 15).isEmpty && log.activeProducers.isEmpty)
        #expect(log.lastStableOffset == 4)
        // The next append lands in the emptied segment.
        #expect(try log.append(makeBatch(count: 1), now: Self.now).firstOffset == 4)
    }

    @Test func truncationRestoresProducerState() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir)
        for sequence in [Int32(0), 2, 4] {
            _ = try log.appendFromClient(try producerBatch(7, sequence: sequence), now: Self.now)  // 0-1, 2-3, 4-5
            try log.roll(now: Self.now)  // a snapshot at 2, 4, 6
        }
        #expect(fileNames(dir).contains("00000000000000000006.snapshot"))
        #expect(try log.appendFromClient(try producerBatch(7, sequence: 4), now: Self.now).firstOffset == 4)  // a duplicate
        #expect(try log.truncate(to: 4, now: Self.now))
        #expect(!fileNames(dir).contains("00000000000000000006.snapshot"))
        // The sequence truncated away is new again; the one before it is still a duplicate.
        let again = try log.appendFromClient(try producerBatch(7, sequence: 4), now: Self.now)
        #expect(again.firstOffset == 4 && log.logEndOffset == 6)
        let retried = try log.appendFromClient(try producerBatch(7, sequence: 2), now: Self.now)
        #expect(retried.firstOffset == 2 && retried.lastOffset == 3 && log.logEndOffset == 6)
    }

    @Test func truncatingFullyStartsTheLogOverAtTheLeadersLogStart() throws {
        let dir = TempDir()
        let log = try openReplica(dir)
        _ = try log.appendFromClient(try producerBatch(7, sequence: 0), now: Self.now, leaderEpoch: 1)
        try log.roll(now: Self.now)
        try log.truncateFullyAndStartAt(100, now: Self.now)
        #expect(log.logStartOffset == 100 && log.logEndOffset == 100 && log.highWatermark == 100 && log.recoveryPoint == 100)
        #expect(log.segmentBaseOffsets == [100] && log.leaderEpochEntries.isEmpty && log.activeProducers.isEmpty)
        #expect(try fileText(dir, "leader-epoch-checkpoint") == "0\n0\n")
        #expect(fileNames(dir).allSatisfy { !$0.hasSuffix(".snapshot") && !$0.hasPrefix("00000000000000000000") }, "\(fileNames(dir))")

        // The leader's log start fell inside a batch: the first fetch starts below the log end,
        // and the empty log starts over at that batch (Partition.appendRecordsToFollowerOrFutureReplica).
        let batch = try storedBatch(baseOffset: 98, count: 4, leaderEpoch: 6)
        #expect(throws: StorageError(.unexpectedAppendOffset(firstOffset: 98, lastOffset: 101, logEndOffset: 100), path: dir.path + "/t-0")) {
            try log.appendAsFollower(batch, now: Self.now)
        }
        try log.truncateFullyAndStartAt(98, now: Self.now)
        #expect(try log.appendAsFollower(batch, now: Self.now)?.lastOffset == 101)
        #expect(log.logStartOffset == 98 && log.logEndOffset == 102 && log.leaderEpochEntries == [EpochEntry(epoch: 6, startOffset: 98)])
    }
}

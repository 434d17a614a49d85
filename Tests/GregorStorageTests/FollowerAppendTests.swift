import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorStorage

/// A follower's appends (`UnifiedLog.appendAsFollower`), fed what the leader's log would send.
@Suite struct FollowerAppendTests {
    static let now: Int64 = 1_700_000_000_000

    func code(_ body: () throws(ClientAppendError) -> AppendResult) -> ErrorCode? {
        do { _ = try body() } catch .producerState(let error) { return error.errorCode } catch { return .unknownServerError }
        return nil
    }

    @Test func aFollowerStoresTheLeadersBatchesByteForByte() throws {
        let leaderDir = TempDir()
        let followerDir = TempDir()
        var config = LogConfig()
        config.logAppendTime = true
        let (leader, _) = try openLog(leaderDir, config: config)
        _ = try leader.append(makeBatch(count: 3), now: 11, leaderEpoch: 1)                 // 0-2
        _ = try leader.append(makeBatch(count: 2, firstValue: 3), now: 12, leaderEpoch: 1)  // 3-4
        _ = try leader.append(makeBatch(count: 4, firstValue: 5), now: 13, leaderEpoch: 3)  // 5-8
        let follower = try openReplica(followerDir)
        let result = try follower.appendAsFollower(try fetched(leader, from: 0), now: 99)
        #expect(result?.firstOffset == 0 && result?.lastOffset == 8 && result?.logAppendTime == -1)
        #expect(follower.logEndOffset == 9 && follower.highWatermark == 0)
        #expect(follower.leaderEpochEntries == leader.leaderEpochEntries)
        #expect(follower.leaderEpochEntries == [EpochEntry(epoch: 1, startOffset: 0), EpochEntry(epoch: 3, startOffset: 5)])
        // Offsets, leader epochs and the leader's LogAppendTime stamps, all as the leader wrote them.
        let name = "/t-0/00000000000000000000.log"
        #expect(FileManager.default.contents(atPath: followerDir.path + name) == FileManager.default.contents(atPath: leaderDir.path + name))
        // Consumers see nothing until the leader's high watermark arrives.
        #expect(try follower.read(from: 0, maxBytes: 1 << 20).region == nil)
        #expect(follower.updateHighWatermark(5) == 5)
        #expect(try records(in: follower.read(from: 0, maxBytes: 1 << 20)).map(\.offset) == [0, 1, 2, 3, 4])
        // The leader's high watermark may be past this follower's log end.
        #expect(follower.updateHighWatermark(50) == 9)
    }

    @Test func anAppendBelowTheLogEndIsRefusedAndAGapIsNot() throws {
        let dir = TempDir()
        let follower = try openReplica(dir)
        var two = try storedBatch(baseOffset: 0, count: 3, leaderEpoch: 2)
        two.writeImmutableBuffer(try storedBatch(baseOffset: 3, count: 2, leaderEpoch: 2))
        #expect(try follower.appendAsFollower(two, now: 0)?.lastOffset == 4)
        // Kafka's UnexpectedAppendOffsetException: the same fetch again starts below the log end.
        #expect(throws: StorageError(.unexpectedAppendOffset(firstOffset: 0, lastOffset: 4, logEndOffset: 5), path: dir.path + "/t-0")) {
            try follower.appendAsFollower(two, now: 0)
        }
        #expect(throws: StorageError.self) { try follower.appendAsFollower(try storedBatch(baseOffset: 4, count: 2, leaderEpoch: 2), now: 0) }
        // A compacted leader's log skips offsets; the follower's copy skips them too.
        #expect(try follower.appendAsFollower(try storedBatch(baseOffset: 9, count: 2, leaderEpoch: 2), now: 0)?.firstOffset == 9)
        #expect(follower.logEndOffset == 11)
        follower.updateHighWatermark(11)
        #expect(try records(in: follower.read(from: 5, maxBytes: 1 << 20)).map(\.offset) == [9, 10])
    }

    @Test func malformedFetchesAreRefusedWhole() throws {
        let dir = TempDir()
        let follower = try openReplica(dir)
        // Offsets going backwards inside one fetch (OffsetsOutOfOrderException).
        var backwards = try storedBatch(baseOffset: 0, count: 3, leaderEpoch: 0)
        backwards.writeImmutableBuffer(try storedBatch(baseOffset: 2, count: 2, leaderEpoch: 0))
        #expect(throws: StorageError.self) { try follower.appendAsFollower(backwards, now: 0) }
        // A flipped byte in the records.
        var corrupt = try storedBatch(baseOffset: 0, count: 3, leaderEpoch: 0)
        corrupt.setInteger(corrupt.getInteger(at: corrupt.writerIndex - 2, as: UInt8.self)! ^ 0xFF, at: corrupt.writerIndex - 2)
        #expect(throws: StorageError.self) { try follower.appendAsFollower(corrupt, now: 0) }
        #expect(follower.logEndOffset == 0 && follower.leaderEpochEntries.isEmpty)
        // A batch cut short at the end of the fetch is left for the next one.
        var cut = try storedBatch(baseOffset: 0, count: 3, leaderEpoch: 0)
        cut.writeImmutableBuffer(try storedBatch(baseOffset: 3, count: 2, leaderEpoch: 0))
        cut.moveWriterIndex(to: cut.writerIndex - 10)
        #expect(try follower.appendAsFollower(cut, now: 0)?.lastOffset == 2 && follower.logEndOffset == 3)
        #expect(try follower.appendAsFollower(ByteBuffer(), now: 0) == nil)
    }

    @Test func aFollowerThatBecomesLeaderDeduplicatesTheProducersRetries() throws {
        let leaderDir = TempDir()
        let followerDir = TempDir()
        let (leader, _) = try openLog(leaderDir)
        _ = try leader.appendFromClient(try producerBatch(7, sequence: 0), now: Self.now)  // 0-1
        _ = try leader.appendFromClient(try producerBatch(7, sequence: 2), now: Self.now)  // 2-3
        let follower = try openReplica(followerDir)
        try follower.appendAsFollower(try fetched(leader, from: 0), now: Self.now)
        #expect(follower.activeProducers.map(\.lastSequence) == [3])
        // The old leader wrote sequence 2 but failed before answering: the retry reaches the new one.
        let retried = try follower.appendFromClient(try producerBatch(7, sequence: 2), now: Self.now, leaderEpoch: 1)
        #expect(retried.firstOffset == 2 && retried.lastOffset == 3 && follower.logEndOffset == 4)
        #expect(try follower.appendFromClient(try producerBatch(7, sequence: 4), now: Self.now, leaderEpoch: 1).firstOffset == 4)
        #expect(code { () throws(ClientAppendError) in
            try follower.appendFromClient(try! producerBatch(7, sequence: 9), now: Self.now, leaderEpoch: 1)
        } == .outOfOrderSequenceNumber)
    }

    @Test func transactionsReplicateAndTheLastStableOffsetWaitsForTheMarkersReplication() throws {
        let leaderDir = TempDir()
        let followerDir = TempDir()
        let (leader, _) = try openLog(leaderDir)
        _ = try leader.appendFromClient(try producerBatch(9, sequence: 0, transactional: true), now: Self.now)  // 0-1
        _ = try leader.appendFromClient(makeBatch(count: 2), now: Self.now)                                     // 2-3
        let follower = try openReplica(followerDir)
        try follower.appendAsFollower(try fetched(leader, from: 0), now: Self.now)
        follower.updateHighWatermark(4)
        #expect(follower.hasOngoingTransaction(producerId: 9, epoch: 0) && follower.lastStableOffset == 0)
        #expect(try leader.appendMarker(producerId: 9, producerEpoch: 0, committed: false, coordinatorEpoch: 0, now: Self.now) == 4)
        #expect(leader.lastStableOffset == 5)
        try follower.appendAsFollower(try fetched(leader, from: 4), now: Self.now)
        #expect(!follower.hasOngoingTransaction(producerId: 9, epoch: 0))
        #expect(follower.abortedTransactions(from: 0, upTo: 5)
            == [AbortedTransaction(producerId: 9, firstOffset: 0, lastOffset: 4, lastStableOffset: 5)])
        // Decided, but the marker is not below the high watermark yet (unreplicatedTxns).
        #expect(follower.lastStableOffset == 0)
        follower.updateHighWatermark(5)
        #expect(follower.lastStableOffset == 5)
    }
}

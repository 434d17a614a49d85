import Foundation
import Testing

@testable import GregorStorage

/// The facts of Kafka's `LeaderEpochFileCacheTest`, as transcripts over the value type.
@Suite struct LeaderEpochCacheTests {
    func cache(_ pairs: (Int32, Int64)...) -> LeaderEpochCache {
        var c = LeaderEpochCache()
        for (epoch, offset) in pairs { c.assign(epoch: epoch, startOffset: offset) }
        return c
    }

    func entries(_ pairs: (Int32, Int64)...) -> [EpochEntry] { pairs.map { EpochEntry(epoch: $0.0, startOffset: $0.1) } }

    @Test func theLatestEpochEndsAtTheLogEnd() {
        #expect(cache((2, 10)).endOffset(for: 2, logEndOffset: 11) == (2, 11))
        #expect(cache((2, 11), (2, 12)).endOffset(for: 2, logEndOffset: 14) == (2, 14))
        #expect(cache((2, 6)).entries == entries((2, 6)))
    }

    @Test func undefinedAnswersForTheUndefinedEpochAnEmptyCacheAndEpochsAboveTheLatest() {
        #expect(cache((2, 11), (3, 12)).endOffset(for: -1, logEndOffset: 0) == (-1, -1))
        #expect(LeaderEpochCache().endOffset(for: 0, logEndOffset: 0) == (-1, -1))
        #expect(LeaderEpochCache().endOffset(for: -1, logEndOffset: 73) == (-1, -1))
        #expect(LeaderEpochCache().endOffset(for: 7, logEndOffset: 0) == (-1, -1))
        #expect(cache((2, 100)).endOffset(for: 3, logEndOffset: 100) == (-1, -1))
    }

    @Test func anEpochBelowTheFirstAnswersItselfWithTheFirstStartOffset() {
        #expect(cache((5, 11), (6, 12), (7, 13)).endOffset(for: 4, logEndOffset: 0) == (4, 11))
    }

    @Test func anEarlierEpochEndsWhereTheNextHigherOneStarts() {
        let c = cache((1, 11), (1, 12), (2, 13), (2, 14), (3, 15), (3, 16))
        #expect(c.endOffset(for: 2, logEndOffset: 17) == (2, 15))
        let gaps = cache((0, 10), (2, 13), (4, 17))
        #expect(gaps.endOffset(for: 1, logEndOffset: 0) == (0, 13))
        #expect(gaps.endOffset(for: 2, logEndOffset: 0) == (2, 17))
        #expect(gaps.endOffset(for: 3, logEndOffset: 0) == (2, 17))
    }

    @Test func anAssignedEpochKeepsItsFirstOffset() {
        var c = cache((2, 9))
        let later = c.assign(epoch: 2, startOffset: 10)
        let same = c.assign(epoch: 2, startOffset: 9)
        #expect(!later && !same && c.entries == entries((2, 9)))
    }

    @Test func assignmentsThatBreakEitherOrderReplaceWhatConflicts() {
        // A new epoch at the same offset: the older epoch wrote nothing there.
        #expect(cache((2, 9), (3, 9)).entries == entries((3, 9)))
        // Offsets going backwards: the last assignment wins.
        #expect(cache((2, 6), (3, 5)).entries == entries((3, 5)))
        // The latest epoch again at an earlier offset.
        let earlier = cache((5, 11), (6, 12), (7, 13), (7, 12))
        #expect(earlier.entries == entries((5, 11), (7, 12)))
        #expect(earlier.endOffset(for: 5, logEndOffset: 0) == (5, 12) && earlier.endOffset(for: 6, logEndOffset: 0) == (5, 12))
        // An older epoch after a newer one: the newer ones go.
        let older = cache((1, 5), (2, 6), (1, 7))
        #expect(older.entries == entries((1, 7)))
        #expect(older.latestEpoch == 1 && older.endOffset(for: 1, logEndOffset: 8) == (1, 8))
        #expect(older.endOffset(for: 2, logEndOffset: 8) == (-1, -1))
    }

    @Test func epochsTrackedAsLeadersChange() {
        var c = cache((0, 0), (1, 0))
        #expect(c.latestEpoch == 1)
        #expect(c.endOffset(for: 1, logEndOffset: 0) == (1, 0) && c.endOffset(for: 0, logEndOffset: 0) == (0, 0))
        #expect(c.endOffset(for: 1, logEndOffset: 5) == (1, 5))
        c.assign(epoch: 2, startOffset: 5)
        #expect(c.endOffset(for: 2, logEndOffset: 10) == (2, 10) && c.endOffset(for: 1, logEndOffset: 10) == (1, 5))
        #expect(c.endOffset(for: 0, logEndOffset: 10) == (0, 0))
    }

    @Test func truncateFromEndDropsEntriesStartingAtOrAfterTheOffset() {
        var onBoundary = cache((2, 6), (3, 8), (4, 11))
        let changed = onBoundary.truncateFromEnd(8)
        #expect(changed && onBoundary.entries == entries((2, 6)))
        var between = cache((2, 6), (3, 8), (4, 11))
        between.truncateFromEnd(9)
        #expect(between.entries == entries((2, 6), (3, 8)) && between.latestEpoch == 3)
        var undefined = cache((2, 6), (3, 8), (4, 11))
        var empty = LeaderEpochCache()
        let changedUndefined = undefined.truncateFromEnd(-1)
        let changedEmpty = empty.truncateFromEnd(7)
        #expect(!changedUndefined && undefined.entries.count == 3 && !changedEmpty)
    }

    @Test func truncateFromStartMovesTheCoveringEpochToTheNewStart() {
        func truncated(_ offset: Int64) -> LeaderEpochCache {
            var c = cache((2, 6), (3, 8), (4, 11))
            c.truncateFromStart(offset)
            return c
        }
        #expect(truncated(8).entries == entries((3, 8), (4, 11)))
        #expect(truncated(9).entries == entries((3, 9), (4, 11)))
        #expect(truncated(1).entries == entries((2, 6), (3, 8), (4, 11)))
        #expect(truncated(6).entries == entries((2, 6), (3, 8), (4, 11)))
        #expect(truncated(11).entries == entries((4, 11)))
        #expect(truncated(15).entries == entries((4, 15)))
        #expect(truncated(-1).entries.count == 3)
        var fromZero = cache((0, 0), (1, 7), (2, 10))
        fromZero.truncateFromStart(5)
        #expect(fromZero.entries == entries((0, 5), (1, 7), (2, 10)))
        var unchanged = cache((2, 6))
        let changed = unchanged.truncateFromStart(6)
        #expect(!changed)
    }

    @Test func epochForOffsetIsTheLastEpochStartingAtOrBeforeIt() {
        let c = cache((0, 10), (1, 20), (5, 30))
        #expect(c.epoch(forOffset: 25) == 1 && c.epoch(forOffset: 20) == 1)
        #expect(c.epoch(forOffset: 30) == 5 && c.epoch(forOffset: 50) == 5)
        #expect(c.epoch(forOffset: 5) == nil)
    }

    @Test func negativeEpochsAndOffsetsAreNotAssigned() {
        var c = LeaderEpochCache()
        let negativeEpoch = c.assign(epoch: -1, startOffset: 0)
        let negativeOffset = c.assign(epoch: 0, startOffset: -1)
        #expect(!negativeEpoch && !negativeOffset && c.isEmpty)
    }

    @Test func aCheckpointReadsBackAndLoadingSanitizesIt() {
        #expect(LeaderEpochCache(entries((2, 6), (3, 8), (1, 9))).entries == entries((1, 9)))
    }
}

/// `leader-epoch-checkpoint` byte for byte, as Kafka's `LeaderEpochCheckpointFile` writes it.
@Suite struct LeaderEpochCheckpointTests {
    @Test func writesKafkasFormatAndReadsItBack() throws {
        let dir = TempDir()
        let written = [EpochEntry(epoch: 0, startOffset: 0), EpochEntry(epoch: 3, startOffset: 1200)]
        try LeaderEpochCheckpoint.write(written, directory: dir.path)
        let text = try String(contentsOfFile: dir.path + "/leader-epoch-checkpoint", encoding: .utf8)
        #expect(text == "0\n2\n0 0\n3 1200\n")
        #expect(try LeaderEpochCheckpoint.read(directory: dir.path) == written)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/leader-epoch-checkpoint.tmp"))
        try LeaderEpochCheckpoint.write([], directory: dir.path)
        #expect(try String(contentsOfFile: dir.path + "/leader-epoch-checkpoint", encoding: .utf8) == "0\n0\n")
        #expect(try LeaderEpochCheckpoint.read(directory: dir.path) == [])
    }

    @Test func readsWhatAKafkaBrokerWrote() throws {
        let dir = TempDir()
        let path = dir.path + "/leader-epoch-checkpoint"
        // Kafka's formatter splits at any whitespace; an empty file (created, never written) is empty.
        try "0\n3\n0 0\n4  250\n7 9000\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try LeaderEpochCheckpoint.read(directory: dir.path)
            == [EpochEntry(epoch: 0, startOffset: 0), EpochEntry(epoch: 4, startOffset: 250), EpochEntry(epoch: 7, startOffset: 9000)])
        try "".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try LeaderEpochCheckpoint.read(directory: dir.path) == [])
        try FileManager.default.removeItem(atPath: path)
        #expect(try LeaderEpochCheckpoint.read(directory: dir.path) == nil)
    }

    @Test func refusesMalformedFiles() throws {
        let dir = TempDir()
        let path = dir.path + "/leader-epoch-checkpoint"
        for text in ["1\n1\n0 0\n", "0\n2\n0 0\n", "0\n1\n0\n", "0\n1\nzero 0\n", "0\n1\n-1 0\n"] {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
            #expect(throws: StorageError.self, "\(text)") { _ = try LeaderEpochCheckpoint.read(directory: dir.path) }
        }
    }
}

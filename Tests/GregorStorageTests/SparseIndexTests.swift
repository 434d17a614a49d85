import Foundation
import KafkaProtocol
import Testing
@testable import GregorStorage

/// New index entries wait in memory and reach the file together (issue 13): lookups must see
/// them all the same, and the file must hold every entry after a sync, a truncation or a close.
@Suite struct SparseIndexTests {
    private func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
    }

    @Test func entriesHeldInMemoryAreFoundAndWrittenTogether() throws {
        let dir = TempDir()
        let path = dir.path + "/00000000000000000100.index"
        let file = LogFile(path: path, cache: FileCache(capacity: 16))
        var index = try SparseIndex.empty(.offset, file: file, baseOffset: 100, maxEntries: 1000)
        let n = SparseIndex.pendingLimit + 3
        for i in 0..<n { try index.append(key: 100 + 10 * Int64(i), value: 1000 * Int64(i)) }
        // The first pendingLimit went to the file together; the last three wait in memory.
        #expect(index.count == n)
        #expect(try fileSize(path) == SparseIndex.pendingLimit * 8)
        // Binary search across what is written and what is not, by key and by value.
        for i in 0..<n {
            let key = 100 + 10 * Int64(i)
            #expect(try index.floor(key + 5)?.value == 1000 * Int64(i))
            #expect(try index.floor(value: 1000 * Int64(i) + 1)?.key == key)
        }
        #expect(try index.floor(99) == nil)
        try index.sync()
        #expect(try fileSize(path) == n * 8)
        let loaded = try #require(try SparseIndex.load(.offset, file: file, baseOffset: 100, maxEntries: 1000, logSize: 1_000_000))
        #expect(loaded.count == n)
        #expect(try (0..<n).map { try loaded.entry($0).key } == (0..<n).map { 100 + 10 * Int64($0) })
    }

    @Test func truncationAndTimeEntriesCoverWhatIsStillInMemory() throws {
        let dir = TempDir()
        let path = dir.path + "/00000000000000000000.timeindex"
        let file = LogFile(path: path, cache: FileCache(capacity: 16))
        var index = try SparseIndex.empty(.time, file: file, baseOffset: 0, maxEntries: 1000)
        for i in 0..<10 { try index.append(key: 1_700_000_000_000 + Int64(i), value: 5 * Int64(i)) }
        #expect(try fileSize(path) == 0)
        #expect(try index.floor(1_700_000_000_004)?.value == 20)
        // Drops the entries of offsets 30 and up: four of the ten remain, in the file.
        try index.truncate { _, offset in offset >= 30 }
        #expect(index.count == 6)
        #expect(index.last?.value == 25)
        #expect(try fileSize(path) == 6 * 12)
        try index.append(key: 1_700_000_000_100, value: 40)
        #expect(try index.entry(6).key == 1_700_000_000_100)
        #expect(try fileSize(path) == 6 * 12)
    }

    @Test func aLogClosedWithoutFlushKeepsEveryIndexEntry() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.indexIntervalBytes = 64
        let count: Int
        do {
            let (log, _) = try openLog(dir, config: config)
            for i in 0..<20 { _ = try log.append(makeBatch(count: 2, firstValue: 2 * i), now: 0) }
            // Read through entries that are still in memory.
            #expect(try records(in: try log.read(from: 31, maxBytes: 1)).map(\.offset) == [30, 31])
            count = try #require(log.state.withLock { $0.segments.last?.offsetIndex.count })
            try log.close(flush: false)
        }
        #expect(count > 10 && count < SparseIndex.pendingLimit)
        #expect(try fileSize(dir.path + "/t-0/00000000000000000000.index") == count * 8)
        let (log, _) = try openLog(dir, config: config, clean: true)
        #expect(try records(in: try log.read(from: 39, maxBytes: 1)).map(\.offset) == [38, 39])
    }
}

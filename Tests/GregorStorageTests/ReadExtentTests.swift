import KafkaProtocol
import Testing
@testable import GregorStorage

/// A read's extent is found through the offset index rather than a header per batch (issue 13);
/// it must still be exactly the whole batches that fit `maxBytes` and end below `maxOffset`.
@Suite struct ReadExtentTests {
    @Test func readsExactlyTheWholeBatchesThatFitAcrossIndexEntries() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.indexIntervalBytes = 300
        let (log, _) = try openLog(dir, config: config)
        // Batches of varied sizes and record counts, so index entries fall unevenly.
        var sizes: [(offsets: ClosedRange<Int64>, bytes: Int)] = []
        for i in 0..<120 {
            let count = 1 + i % 3
            let batch = makeBatch(count: count, firstValue: i, valueSize: 20 + (i * 37) % 200)
            let r = try log.append(batch, now: 0)
            sizes.append((r.firstOffset...r.lastOffset, batch.readableBytes))
        }
        let end = log.logEndOffset
        for from in stride(from: Int64(0), to: end, by: 7) {
            for maxBytes in [1, 100, 700, 1_500, 4_000, 100_000] {
                for maxOffset in [end, end - 5, from + 10, from + 1] where maxOffset > from {
                    let got = try log.read(from: from, maxBytes: maxBytes, maxOffset: maxOffset).region
                    // The reference: from the batch holding `from`, batches while they fit and end
                    // below maxOffset; always at least the first one if it starts below maxOffset.
                    guard let first = sizes.firstIndex(where: { $0.offsets.contains(from) }),
                          sizes[first].offsets.lowerBound < maxOffset else {
                        #expect(got == nil)
                        continue
                    }
                    var length = sizes[first].bytes
                    var i = first + 1
                    while i < sizes.count, sizes[i].offsets.upperBound < maxOffset, length + sizes[i].bytes <= maxBytes {
                        length += sizes[i].bytes
                        i += 1
                    }
                    #expect(got?.length == length, "from \(from) maxBytes \(maxBytes) maxOffset \(maxOffset)")
                }
            }
        }
    }

    /// The offset index is mapped on the first lookup that searches it, as Kafka's `LazyIndex`:
    /// opening a log of many segments maps none of them, and a read maps only the segment it
    /// searches (the mappings are in this process's /proc/self/maps, by file path).
    @Test func offsetIndexesAreMappedOnTheirFirstSearchOnly() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.indexIntervalBytes = 100
        config.segmentBytes = 4_000
        do {
            let (log, _) = try openLog(dir, config: config)
            for i in 0..<60 { try log.append(makeBatch(count: 2, firstValue: i, valueSize: 200), now: 0) }
            try log.close(flush: true)
        }
        let (log, _) = try openLog(dir, config: config, clean: true)
        func mappedIndexes() throws -> Set<String> {
            let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
            return Set(maps.split(separator: "\n").compactMap { line in
                guard let slash = line.firstIndex(of: "/") else { return nil }
                let path = String(line[slash...])
                return path.hasPrefix(dir.path) && path.hasSuffix(".index") ? path : nil
            })
        }
        #expect(log.segmentCount > 3)
        #expect(try mappedIndexes().isEmpty)
        // Offset 5 lies in the first segment, past its first index entries: a binary search.
        let read = try log.read(from: 5, maxBytes: 300, maxOffset: log.logEndOffset)
        #expect(read.region != nil)
        let mapped = try mappedIndexes()
        #expect(mapped == [dir.path + "/t-0/00000000000000000000.index"])
    }
}

import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import GregorStorage

/// Damage inside a closed log, not only at its tail: an unclean open with no recovery checkpoint
/// validates every segment, truncates at the first bad batch and drops every later segment.
@Suite struct CrashCorruptionTests {
    enum Damage: CaseIterable, CustomTestStringConvertible {
        /// A flipped byte among the records: the CRC no longer matches.
        case recordByte
        /// A batch length below the header size.
        case lengthTooSmall
        /// A batch length running past the end of the file.
        case lengthPastEnd
        case magic
        /// A base offset below the previous batch's (not covered by the CRC).
        case offsetBackwards

        var testDescription: String { "\(self)" }

        func apply(_ bytes: inout [UInt8], batchAt p: Int) {
            switch self {
            case .recordByte: bytes[p + RecordBatch.headerSize + 3] ^= 0xFF
            case .lengthTooSmall: bytes.replaceSubrange(p + 8..<p + 12, with: [0, 0, 0, 10])
            case .lengthPastEnd: bytes.replaceSubrange(p + 8..<p + 12, with: [0x00, 0x10, 0x00, 0x00])
            case .magic: bytes[p + RecordBatch.Offset.magic] = 7
            case .offsetBackwards: bytes.replaceSubrange(p..<p + 8, with: [UInt8](repeating: 0, count: 8))
            }
        }
    }

    enum Where: CaseIterable, CustomTestStringConvertible {
        case firstBatch, middleBatch, lastBatch
        var testDescription: String { "\(self)" }
    }

    @Test(arguments: Damage.allCases, Where.allCases)
    func damageInAMiddleSegmentTruncatesThereAndDropsLaterSegments(damage: Damage, at place: Where) throws {
        let dir = TempDir()
        var config = LogConfig()
        config.segmentBytes = 2048
        config.indexIntervalBytes = 256
        do {
            let (log, _) = try openLog(dir, config: config)
            for i in 0..<60 { _ = try log.append(makeBatch(count: 2, firstValue: 2 * i, valueSize: 60), now: 0) }
            try log.close(flush: true)
        }
        let partition = dir.path + "/t-0"
        let bases = try FileManager.default.contentsOfDirectory(atPath: partition)
            .filter { $0.hasSuffix(".log") }.compactMap { Int64($0.dropLast(4)) }.sorted()
        try #require(bases.count >= 5)
        let victim = partition + "/" + Segment.name(bases[2], ".log")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: victim)))
        let batches = batchPositions(bytes)
        try #require(batches.count >= 3)
        let bad = switch place {
        case .firstBatch: batches[0]
        case .middleBatch: batches[batches.count / 2]
        case .lastBatch: batches[batches.count - 1]
        }
        damage.apply(&bytes, batchAt: bad.position)
        try Data(bytes).write(to: URL(fileURLWithPath: victim))

        let (log, report) = try openLog(dir, config: config)
        #expect(report.segmentsRecovered == 3)
        #expect(report.bytesTruncated == Int64(bytes.count - bad.position))
        #expect(report.segmentsDropped == bases.count - 3)
        #expect(log.logEndOffset == bad.baseOffset)
        #expect(log.segmentBaseOffsets == Array(bases.prefix(3)))
        for base in bases.dropFirst(3) {
            for ext in [".log", ".index", ".timeindex"] { #expect(!FileManager.default.fileExists(atPath: partition + "/" + Segment.name(base, ext))) }
        }
        // What precedes the damage reads back whole.
        #expect(try readAll(log, upTo: bad.baseOffset) == Array(0..<bad.baseOffset))
        #expect(try log.read(from: bad.baseOffset, maxBytes: 1 << 20).region == nil)
        // The log keeps working at its new end, and a second unclean open finds nothing to cut.
        #expect(try log.append(makeBatch(count: 2, firstValue: Int(bad.baseOffset)), now: 0).firstOffset == bad.baseOffset)
        try log.close(flush: false)
        let (again, second) = try openLog(dir, config: config)
        #expect(second.bytesTruncated == 0 && second.segmentsDropped == 0)
        #expect(again.logEndOffset == bad.baseOffset + 2)
        #expect(try readAll(again, upTo: again.logEndOffset) == Array(0..<(bad.baseOffset + 2)))
    }

    /// As Kafka's LogLoader: only a clean shutdown vouches that the log was flushed; after an
    /// unclean open the recovered bytes are still only in the page cache.
    @Test func uncleanOpenLeavesTheRecoveryPointAtTheCheckpoint() throws {
        let dir = TempDir()
        do {
            let (log, _) = try openLog(dir)
            for i in 0..<10 { _ = try log.append(makeBatch(count: 1, firstValue: i), now: 0) }
            try log.close(flush: false)
        }
        do {
            let (log, _) = try openLog(dir)
            #expect(log.logEndOffset == 10 && log.recoveryPoint == 0)
            try log.close(flush: false)
        }
        do {
            let (log, _) = try openLog(dir, recoveryPoint: 4)
            #expect(log.recoveryPoint == 4)
            try log.flush()
            #expect(log.recoveryPoint == 10)
            try log.close(flush: true)
        }
        do {
            let (log, _) = try openLog(dir, recoveryPoint: 10, clean: true)
            #expect(log.recoveryPoint == 10)
            try log.close(flush: false)
        }
        let (past, _) = try openLog(dir, recoveryPoint: 50)
        #expect(past.recoveryPoint == 10)
    }

    /// Start and base offset of each batch in a segment file's bytes.
    func batchPositions(_ bytes: [UInt8]) -> [(position: Int, baseOffset: Int64)] {
        let buffer = ByteBuffer(bytes: bytes)
        var out: [(Int, Int64)] = []
        var p = 0
        while p + RecordBatch.logOverhead <= bytes.count {
            out.append((p, buffer.getInteger(at: p, as: Int64.self)!))
            p += Int(buffer.getInteger(at: p + 8, as: Int32.self)!) + RecordBatch.logOverhead
        }
        return out
    }

    /// Every offset below `end`, read in small fetches, checking CRCs and values.
    func readAll(_ log: PartitionLog, upTo end: Int64) throws -> [Int64] {
        var offsets: [Int64] = []
        var next: Int64 = 0
        while next < end {
            let got = try records(in: try log.read(from: next, maxBytes: 700))
            try #require(!got.isEmpty)
            for r in got where r.offset >= next {
                #expect(r.value.split(separator: ".").first.map(String.init) == "value-\(r.offset)")
                offsets.append(r.offset)
            }
            next = got.last!.offset + 1
        }
        return offsets
    }
}

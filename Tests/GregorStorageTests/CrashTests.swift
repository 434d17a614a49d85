import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import GregorStorage

/// SIGKILLs `storage-crash-child` at random moments while it appends, then reopens the log
/// uncleanly and checks what Kafka promises under a process crash: every acknowledged append is
/// there with its content (with or without fsync: the page cache outlives the process), no partial
/// batch is visible, and offsets continue without gap or reuse.
@Suite(.serialized) struct CrashTests {
    static let iterations = 20

    @Test func sigkillWithFsyncPerAppendLosesNoAcknowledgedAppend() throws {
        let summary = try runKills(arguments: ["--flush-messages", "1", "--checkpoint-every", "25", "--segment-bytes", "262144"],
                                   expectFlushed: true)
        print("crash test (flush.messages=1): \(summary)")
    }

    @Test func sigkillWithoutFsyncLosesNoAcknowledgedAppend() throws {
        // Every other batch is 512 KiB, so some kills land inside its write and leave a torn tail.
        let summary = try runKills(
            arguments: ["--large-every", "2", "--large-records", "32", "--segment-bytes", "4194304"], expectFlushed: false)
        print("crash test (no fsync): \(summary)")
    }

    func runKills(arguments extra: [String], expectFlushed: Bool) throws -> CrashSummary {
        let child = try #require(CrashChild.executable, CrashChild.notFoundMessage)
        let dir = TempDir()
        let tp = TopicPartition("crash", 0)
        let partitionDir = dir.path + "/" + tp.directoryName
        var summary = CrashSummary()
        var allAcks: [Int64: CrashChild.Ack] = [:]
        var logEnd: Int64 = 0
        for iteration in 0..<Self.iterations {
            let arguments = [dir.path, "--index-interval-bytes", "1024", "--first-seq", "\(iteration * 1_000_000)"] + extra
            let run = try CrashChild.runAndKill(child, arguments: arguments, afterMs: Int.random(in: 20...200), scratch: dir.path)
            summary.kills += 1
            let acks = run.acks
            if let start = run.start {
                // (d) The child starts where the last recovery ended; nothing was left to truncate.
                #expect(start.logEndOffset == logEnd, "iteration \(iteration): child recovered \(start.logEndOffset), expected \(logEnd)")
                #expect(start.truncated == 0)
            } else {
                #expect(acks.isEmpty)
            }
            var next = logEnd
            for ack in acks {
                #expect(ack.first == next, "iteration \(iteration): ack \(ack) does not follow offset \(next)")
                #expect(ack.last >= ack.first)
                if expectFlushed { #expect(ack.flushed, "iteration \(iteration): ack \(ack) was not fsynced") }
                next = ack.last + 1
                allAcks[ack.first] = ack
            }
            summary.acks += acks.count
            if acks.isEmpty { summary.killedBeforeAck += 1 }
            // Reopen uncleanly from the last verified end: everything the child wrote is validated batch by batch.
            let (log, report) = try PartitionLog.open(tp, directory: partitionDir, config: LogConfig(), cache: FileCache(capacity: 64),
                                                      logger: testLogger, recoveryPoint: logEnd, now: 0)
            summary.bytesTruncated += report.bytesTruncated
            if report.bytesTruncated > 0 { summary.tornTails += 1 }
            #expect(report.segmentsDropped == 0)
            // (d) The recovered end is past every acknowledged offset, and nothing before it was lost.
            if let last = acks.last { #expect(log.logEndOffset > last.last) }
            #expect(log.logEndOffset >= logEnd)
            // (a, b, c) What this child wrote: whole, CRC-valid, contiguous batches holding every ack.
            let scan = try CrashChild.verify(log, from: logEnd, acks: allAcks)
            #expect(scan.acked == acks.count, "iteration \(iteration): \(acks.count - scan.acked) acknowledged appends missing")
            summary.batches += scan.batches
            logEnd = log.logEndOffset
            // As the broker's flush and checkpoint between crashes: the next child recovers from here.
            try log.flush()
            try OffsetCheckpoint.write([tp: log.recoveryPoint], to: dir.path + "/" + LogManager.recoveryPointFile)
            try log.close(flush: false)
        }
        // Everything once more, with no recovery point so every segment is validated: earlier runs'
        // acks are all still there.
        let (log, report) = try PartitionLog.open(tp, directory: partitionDir, config: LogConfig(), cache: FileCache(capacity: 64),
                                                  logger: testLogger, now: 0)
        #expect(report.bytesTruncated == 0 && report.segmentsRecovered == log.segmentCount)
        let scan = try CrashChild.verify(log, from: 0, acks: allAcks)
        #expect(scan.acked == allAcks.count && scan.batches == summary.batches)
        summary.segments = log.segmentCount
        summary.logEndOffset = log.logEndOffset
        #expect(summary.acks > 0, "the child never acknowledged an append")
        return summary
    }
}

struct CrashSummary: CustomStringConvertible {
    var kills = 0, killedBeforeAck = 0, acks = 0, batches = 0, tornTails = 0, segments = 0
    var bytesTruncated: Int64 = 0, logEndOffset: Int64 = 0
    var description: String {
        "\(kills) kills (\(killedBeforeAck) before the first ack), \(acks) acknowledged appends, \(batches) batches in the log (\(logEndOffset) records, \(segments) segments), "
            + "\(tornTails) torn tails truncated (\(bytesTruncated) bytes)"
    }
}

/// Finding, running and reading the output of `storage-crash-child`.
enum CrashChild {
    struct Ack: CustomStringConvertible {
        var first: Int64, last: Int64, seq: Int64, flushed: Bool
        var description: String { "[\(first)...\(last) seq \(seq)]" }
    }

    struct Run {
        var start: (logEndOffset: Int64, truncated: Int64)?
        var acks: [Ack] = []
    }

    static let name = "storage-crash-child"

    /// Directories that may hold the executable: beside the test binary (SwiftPM puts every
    /// product of a build in one directory), with symlinks resolved, and `GREGOR_CRASH_CHILD`.
    static var candidates: [String] {
        var dirs: [URL] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dirs.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        dirs.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        dirs.append(Bundle.main.bundleURL)
        dirs.append(Bundle.main.bundleURL.deletingLastPathComponent())
        // On macOS the tests run inside `<product>.xctest/Contents/MacOS/`.
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            dirs.append(bundle.bundleURL.deletingLastPathComponent())
        }
        var paths = dirs.flatMap { [$0, $0.resolvingSymlinksInPath()] }.map { $0.appendingPathComponent(name).path }
        if let explicit = ProcessInfo.processInfo.environment["GREGOR_CRASH_CHILD"] { paths.insert(explicit, at: 0) }
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    static var executable: URL? {
        candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map(URL.init(fileURLWithPath:))
    }

    static var notFoundMessage: Comment {
        Comment(rawValue: "\(name) not found; looked at \(candidates.joined(separator: ", ")). Build it beside the tests "
            + "(`swift build --build-tests`, which `swift test` does) or set GREGOR_CRASH_CHILD to its path.")
    }

    /// Starts the child, SIGKILLs it after `afterMs` and parses what it printed.
    static func runAndKill(_ executable: URL, arguments: [String], afterMs: Int, scratch: String) throws -> Run {
        let outPath = scratch + "/child.out"
        let errPath = scratch + "/child.err"
        for path in [outPath, errPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // Files, not pipes: a full pipe would stall the child, and what it wrote survives the kill.
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try process.run()
        usleep(UInt32(afterMs * 1000))
        let alive = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        #expect(alive && process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL,
                "child exited by itself (status \(process.terminationStatus)): \(stderr)")
        return parse(try String(contentsOfFile: outPath, encoding: .utf8))
    }

    static func parse(_ output: String) -> Run {
        var run = Run()
        // A line without its newline was being written when the kill came.
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let f = line.split(separator: " ")
            if f.first == "start", f.count == 4, let end = Int64(f[1]), let t = Int64(f[2].dropFirst("truncated=".count)) {
                run.start = (end, t)
            } else if f.first == "ack", f.count == 5, let a = Int64(f[1]), let b = Int64(f[2]), let s = Int64(f[3]) {
                run.acks.append(Ack(first: a, last: b, seq: s, flushed: f[4] == "flushed=1"))
            } else {
                Issue.record("unexpected child output: \(line)")
            }
        }
        return run
    }

    /// Reads the log from `offset` to its end in 1 MiB fetches, checking every batch: CRC, base
    /// offset following the previous batch, records `<seq>:<i>:` of one sequence number, and the
    /// acknowledged range and sequence number when the batch was acknowledged.
    static func verify(_ log: PartitionLog, from offset: Int64, acks: [Int64: Ack]) throws -> (batches: Int, acked: Int) {
        var next = offset
        var batches = 0
        var acked = 0
        while next < log.logEndOffset {
            let region = try #require(try log.read(from: next, maxBytes: 1 << 20).region, "no data at \(next) below \(log.logEndOffset)")
            var reader = RecordBatchReader(try region.read())
            while let batch = try reader.next() {
                #expect(batch.verifyCRC(), "batch at \(batch.baseOffset) fails its CRC")
                try #require(batch.baseOffset == next, "batch at \(batch.baseOffset), expected \(next): a gap or an overlap")
                var seq: Int64?
                for (i, record) in try batch.records().enumerated() {
                    let parts = String(buffer: try #require(record.value)).split(separator: ":", maxSplits: 2)
                    #expect(parts.count == 3 && Int(parts[1]) == i, "record \(record.offset): \(parts)")
                    #expect(seq == nil || Int64(parts[0]) == seq, "record \(record.offset) from another batch")
                    seq = Int64(parts[0])
                }
                if let ack = acks[batch.baseOffset] {
                    #expect(ack.last == batch.lastOffset && ack.seq == seq, "acknowledged \(ack), found \(batch.baseOffset)...\(batch.lastOffset) seq \(seq ?? -1)")
                    acked += 1
                }
                batches += 1
                next = batch.nextOffset
            }
        }
        return (batches, acked)
    }
}

// Log store throughput next to the raw file system, in one run on one disk:
//   append: PartitionLog.append vs pwrite of the same bytes in the same chunks, without fsync and
//           with an fsync per MiB;
//   read:   PartitionLog.read in 1 MiB fetches + LogRegion.read() vs pread in 1 MiB chunks (both
//           from the page cache, just written), and the region-only path (no bytes read).
//
//   storage-bench [--dir DIR] [--mib N] [--repeats R]
//     N MiB appended per case (default 256); each case R times (default 3), medians printed.
//
// MB/s are 10^6 bytes per second of batch bytes (record overhead included).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import GregorStorage
import KafkaProtocol
import Logging
import NIOCore

struct Options {
    var dir = "/tmp"
    var mib = 256
    /// Each case runs this many times; the median is printed.
    var repeats = 3

    init(_ args: [String]) {
        var rest = args[...]
        while let arg = rest.popFirst() {
            switch arg {
            case "--dir": dir = rest.popFirst() ?? dir
            case "--mib": mib = rest.popFirst().flatMap { Int($0) } ?? mib
            case "--repeats": repeats = max(1, rest.popFirst().flatMap { Int($0) } ?? repeats)
            default: dir = arg
            }
        }
    }
}

/// One batch, appended over and over.
struct Workload {
    let recordSize: Int
    let batchSize: Int
    let batch: ByteBuffer
    let recordsPerBatch: Int
    let batches: Int

    init(recordSize: Int, batchSize: Int, totalBytes: Int) {
        self.recordSize = recordSize
        self.batchSize = batchSize
        let value = ByteBuffer(repeating: UInt8(ascii: "x"), count: recordSize)
        func build(_ count: Int) -> ByteBuffer {
            var builder = RecordBatchBuilder()
            for _ in 0..<count { builder.append(timestamp: 1_700_000_000_000, key: nil, value: value) }
            return try! builder.build()
        }
        // As many records as fit in `batchSize` bytes (a 1 MiB batch stays under max.message.bytes).
        let perRecord = build(2).readableBytes - build(1).readableBytes
        var count = max(1, (batchSize - RecordBatch.headerSize) / perRecord)
        var built = build(count)
        while built.readableBytes > batchSize && count > 1 {
            count -= 1
            built = build(count)
        }
        batch = built
        recordsPerBatch = count
        batches = max(1, totalBytes / batch.readableBytes)
    }

    var totalBytes: Int { batches * batch.readableBytes }
    var totalRecords: Int { batches * recordsPerBatch }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

let mib = 1 << 20
let logger: Logger = {
    var l = Logger(label: "storage-bench")
    l.logLevel = .error
    return l
}()
let tp = TopicPartition("bench", 0)

func openLog(_ dir: String) throws -> PartitionLog {
    try PartitionLog.open(tp, directory: dir, config: LogConfig(), cache: FileCache(), logger: logger, now: 0).0
}

/// Appends the workload; with `fsyncPerMiB`, flushes whenever a MiB has been appended since the last.
func appendToLog(_ w: Workload, dir: String, fsyncPerMiB: Bool) throws -> (PartitionLog, Double) {
    let log = try openLog(dir)
    let size = w.batch.readableBytes
    let time = try seconds {
        var unflushed = 0
        for _ in 0..<w.batches {
            _ = try log.append(w.batch, now: 0)
            unflushed += size
            if fsyncPerMiB && unflushed >= mib {
                try log.flush()
                unflushed = 0
            }
        }
        if fsyncPerMiB { try log.flush() }
    }
    return (log, time)
}

/// The same bytes in the same chunks with pwrite, fsyncing on the same schedule.
func appendRaw(_ w: Workload, path: String, fsyncPerMiB: Bool) -> Double {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    precondition(fd >= 0, "open \(path): errno \(errno)")
    defer { close(fd); unlink(path) }
    return w.batch.withUnsafeReadableBytes { bytes in
        seconds {
            var position = 0
            var unflushed = 0
            for _ in 0..<w.batches {
                precondition(pwrite(fd, bytes.baseAddress, bytes.count, off_t(position)) == bytes.count)
                position += bytes.count
                unflushed += bytes.count
                if fsyncPerMiB && unflushed >= mib {
                    precondition(fsync(fd) == 0)
                    unflushed = 0
                }
            }
            if fsyncPerMiB { precondition(fsync(fd) == 0) }
        }
    }
}

/// The last offset of the batches in `buffer`, from their headers.
func lastOffset(in buffer: ByteBuffer) -> Int64 {
    var p = buffer.readerIndex
    var last: Int64 = -1
    while p + RecordBatch.headerSize <= buffer.writerIndex {
        let base = buffer.getInteger(at: p, as: Int64.self)!
        last = base + Int64(buffer.getInteger(at: p + RecordBatch.Offset.lastOffsetDelta, as: Int32.self)!)
        p += Int(buffer.getInteger(at: p + RecordBatch.Offset.batchLength, as: Int32.self)!) + RecordBatch.logOverhead
    }
    return last
}

struct ReadFigures {
    var logSeconds = 0.0, rawSeconds = 0.0, regionSeconds = 0.0
    var bytes = 0, fetches = 0
}

/// Reads the whole log back in 1 MiB fetches, then the segment file with pread, then fetches
/// regions only, at the same offsets.
func readBack(_ log: PartitionLog, segment: String) throws -> ReadFigures {
    var f = ReadFigures()
    var starts: [Int64] = []
    let end = log.logEndOffset
    f.logSeconds = try seconds {
        var next: Int64 = 0
        while next < end {
            starts.append(next)
            let buffer = try log.read(from: next, maxBytes: mib).region!.read()
            f.bytes += buffer.readableBytes
            next = lastOffset(in: buffer) + 1
        }
    }
    f.fetches = starts.count
    let fd = open(segment, O_RDONLY | O_CLOEXEC)
    precondition(fd >= 0)
    defer { close(fd) }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: mib, alignment: 4096)
    defer { chunk.deallocate() }
    var raw = 0
    f.rawSeconds = seconds {
        while true {
            let n = pread(fd, chunk.baseAddress, mib, off_t(raw))
            precondition(n >= 0)
            if n == 0 { break }
            raw += n
        }
    }
    precondition(raw == f.bytes, "log read \(f.bytes) bytes, the file holds \(raw)")
    f.regionSeconds = try seconds {
        for s in starts { _ = try log.read(from: s, maxBytes: mib).region }
    }
    return f
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

func fmt(_ x: Double, _ decimals: Int = 0) -> String { String(format: "%.\(decimals)f", x) }

func sizeName(_ bytes: Int) -> String { bytes >= mib ? "\(bytes / mib) MiB" : bytes >= 1024 ? "\(bytes / 1024) KiB" : "\(bytes) B" }

let options = Options(Array(CommandLine.arguments.dropFirst()))
let root = options.dir + "/storage-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: root) }
print("storage-bench: \(options.mib) MiB per case, \(options.repeats) runs each, in \(root)")

var appendRows: [String] = []
var readRows: [String] = []
let header = [pad("record", 7), pad("batch", 8), pad("fsync", 9), pad("log MB/s", 9), pad("records/s", 11), pad("raw MB/s", 9), pad("log/raw", 8)]
appendRows.append(header.joined(separator: " "))
readRows.append([pad("record", 7), pad("batch", 8), pad("log MB/s", 9), pad("raw MB/s", 9), pad("log/raw", 8), pad("fetches", 8),
                 pad("regions/s", 10)].joined(separator: " "))

/// The median of `repeats` timings.
func median(_ times: [Double]) -> Double { times.sorted()[times.count / 2] }

for recordSize in [100, 1024] {
    for batchSize in [16 * 1024, 256 * 1024, mib] {
        let w = Workload(recordSize: recordSize, batchSize: batchSize, totalBytes: options.mib * mib)
        for fsyncPerMiB in [false, true] {
            let dir = root + "/case"
            var rawTimes: [Double] = []
            var logTimes: [Double] = []
            var reads: [ReadFigures] = []
            // Raw and log alternate, so a burst of load from elsewhere hits both alike.
            for _ in 0..<options.repeats {
                sync()
                rawTimes.append(appendRaw(w, path: root + "/raw", fsyncPerMiB: fsyncPerMiB))
                sync()
                let (log, logTime) = try appendToLog(w, dir: dir, fsyncPerMiB: fsyncPerMiB)
                logTimes.append(logTime)
                if !fsyncPerMiB { reads.append(try readBack(log, segment: dir + "/00000000000000000000.log")) }
                try log.close(flush: false)
                try FileManager.default.removeItem(atPath: dir)
            }
            let mbps = Double(w.totalBytes) / median(logTimes) / 1e6
            let rawMbps = Double(w.totalBytes) / median(rawTimes) / 1e6
            appendRows.append([
                pad("\(recordSize) B", 7), pad(sizeName(batchSize), 8), pad(fsyncPerMiB ? "per MiB" : "none", 9),
                pad(fmt(mbps), 9), pad(fmt(Double(w.totalRecords) / median(logTimes)), 11), pad(fmt(rawMbps), 9),
                pad(fmt(mbps / rawMbps, 2), 8),
            ].joined(separator: " "))
            print(appendRows.last!)
            if let r = reads.first {
                let logRate = Double(r.bytes) / median(reads.map(\.logSeconds)) / 1e6
                let rawRate = Double(r.bytes) / median(reads.map(\.rawSeconds)) / 1e6
                readRows.append([
                    pad("\(recordSize) B", 7), pad(sizeName(batchSize), 8), pad(fmt(logRate), 9), pad(fmt(rawRate), 9),
                    pad(fmt(logRate / rawRate, 2), 8), pad("\(r.fetches)", 8),
                    pad(fmt(Double(r.fetches) / median(reads.map(\.regionSeconds))), 10),
                ].joined(separator: " "))
            }
        }
    }
}

print("\nappend (\(options.mib) MiB per case, median of \(options.repeats); raw = pwrite of the same batches)")
appendRows.forEach { print($0) }
print("\nread (1 MiB fetches from the page cache; raw = pread of the segment in 1 MiB chunks)")
readRows.forEach { print($0) }

// Appends batches to one partition log until it is killed, acknowledging each append on stdout;
// GregorStorageTests' CrashTests SIGKILL it at random moments and check what survived.
//
//   storage-crash-child <log dir> [--flush-messages N] [--segment-bytes N] [--first-seq N]
//                       [--max-records N] [--max-value-size N] [--large-every N] [--large-records N]
//                       [--checkpoint-every N] [--max-appends N]
//
// Output, one line per write(2), so a kill never leaves a line half in the buffer:
//   start <log end offset> truncated=<bytes> recovered=<segments>
//   ack <first offset> <last offset> <seq> flushed=<0|1>
// Record i of the batch with sequence number s has the value "<s>:<i>:" padded with '.'.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GregorStorage
import KafkaProtocol
import Logging
import NIOCore

struct Options {
    var logDir = ""
    var config = LogConfig()
    var firstSeq: Int64 = 0
    var maxRecords = 16
    var maxValueSize = 256
    /// Every this many appends, a batch of `largeRecords` records of 16 KiB: a write long enough
    /// for a kill to land inside it and leave a torn batch. 0 never.
    var largeEvery = 0
    var largeRecords = 16
    /// Write the recovery-point checkpoint every this many appends; 0 never.
    var checkpointEvery = 0
    var maxAppends = Int.max

    init(_ args: [String]) {
        var rest = args[...]
        func number(_ name: String) -> Int64 {
            guard let text = rest.popFirst(), let n = Int64(text) else { fail("\(name) needs a number") }
            return n
        }
        while let arg = rest.popFirst() {
            switch arg {
            case "--flush-messages": config.flushMessages = number(arg)
            case "--segment-bytes": config.segmentBytes = number(arg)
            case "--index-interval-bytes": config.indexIntervalBytes = Int(number(arg))
            case "--first-seq": firstSeq = number(arg)
            case "--max-records": maxRecords = max(1, Int(number(arg)))
            case "--max-value-size": maxValueSize = max(16, Int(number(arg)))
            case "--large-every": largeEvery = Int(number(arg))
            case "--large-records": largeRecords = max(1, Int(number(arg)))
            case "--checkpoint-every": checkpointEvery = Int(number(arg))
            case "--max-appends": maxAppends = Int(number(arg))
            default:
                guard logDir.isEmpty, !arg.hasPrefix("-") else { fail("unknown argument \(arg)") }
                logDir = arg
            }
        }
        guard !logDir.isEmpty else { fail("usage: storage-crash-child <log dir> [options]") }
    }
}

func fail(_ message: String) -> Never {
    emit(to: 2, "storage-crash-child: \(message)\n")
    exit(2)
}

/// One write(2) per line: unbuffered, so everything printed before a SIGKILL is in the file.
func emit(to fd: Int32 = 1, _ line: String) {
    var line = line
    line.withUTF8 { bytes in
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 { if errno == EINTR { continue }; exit(3) }
            done += n
        }
    }
}

func nowMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let tp = TopicPartition("crash", 0)
let checkpointPath = options.logDir + "/" + LogManager.recoveryPointFile
var logger = Logger(label: "storage-crash-child")
logger.logLevel = .error

do {
    let (log, report) = try PartitionLog.open(
        tp, directory: options.logDir + "/" + tp.directoryName, config: options.config, cache: FileCache(capacity: 64),
        logger: logger, recoveryPoint: OffsetCheckpoint.read(checkpointPath)[tp], now: nowMs())
    emit("start \(report.logEndOffset) truncated=\(report.bytesTruncated) recovered=\(report.segmentsRecovered)\n")
    var rng = SystemRandomNumberGenerator()
    // Padding copied with memcpy: filling byte by byte dominates a debug build's run time.
    let dots = ByteBuffer(repeating: UInt8(ascii: "."), count: max(16384, options.maxValueSize))
    var seq = options.firstSeq
    var appends = 0
    while appends < options.maxAppends {
        let large = options.largeEvery > 0 && appends % options.largeEvery == options.largeEvery - 1
        let count = large ? options.largeRecords : Int.random(in: 1...options.maxRecords, using: &rng)
        let valueSize = large ? 16384 : Int.random(in: 16...options.maxValueSize, using: &rng)
        let now = nowMs()
        var builder = RecordBatchBuilder()
        for i in 0..<count {
            var value = ByteBuffer(string: "\(seq):\(i):")
            value.writeImmutableBuffer(dots.getSlice(at: 0, length: max(0, valueSize - value.readableBytes))!)
            builder.append(timestamp: now, key: nil, value: value)
        }
        let result = try log.append(try builder.build(), now: now)
        let flushed = log.recoveryPoint > result.lastOffset
        emit("ack \(result.firstOffset) \(result.lastOffset) \(seq) flushed=\(flushed ? 1 : 0)\n")
        seq += 1
        appends += 1
        if options.checkpointEvery > 0 && appends % options.checkpointEvery == 0 {
            try OffsetCheckpoint.write([tp: log.recoveryPoint], to: checkpointPath)
        }
    }
    try log.close(flush: false)
} catch {
    fail("\(error)")
}

// codec-bench: throughput and allocations of the codec's hot paths, beside memcpy of the same
// bytes in the same run (the machine is shared and noisy: the ratio is the figure to compare).
//
//     swift run -c release codec-bench [seconds-per-case]

import CMallocCounter
import Foundation
import KafkaProtocol
import NIOCore

let secondsPerCase = CommandLine.arguments.dropFirst().first.flatMap(Double.init) ?? 1.0
let mib = 1 << 20

/// One v2 batch of `recordSize`-byte values adding up to about `total` bytes.
func makeBatch(recordSize: Int, total: Int) throws -> ByteBuffer {
    var builder = RecordBatchBuilder()
    let value = ByteBuffer(repeating: 0x61, count: recordSize)
    for i in 0..<(total / (recordSize + 20)) {
        builder.append(timestamp: 1_700_000_000_000 + Int64(i), key: nil, value: value)
    }
    return try builder.build()
}

struct Result {
    var name: String
    var mbPerSecond: Double
    var allocationsPerOp: Double
    var nanosecondsPerOp: Double
}

/// Runs `body` repeatedly for about `secondsPerCase`; `bytes` is what one run processes.
func measure(_ name: String, bytes: Int, _ body: () throws -> Void) rethrows -> Result {
    for _ in 0..<3 { try body() }  // warm up
    let clock = ContinuousClock()
    var iterations = 0
    let allocationsBefore = gregor_malloc_count()
    let start = clock.now
    let deadline = start + .milliseconds(Int(secondsPerCase * 1000))
    while clock.now < deadline {
        for _ in 0..<8 { try body() }
        iterations += 8
    }
    let elapsed = clock.now - start
    let allocations = Double(gregor_malloc_count() - allocationsBefore) / Double(iterations)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return Result(name: name, mbPerSecond: Double(bytes * iterations) / seconds / 1e6, allocationsPerOp: allocations,
                  nanosecondsPerOp: seconds * 1e9 / Double(iterations))
}

@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

let batch = try makeBatch(recordSize: 1024, total: mib)
let smallBatch = try makeBatch(recordSize: 100, total: mib)
func produce(_ records: ByteBuffer) -> ProduceRequest {
    ProduceRequest(acks: -1, timeoutMs: 30_000, topicData: [
        .init(name: "bench", partitionData: [.init(index: 0, records: records)]),
    ])
}
let fetch = FetchResponse(responses: [
    .init(topic: "bench", partitions: [.init(partitionIndex: 0, highWatermark: 1000, lastStableOffset: 1000, logStartOffset: 0, records: batch)]),
])

var produceFrame = ByteBuffer()
try produce(batch).write(to: &produceFrame, version: 9)
var fetchFrame = ByteBuffer()
try fetch.write(to: &fetchFrame, version: 12)
var scratch = ByteBufferAllocator().buffer(capacity: 2 * mib)
let source = [UInt8](repeating: 0x5A, count: mib)
var target = [UInt8](repeating: 0, count: mib)

var results: [Result] = []
results.append(measure("memcpy 1 MiB (baseline)", bytes: mib) {
    target.withUnsafeMutableBytes { t in source.withUnsafeBytes { s in t.copyMemory(from: s) } }
    blackHole(target)
})
results.append(try measure("ProduceRequest v9 decode+encode", bytes: produceFrame.readableBytes) {
    var input = produceFrame
    let request = try ProduceRequest(from: &input, version: 9)
    scratch.clear()
    try request.write(to: &scratch, version: 9)
})
for (label, records) in [("1 KiB", batch), ("100 B", smallBatch)] {
    var frame = ByteBuffer()
    try produce(records).write(to: &frame, version: 9)
    results.append(try measure("ProduceRequest v9 decode+CRC+records (\(label))", bytes: frame.readableBytes) {
        var input = frame
        let request = try ProduceRequest(from: &input, version: 9)
        var reader = RecordBatchReader(request.topicData[0].partitionData[0].records!)
        while let b = try reader.next() {
            try b.validate()
            var it = try b.makeRecordIterator()
            while let r = try it.next() { blackHole(r.offset) }
        }
    })
}
// What a produce's validation does to every record (Kafka's LogValidator checks each one): the
// framing walked, nothing sliced out.
for (label, records) in [("1 KiB", batch), ("100 B", smallBatch)] {
    let parsed = try RecordBatch(records)
    results.append(try measure("RecordBatch.scanRecords (\(label))", bytes: records.readableBytes) {
        var newest = Int64.min
        try parsed.scanRecords { newest = max(newest, $0.timestamp &+ Int64($0.keyLength)) }
        blackHole(newest)
    })
}
results.append(try measure("FetchResponse v12 decode+encode", bytes: fetchFrame.readableBytes) {
    var input = fetchFrame
    let response = try FetchResponse(from: &input, version: 12)
    scratch.clear()
    try response.write(to: &scratch, version: 12)
})
// Many small parts: the per-field and per-struct code the generator emits, not the bytes.
let smallRecords = try makeBatch(recordSize: 100, total: 1024)
let wideFetch = FetchResponse(responses: [
    .init(topicId: KafkaUUID(high: 1, low: 2), partitions: (0..<100).map {
        .init(partitionIndex: Int32($0), highWatermark: 1000, lastStableOffset: 1000, logStartOffset: 0, records: smallRecords)
    }),
])
let metadata = MetadataResponse(
    brokers: (0..<3).map { .init(nodeId: Int32($0), host: "broker-\($0).example.com", port: 9092, rack: "rack-\($0)") },
    clusterId: "bench-cluster", controllerId: 0,
    topics: (0..<10).map { t in
        .init(name: "topic-\(t)", topicId: KafkaUUID(high: UInt64(t), low: 7), partitions: (0..<100).map {
            .init(partitionIndex: Int32($0), leaderId: Int32($0 % 3), leaderEpoch: 5,
                  replicaNodes: [0, 1, 2], isrNodes: [0, 1, 2], offlineReplicas: [])
        })
    })
for (label, version) in [("FetchResponse v16 100 partitions decode+encode", Int16(16))] {
    var frame = ByteBuffer()
    try wideFetch.write(to: &frame, version: version)
    results.append(try measure(label, bytes: frame.readableBytes) {
        var input = frame
        let response = try FetchResponse(from: &input, version: version)
        scratch.clear()
        try response.write(to: &scratch, version: version)
    })
}
for (label, version) in [("MetadataResponse v12 1000 partitions dec+enc", Int16(12))] {
    var frame = ByteBuffer()
    try metadata.write(to: &frame, version: version)
    results.append(try measure(label, bytes: frame.readableBytes) {
        var input = frame
        let response = try MetadataResponse(from: &input, version: version)
        scratch.clear()
        try response.write(to: &scratch, version: version)
    })
}
let crcPath = CRC32C.isFoldAccelerated ? "VPCLMULQDQ fold" : CRC32C.isHardwareAccelerated ? "SSE4.2" : "table"
results.append(source.withUnsafeBytes { raw in
    measure("CRC32C (\(crcPath))", bytes: mib) { blackHole(CRC32C.checksum(raw)) }
})
if CRC32C.isFoldAccelerated {
    results.append(source.withUnsafeBytes { raw in
        measure("CRC32C (SSE4.2, three streams)", bytes: mib) { blackHole(CRC32C.checksumWithoutFold(raw)) }
    })
}
results.append(source.withUnsafeBytes { raw in
    measure("CRC32C (table)", bytes: mib) { blackHole(CRC32C.tableChecksum(raw)) }
})

let baseline = results[0].mbPerSecond
print("codec-bench: \(Int(secondsPerCase * 1000)) ms per case, \(ProcessInfo.processInfo.activeProcessorCount) cores")
print("case".padding(toLength: 46, withPad: " ", startingAt: 0) + "      MB/s   x memcpy   allocs/op       ns/op")
for r in results {
    let line = r.name.padding(toLength: 46, withPad: " ", startingAt: 0)
        + String(format: "%10.0f %10.3f %11.1f %11.0f", r.mbPerSecond, r.mbPerSecond / baseline, r.allocationsPerOp, r.nanosecondsPerOp)
    print(line)
}

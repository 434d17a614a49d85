import Foundation
import KafkaProtocol
import Logging
import NIOCore
@testable import GregorStorage

/// A fresh temporary directory, removed when the test's value goes away.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "gregor-storage-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

let testLogger: Logger = {
    var l = Logger(label: "gregor.storage.test")
    l.logLevel = .critical
    return l
}()

/// A v2 batch of `count` records whose values are `value-<i>`, as a producer would send it.
func makeBatch(count: Int, firstValue: Int = 0, timestamp: Int64 = 1_700_000_000_000, valueSize: Int = 0,
               key: (Int) -> String? = { _ in nil }, codec: CompressionCodec = .none) -> ByteBuffer {
    var builder = RecordBatchBuilder(compression: codec)
    for i in 0..<count {
        var value = ByteBuffer(string: "value-\(firstValue + i)")
        if valueSize > value.readableBytes { value.writeRepeatingByte(0x2E, count: valueSize - value.readableBytes) }
        builder.append(timestamp: timestamp + Int64(i), key: key(firstValue + i).map { ByteBuffer(string: $0) }, value: value)
    }
    return try! builder.build()
}

/// The records of every batch in a read region, as (offset, value) pairs.
func records(in result: ReadResult) throws -> [(offset: Int64, value: String)] {
    guard let region = result.region else { return [] }
    var reader = RecordBatchReader(try region.read())
    var out: [(Int64, String)] = []
    while let batch = try reader.next() {
        #expect(batch.verifyCRC())
        for r in try batch.records() { out.append((r.offset, r.value.map { String(buffer: $0) } ?? "<null>")) }
    }
    return out
}

func openLog(_ dir: TempDir, config: LogConfig = LogConfig(), recoveryPoint: Int64? = nil, clean: Bool = false, now: Int64 = 0)
    throws -> (PartitionLog, RecoveryReport)
{
    try PartitionLog.open(TopicPartition("t", 0), directory: dir.path + "/t-0", config: config, cache: FileCache(capacity: 64),
                          logger: testLogger, recoveryPoint: recoveryPoint, cleanShutdown: clean, now: now)
}

import Testing

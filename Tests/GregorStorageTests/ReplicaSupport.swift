import Foundation
import KafkaProtocol
import NIOCore

@testable import GregorStorage

/// Opens `<dir>/t-0` as a replica does: the high watermark moved by replication.
func openReplica(_ dir: TempDir, config: LogConfig = LogConfig(), highWatermark: Int64? = nil, clean: Bool = true, now: Int64 = 0)
    throws -> PartitionLog
{
    try PartitionLog.open(TopicPartition("t", 0), directory: dir.path + "/t-0", config: config, cache: FileCache(capacity: 64),
                          logger: testLogger, cleanShutdown: clean, highWatermarkMode: .replicated, highWatermark: highWatermark,
                          now: now).0
}

/// What a follower's fetch would bring: the leader's stored batches from `offset`, as the bytes
/// of the file region the leader would send.
func fetched(_ leader: PartitionLog, from offset: Int64, maxBytes: Int = 1 << 24) throws -> ByteBuffer {
    try leader.read(from: offset, maxBytes: maxBytes, maxOffset: Int64.max).region?.read() ?? ByteBuffer()
}

/// An idempotent (or transactional) producer's batch of `count` records.
func producerBatch(_ producerId: Int64, epoch: Int16 = 0, sequence: Int32, count: Int = 2, transactional: Bool = false,
                   timestamp: Int64 = 1_700_000_000_000) throws -> ByteBuffer {
    var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: epoch, baseSequence: sequence, isTransactional: transactional)
    for i in 0..<count { builder.append(timestamp: timestamp, key: nil, value: ByteBuffer(string: "p\(producerId)-\(sequence)-\(i)")) }
    return try builder.build()
}

/// A batch as a leader stored it: its own offsets and leader epoch.
func storedBatch(baseOffset: Int64, count: Int, leaderEpoch: Int32, timestamp: Int64 = 1_700_000_000_000) throws -> ByteBuffer {
    var builder = RecordBatchBuilder(baseOffset: baseOffset, partitionLeaderEpoch: leaderEpoch)
    for i in 0..<count { builder.append(timestamp: timestamp + Int64(i), key: nil, value: ByteBuffer(string: "s\(baseOffset + Int64(i))")) }
    return try builder.build()
}

func fileNames(_ dir: TempDir) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: dir.path + "/t-0").sorted()) ?? []
}

func fileText(_ dir: TempDir, _ name: String) throws -> String {
    try String(contentsOfFile: dir.path + "/t-0/" + name, encoding: .utf8)
}

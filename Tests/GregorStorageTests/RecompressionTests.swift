import KafkaProtocol
import NIOCore
import Testing

@testable import GregorStorage

/// What a record carries that recompression must keep.
private struct Kept: Equatable, CustomStringConvertible {
    var offset: Int64
    var timestamp: Int64
    var sequence: Int32
    var key: String?
    var value: String?
    var headers: [String]

    init(_ r: Record) {
        offset = r.offset
        timestamp = r.timestamp
        sequence = r.sequence
        key = r.key.map { String(buffer: $0) }
        value = r.value.map { String(buffer: $0) }
        headers = r.headers.map { "\($0.key)=\($0.value.map { String(buffer: $0) } ?? "<null>")" }
    }

    var description: String { "\(offset)@\(timestamp)#\(sequence) \(key ?? "<null>")=\(value ?? "<null>") \(headers)" }
}

/// The stored batches from `offset` on (one segment's worth).
private func stored(_ log: PartitionLog, from offset: Int64 = 0) throws -> [RecordBatch] {
    guard let region = try log.read(from: offset, maxBytes: 1 << 20).region else { return [] }
    var reader = RecordBatchReader(try region.read())
    var out: [RecordBatch] = []
    while let batch = try reader.next() { out.append(batch) }
    return out
}

/// Kafka's `compression.type` on the leader (LogValidator.validateMessagesAndAssignOffsetsCompressed
/// and buildRecordsAndAssignOffsets): rebuilt only when the topic's codec differs from the batch's.
@Suite struct RecompressionTests {
    let now: Int64 = 1_700_000_000_000

    /// A producer's batch with keys, null keys and values, headers and out-of-order timestamps.
    func producerBatch(
        _ codec: CompressionCodec, level: Int32? = nil, producerId: Int64 = -1, producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1, transactional: Bool = false, values: [String]? = nil
    ) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(
            compression: codec, compressionLevel: level, producerId: producerId, producerEpoch: producerEpoch,
            baseSequence: baseSequence, isTransactional: transactional)
        let values = values ?? ["alpha", "beta", "", "delta"]
        let timestamps: [Int64] = [now - 5, now + 10, now - 20, now]
        for (i, value) in values.enumerated() {
            let headers = i % 2 == 0
                ? [RecordHeader(key: "h\(i)", value: ByteBuffer(string: "hv\(i)")), RecordHeader(key: "empty", value: nil)]
                : []
            builder.append(
                timestamp: timestamps[i % timestamps.count],
                key: i == 1 ? nil : ByteBuffer(string: "key-\(i)"),
                value: i == 3 ? nil : ByteBuffer(string: value),
                headers: headers)
        }
        return try builder.build()
    }

    func config(_ compression: LogConfig.CompressionType) -> LogConfig {
        var c = LogConfig()
        c.compressionType = compression
        return c
    }

    /// How `log` refused `batch`; nil (recorded as an issue when it was not a validation
    /// refusal) if it did not refuse it that way.
    func refusal(of batch: ByteBuffer, by log: PartitionLog) -> RecordValidationError? {
        do {
            _ = try log.appendFromClient(batch, now: now)
            return nil
        } catch {
            guard case .rejected(let r) = error else {
                Issue.record("expected a rejection, got \(error)")
                return nil
            }
            return r
        }
    }

    /// The batch's records as the log would number them from `base`.
    private func kept(_ bytes: ByteBuffer, base: Int64) throws -> [Kept] {
        var batch = try RecordBatch(bytes)
        batch.baseOffset = base
        return try batch.records().map(Kept.init)
    }

    @Test func gzipBatchIsStoredAsLZ4WithEverythingElseKept() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: config(.codec(.lz4)), now: now)
        _ = try log.appendFromClient(makeBatch(count: 2, timestamp: now), now: now, leaderEpoch: 4)
        let sent = try producerBatch(.gzip, producerId: 42, producerEpoch: 3, baseSequence: 7, transactional: true)
        let result = try log.appendFromClient(sent, now: now, leaderEpoch: 4)
        #expect(result.firstOffset == 2 && result.lastOffset == 5 && result.recordCount == 4)
        #expect(result.logAppendTime == -1)

        let batches = try stored(log)
        #expect(batches.map(\.compression) == [.lz4, .lz4])
        let batch = try #require(batches.last)
        let original = try RecordBatch(sent)
        #expect(batch.verifyCRC())
        #expect(batch.baseOffset == 2 && batch.lastOffsetDelta == 3 && batch.recordCount == 4)
        #expect(batch.partitionLeaderEpoch == 4)
        #expect(batch.producerId == 42 && batch.producerEpoch == 3 && batch.baseSequence == 7)
        #expect(batch.isTransactional && !batch.isControl)
        #expect(batch.timestampType == .createTime)
        #expect(batch.baseTimestamp == original.baseTimestamp && batch.maxTimestamp == now + 10)
        #expect(try batch.records().map(Kept.init) == kept(sent, base: 2))
        #expect(try batch.records().map(\.sequence) == [7, 8, 9, 10])
    }

    @Test func uncompressedStoresRecordsPlain() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: config(.codec(.none)), now: now)
        let sent = try producerBatch(.zstd)
        _ = try log.appendFromClient(sent, now: now)
        let batch = try #require(try stored(log).first)
        #expect(batch.compression == .none)
        #expect(batch.verifyCRC())
        #expect(try batch.records().map(Kept.init) == kept(sent, base: 0))
    }

    @Test func uncompressedBatchIsCompressedWithTheTopicCodec() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: config(.codec(.snappy)), now: now)
        let sent = try producerBatch(.none)
        _ = try log.appendFromClient(sent, now: now)
        let batch = try #require(try stored(log).first)
        #expect(batch.compression == .snappy)
        #expect(try batch.records().map(Kept.init) == kept(sent, base: 0))
    }

    /// The bytes a leader leaves as the producer sent them: all but baseOffset and the epoch.
    private func unassigned(_ batch: ByteBuffer) -> ByteBuffer {
        batch.getSlice(at: batch.readerIndex + RecordBatch.Offset.magic, length: batch.readableBytes - RecordBatch.Offset.magic)!
    }

    @Test func producerKeepsEachBatchAsSent() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, config: config(.producer), now: now)
        let sent: [ByteBuffer] = [try producerBatch(.gzip), try producerBatch(.none), try producerBatch(.zstd, producerId: 9, producerEpoch: 0, baseSequence: 0)]
        for batch in sent { _ = try log.appendFromClient(batch, now: now) }
        let batches = try stored(log)
        #expect(batches.map(\.compression) == [.gzip, .none, .zstd])
        #expect(batches.map { unassigned($0.buffer) } == sent.map(unassigned))
    }

    @Test func sameCodecIsNotRecompressedWhateverTheLevel() throws {
        // Kafka compares codecs only: a batch already in the topic's codec keeps its bytes even
        // when the topic's level differs from the producer's.
        let dir = TempDir()
        var c = config(.codec(.gzip))
        c.compressionGzipLevel = 9
        let (log, _) = try openLog(dir, config: c, now: now)
        let sent = try producerBatch(.gzip, level: 1, values: (0..<4).map { "value \($0) " + String(repeating: "abcab", count: 300) })
        _ = try log.appendFromClient(sent, now: now)
        let batch = try #require(try stored(log).first)
        #expect(unassigned(batch.buffer) == unassigned(sent))
    }

    @Test func theTopicLevelIsUsed() throws {
        let values = (0..<8).map { i in "record \(i): " + (0..<200).map { "\(($0 * 7919 + i) % 97)" }.joined(separator: ",") }
        let sent = try producerBatch(.none, values: values)
        let fastest = try RecordBatch(try producerBatch(.gzip, level: 1, values: values)).recordsSection
        let byDefault = try RecordBatch(try producerBatch(.gzip, values: values)).recordsSection
        // Otherwise the test could not tell the levels apart.
        try #require(fastest != byDefault)

        let dir = TempDir()
        var c = config(.codec(.gzip))
        c.compressionGzipLevel = 1
        let (log, _) = try openLog(dir, config: c, now: now)
        _ = try log.appendFromClient(sent, now: now)
        let batch = try #require(try stored(log).first)
        #expect(batch.compression == .gzip)
        #expect(batch.recordsSection == fastest)
    }

    @Test func logAppendTimeIsStampedOnTheRebuiltBatch() throws {
        let dir = TempDir()
        var c = config(.codec(.lz4))
        c.logAppendTime = true
        let (log, _) = try openLog(dir, config: c, now: now)
        let result = try log.appendFromClient(try producerBatch(.gzip), now: now + 1234)
        #expect(result.logAppendTime == now + 1234)
        let batch = try #require(try stored(log).first)
        #expect(batch.compression == .lz4 && batch.verifyCRC())
        #expect(batch.timestampType == .logAppendTime && batch.maxTimestamp == now + 1234)
        #expect(try batch.records().map(\.timestamp) == Array(repeating: now + 1234, count: 4))
    }

    @Test func aRebuiltBatchOverMaxMessageBytesIsTooLarge() throws {
        let dir = TempDir()
        var c = config(.codec(.none))
        c.maxMessageBytes = 2000
        let (log, _) = try openLog(dir, config: c, now: now)
        let sent = try producerBatch(.gzip, values: (0..<4).map { _ in String(repeating: "x", count: 1000) })
        try #require(sent.readableBytes < 2000)
        do {
            _ = try log.appendFromClient(sent, now: now)
            Issue.record("a batch of over 3000 bytes uncompressed was appended under max.message.bytes 2000")
        } catch {
            guard case .storage(let e) = error, case .recordTooLarge(let size, 2000) = e.kind else {
                Issue.record("expected recordTooLarge, got \(error)")
                return
            }
            #expect(size > 3000)
            #expect(e.errorCode == .messageTooLarge)
        }
        #expect(log.logEndOffset == 0)
    }

    @Test func validationStillRefusesBeforeRecompressing() throws {
        let dir = TempDir()
        var c = config(.codec(.zstd))
        c.cleanupPolicy = [.compact]
        let (log, _) = try openLog(dir, config: c, now: now)
        // Record 1 has no key.
        let r = try #require(refusal(of: try producerBatch(.gzip), by: log), "a keyless record was appended to a compacted topic")
        #expect(r.code == .invalidRecord && r.recordErrors.map(\.batchIndex) == [1])
        #expect(log.logEndOffset == 0)
    }

    /// The checks run on the records the rebuild reads (one decompression) and answer as the
    /// scan does when the batch is stored as sent.
    @Test func aRebuildRefusesTimestampsAsTheStoredAsSentPathDoes() throws {
        var answers: [String] = []
        for topicCodec in [CompressionCodec.gzip, .zstd] {
            let dir = TempDir()
            var c = config(.codec(topicCodec))
            c.messageTimestampAfterMaxMs = 5  // record 1 is 10 ms ahead of the broker
            let (log, _) = try openLog(dir, config: c, now: now)
            let r = try #require(refusal(of: try producerBatch(.gzip), by: log), "a record 10 ms ahead was appended (topic codec \(topicCodec))")
            #expect(r.code == .invalidTimestamp && r.recordErrors.map(\.batchIndex) == [1])
            answers.append(r.recordErrors.map(\.message).joined(separator: "|"))
            #expect(log.logEndOffset == 0)
        }
        #expect(answers.count == 2 && answers[0] == answers[1] && answers[0].contains("of message with offset 1 is out of range"))
    }
}

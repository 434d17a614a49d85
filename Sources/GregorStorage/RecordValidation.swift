import KafkaProtocol
import NIOCore

/// Records a leader refuses from a client, as Kafka's `LogValidator` and
/// `UnifiedLog.analyzeAndValidateRecords` do; nothing of the request is appended.
public struct RecordValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The Kafka error the partition answers with.
    public enum Code: Hashable, Sendable {
        case invalidRecord
        case invalidTimestamp

        public var errorCode: ErrorCode { self == .invalidRecord ? .invalidRecord : .invalidTimestamp }
    }

    /// One offending record: its index in the batch and why (KIP-467).
    public struct RecordError: Hashable, Sendable, CustomStringConvertible {
        public var batchIndex: Int32
        public var message: String

        public init(batchIndex: Int32, message: String) {
            self.batchIndex = batchIndex
            self.message = message
        }

        /// Kafka's `ProduceResponse.RecordError.toString`, which its summary message embeds.
        public var description: String { "RecordError(batchIndex=\(batchIndex), message='\(message)')" }
    }

    public var code: Code
    public var message: String
    /// Per-record errors; empty when the whole batch was refused (Kafka then sends no error message).
    public var recordErrors: [RecordError]

    public init(_ code: Code, _ message: String, recordErrors: [RecordError] = []) {
        self.code = code
        self.message = message
        self.recordErrors = recordErrors
    }

    public var description: String { message }
}

/// Why a client append failed: the log's own failure, or records the validator refused.
public enum ClientAppendError: Error, Hashable, Sendable {
    case storage(StorageError)
    case rejected(RecordValidationError)
    /// An idempotent producer's batch out of sequence or of a fenced epoch.
    case producerState(ProducerStateError)
}

/// The leader's checks on a client's v2 batches before offsets are assigned, and the rebuild
/// into the topic's `compression.type` when it differs from the producer's codec.
struct ClientRecordValidator {
    let partition: TopicPartition
    let config: LogConfig
    let now: Int64

    /// What validation leaves for the append.
    struct Validated {
        /// The batch rebuilt with the topic's codec, or nil to append the records as sent.
        var rebuilt: ByteBuffer?
        /// Every batch's CRC was checked here (or the batch was rebuilt), so the append need
        /// not compute it again: a quarter of the broker's produce time at 1 KiB records.
        var crcVerified: Bool
    }

    /// Throws the first refusal. Framing, size and CRC failures are left to the append, which
    /// reports them as Kafka does (CORRUPT_MESSAGE, MESSAGE_TOO_LARGE).
    func validate(_ records: ByteBuffer) throws(ClientAppendError) -> Validated {
        let unchecked = Validated(rebuilt: nil, crcVerified: false)
        var reader = RecordBatchReader(records, maxBatchSize: max(config.maxMessageBytes, RecordBatch.headerSize))
        var batches: [RecordBatch] = []
        while true {
            let batch: RecordBatch
            do {
                guard let b = try reader.next() else { break }
                batch = b
            } catch {
                return unchecked
            }
            // analyzeAndValidateRecords: a client's v2 batch starts at offset 0.
            guard batch.baseOffset == 0 else {
                throw .rejected(RecordValidationError(
                    .invalidRecord,
                    "The baseOffset of the record batch in the append to \(partition) should be 0, but it is \(batch.baseOffset)"))
            }
            guard batch.verifyCRC() else { return unchecked }
            batches.append(batch)
        }
        guard let batch = batches.first else { return unchecked }
        guard batches.count == 1 else {
            throw .rejected(RecordValidationError(.invalidRecord, "Compressed outer record has more than one batch"))
        }
        try validateBatch(batch)
        // LogValidator: the records are rebuilt only when the codec changes; with 'producer' (or
        // the producer's own codec) the batch is stored as sent.
        let target = config.targetCompression(source: batch.compression)
        let rebuild = target.codec != batch.compression
        // A rebuild reads the records anyway: they are checked from that one decompression.
        let records = rebuild ? try readRecords(batch) : nil
        try validateRecords(batch, built: records)
        guard let records else { return Validated(rebuilt: nil, crcVerified: true) }
        return Validated(rebuilt: try self.rebuild(batch, records: records, codec: target.codec, level: target.level), crcVerified: true)
    }

    /// LogValidator.buildRecordsAndAssignOffsets: a new batch with the target codec and level,
    /// keeping the producer id, epoch and base sequence, the transactional flag, each record's
    /// timestamp, key, value and headers. As in Kafka the inner offsets become consecutive and,
    /// under LogAppendTime, the batch carries the broker's time; the append then assigns the base
    /// offset and leader epoch (outside the CRC), and the builder computes the CRC.
    private func rebuild(_ batch: RecordBatch, records: [Record], codec: CompressionCodec, level: Int32?)
        throws(ClientAppendError) -> ByteBuffer
    {
        var builder = RecordBatchBuilder(
            baseOffset: batch.baseOffset, compression: codec, compressionLevel: level,
            producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence,
            isTransactional: batch.isTransactional, partitionLeaderEpoch: batch.partitionLeaderEpoch,
            logAppendTime: config.logAppendTime ? now : nil)
        for (index, record) in records.enumerated() {
            builder.append(
                offsetDelta: Int32(index), timestamp: record.timestamp, key: record.key, value: record.value, headers: record.headers)
        }
        do {
            return try builder.build()
        } catch {
            throw .storage(StorageError(.invalid("recompressing to \(codec) failed: \(error)")))
        }
    }

    private func readRecords(_ batch: RecordBatch) throws(ClientAppendError) -> [Record] {
        do {
            return try batch.records()
        } catch {
            throw .rejected(RecordValidationError(.invalidRecord, "Invalid record in topic partition \(partition): \(error)"))
        }
    }

    /// LogValidator.validateBatch for a client's v2 batch.
    private func validateBatch(_ batch: RecordBatch) throws(ClientAppendError) {
        func refuse(_ message: String) -> ClientAppendError {
            .rejected(RecordValidationError(.invalidRecord, message + " in topic partition \(partition)"))
        }
        let countFromOffsets = Int64(batch.lastOffsetDelta) + 1
        let range = "[\(batch.baseOffset), \(batch.lastOffset)]"
        if countFromOffsets <= 0 { throw refuse("Batch has an invalid offset range: \(range)") }
        if batch.recordCount <= 0 { throw refuse("Invalid reported count for record batch: \(batch.recordCount)") }
        if countFromOffsets != Int64(batch.recordCount) {
            throw refuse("Inconsistent batch offset range \(range) and count of records \(batch.recordCount)")
        }
        if batch.isControl { throw refuse("Clients are not allowed to write control records") }
        if batch.producerId >= 0 && batch.baseSequence < 0 {
            throw refuse("Invalid sequence number \(batch.baseSequence) in record batch with producerId \(batch.producerId)")
        }
    }

    /// LogValidator.validateRecord for magic 2: keys on compacted topics, then timestamps. Kafka
    /// reads every record; Gregor reads (and decompresses) them only when some record could fail.
    /// The records are scanned, not built (`scanRecords`), unless a rebuild has already read
    /// them (`built`).
    private func validateRecords(_ batch: RecordBatch, built: [Record]?) throws(ClientAppendError) {
        let compacted = config.cleanupPolicy.contains(.compact)
        let createTime = !config.logAppendTime
        let before = config.messageTimestampBeforeMaxMs
        let after = config.messageTimestampAfterMaxMs
        let boundedTimestamps = createTime && (before != Int64.max || after != Int64.max)
        guard compacted || boundedTimestamps || batch.timestampType == .logAppendTime else { return }

        var errors: [RecordValidationError.RecordError] = []
        var anyTimestampError = false
        var index: Int32 = 0
        func check(offset: Int64, timestamp: Int64, keyLength: Int, valueLength: Int) {
            defer { index += 1 }
            if compacted && keyLength < 0 {
                errors.append(.init(
                    batchIndex: index, message: "Compacted topic cannot accept message without key in topic partition \(partition)"))
                return
            }
            if createTime && timestamp != -1 {
                // Java's long arithmetic, overflow included.
                let diff = now &- timestamp
                if diff > before || (0 &- diff) > after {
                    anyTimestampError = true
                    errors.append(.init(
                        batchIndex: index,
                        message: "Timestamp \(timestamp) of message with offset \(offset) is out of range. "
                            + "The timestamp should be within [\(now &- before), \(now &+ after)]"))
                }
            } else if batch.timestampType == .logAppendTime {
                anyTimestampError = true
                let description = "DefaultRecord(offset=\(offset), timestamp=\(timestamp), "
                    + "key=\(max(keyLength, 0)) bytes, value=\(max(valueLength, 0)) bytes)"
                errors.append(.init(
                    batchIndex: index,
                    message: "Invalid timestamp type in message \(description). Producer should not set timestamp type to LogAppendTime."))
            }
        }
        if let built {
            for r in built {
                check(offset: r.offset, timestamp: r.timestamp, keyLength: r.key?.readableBytes ?? -1, valueLength: r.value?.readableBytes ?? -1)
            }
        } else {
            do {
                try batch.scanRecords { check(offset: $0.offset, timestamp: $0.timestamp, keyLength: $0.keyLength, valueLength: $0.valueLength) }
            } catch {
                throw .rejected(RecordValidationError(.invalidRecord, "Invalid record in topic partition \(partition): \(error)"))
            }
        }
        guard !errors.isEmpty else { return }
        // LogValidator.processRecordErrors.
        if anyTimestampError {
            throw .rejected(RecordValidationError(
                .invalidTimestamp, "One or more records have been rejected due to invalid timestamp", recordErrors: errors))
        }
        let shown = "[" + errors.prefix(3).map(\.description).joined(separator: ", ") + "]"
        throw .rejected(RecordValidationError(
            .invalidRecord,
            "One or more records have been rejected due to \(errors.count) record errors in total, and only showing the first three errors at most: \(shown)",
            recordErrors: errors))
    }
}

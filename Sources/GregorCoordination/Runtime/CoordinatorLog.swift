import GregorStorage
import KafkaProtocol
import Logging
import NIOCore

/// Where a ``CoordinatorRuntime`` reads and writes its internal topic's partitions. The broker
/// passes ``StorageCoordinatorLog``; tests pass one that fails on demand.
public protocol CoordinatorLog: Sendable {
    /// Calls `body` with every batch of the partition, in order, from the log start to its end
    /// when the call began; nothing for a partition that does not exist yet.
    func forEachBatch(_ partition: TopicPartition, _ body: (CoordinatorBatch) throws -> Void) throws
    /// Appends `records` as one batch stamped `now`, creating the partition on first use;
    /// returns the offset of the first. With `producer` the batch is transactional (a
    /// TxnOffsetCommit's offsets, applied once the transaction's marker is written).
    func append(_ partition: TopicPartition, _ records: [CoordinatorRecordBytes], now: Int64, producer: CoordinatorProducer?) throws -> Int64
    /// Appends a transaction's commit or abort marker; returns its offset.
    func appendMarker(_ partition: TopicPartition, _ producer: CoordinatorProducer, committed: Bool, coordinatorEpoch: Int32, now: Int64)
        throws -> Int64
    /// Returns once the partition's in-sync replicas hold everything below `offset`: a
    /// coordinator answers only writes that survive a failover (Kafka's CoordinatorRuntime
    /// completes a write when the high watermark passes it). Throws when this broker stops
    /// leading the partition first.
    func awaitReplicated(_ partition: TopicPartition, upTo offset: Int64) async throws(CoordinatorError)
}

extension CoordinatorLog {
    /// A log with no replicas: everything written is as replicated as it gets.
    public func awaitReplicated(_ partition: TopicPartition, upTo offset: Int64) async throws(CoordinatorError) {}

    /// Appends non-transactional records.
    public func append(_ partition: TopicPartition, _ records: [CoordinatorRecordBytes], now: Int64) throws -> Int64 {
        try append(partition, records, now: now, producer: nil)
    }
}

/// The transactional producer a coordinator writes records for (KIP-98).
public struct CoordinatorProducer: Sendable, Hashable {
    public var id: Int64
    public var epoch: Int16
    /// What the write's check with the transaction coordinator gave (KIP-890); nil when
    /// partitions do not verify.
    public var verification: VerificationGuard?

    public init(id: Int64, epoch: Int16, verification: VerificationGuard? = nil) {
        self.id = id
        self.epoch = epoch
        self.verification = verification
    }
}

/// One batch of an internal topic, decoded for replay.
public struct CoordinatorBatch: Sendable {
    public var baseOffset: Int64
    /// -1 unless a transactional producer wrote it.
    public var producerId: Int64
    public var producerEpoch: Int16
    public var isTransactional: Bool
    /// A transaction marker: `records` is empty and `committed` says which.
    public var isControl: Bool
    public var committed: Bool
    /// Each record's offset, key and value. A record without a key is left out (and counted in
    /// `unreadable`): no coordinator writes one.
    public var records: [(offset: Int64, bytes: CoordinatorRecordBytes)]
    public var unreadable: Int

    public init(
        baseOffset: Int64, producerId: Int64, producerEpoch: Int16, isTransactional: Bool, isControl: Bool, committed: Bool,
        records: [(offset: Int64, bytes: CoordinatorRecordBytes)], unreadable: Int
    ) {
        self.baseOffset = baseOffset
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.isTransactional = isTransactional
        self.isControl = isControl
        self.committed = committed
        self.records = records
        self.unreadable = unreadable
    }
}

/// The internal topic's partitions in the broker's ``LogManager``, written as Kafka's
/// coordinators write them: non-transactional, uncompressed batches (`offsets.topic.compression.codec`
/// defaults to none) stamped with the coordinator's clock.
public struct StorageCoordinatorLog: CoordinatorLog {
    let logManager: LogManager
    let config: LogConfig
    let logger: Logger
    /// Runs before the first append to a partition that does not exist yet: the broker creates
    /// the internal topic's metadata there.
    let prepare: (@Sendable () throws -> Void)?
    /// In a cluster, how the broker replicates: the leader epoch to stamp into each batch, and
    /// the wait for the in-sync replicas.
    let replication: CoordinatorReplication?

    /// Bytes read per step of a load.
    static let loadChunkBytes = 1 << 20

    public init(logManager: LogManager, config: LogConfig, logger: Logger, replication: CoordinatorReplication? = nil,
                prepare: (@Sendable () throws -> Void)? = nil) {
        self.logManager = logManager
        self.config = config
        self.logger = logger
        self.replication = replication
        self.prepare = prepare
    }

    public func awaitReplicated(_ partition: TopicPartition, upTo offset: Int64) async throws(CoordinatorError) {
        try await replication?.awaitReplicated(partition, offset)
    }

    public func forEachBatch(_ partition: TopicPartition, _ body: (CoordinatorBatch) throws -> Void) throws {
        guard let log = logManager.log(partition) else { return }
        let end = log.logEndOffset
        var next = log.logStartOffset
        while next < end {
            let result = try log.read(from: next, maxBytes: Self.loadChunkBytes, maxOffset: end)
            guard let region = result.region else { break }
            var reader = RecordBatchReader(try region.read(), allowPartialTrailingBatch: true)
            var progressed = false
            while let batch = try reader.next() {
                progressed = true
                next = batch.nextOffset
                try body(decode(batch, partition))
            }
            // A region always holds at least one whole batch; guard against looping anyway.
            guard progressed else { break }
        }
    }

    func decode(_ batch: RecordBatch, _ partition: TopicPartition) -> CoordinatorBatch {
        var out = CoordinatorBatch(
            baseOffset: batch.baseOffset, producerId: batch.producerId, producerEpoch: batch.producerEpoch,
            isTransactional: batch.isTransactional, isControl: batch.isControl, committed: false, records: [], unreadable: 0)
        do {
            var records = try batch.makeRecordIterator()
            while let record = try records.next() {
                if batch.isControl {
                    out.committed = try record.key.map { key throws(RecordsError) in try ControlRecordType(key: key) } == .commit
                } else if let key = record.key {
                    out.records.append((record.offset, CoordinatorRecordBytes(key: key, value: record.value)))
                } else {
                    out.unreadable += 1
                }
            }
        } catch {
            out.unreadable = Int(batch.recordCount) - out.records.count
            logger.warning("unreadable batch in an internal topic", metadata: [
                "partition": "\(partition)", "offset": "\(batch.baseOffset)", "error": "\(error)",
            ])
        }
        return out
    }

    public func append(_ partition: TopicPartition, _ records: [CoordinatorRecordBytes], now: Int64, producer: CoordinatorProducer?)
        throws -> Int64
    {
        let log = try self.log(partition)
        // Kafka's coordinators write transactional records without a sequence.
        var builder = RecordBatchBuilder(producerId: producer?.id ?? -1, producerEpoch: producer?.epoch ?? -1, isTransactional: producer != nil)
        for r in records { builder.append(timestamp: now, key: r.key, value: r.value) }
        let epoch = replication?.leaderEpoch(partition) ?? 0
        guard let producer else { return try log.append(try builder.build(), now: now, leaderEpoch: epoch).firstOffset }
        return try log.appendTransactional(
            try builder.build(), producerId: producer.id, epoch: producer.epoch, verification: producer.verification, now: now,
            leaderEpoch: epoch).firstOffset
    }

    public func appendMarker(_ partition: TopicPartition, _ producer: CoordinatorProducer, committed: Bool, coordinatorEpoch: Int32, now: Int64)
        throws -> Int64
    {
        try log(partition).appendMarker(
            producerId: producer.id, producerEpoch: producer.epoch, committed: committed, coordinatorEpoch: coordinatorEpoch, now: now,
            leaderEpoch: replication?.leaderEpoch(partition) ?? 0)
    }

    func log(_ partition: TopicPartition) throws -> PartitionLog {
        if logManager.log(partition) == nil { try prepare?() }
        return try logManager.log(partition) ?? logManager.getOrCreate(partition, config: config)
    }
}

/// A coordinator's internal partition as a replicated partition's leader sees it.
public struct CoordinatorReplication: Sendable {
    /// The epoch this broker leads the partition at.
    public var leaderEpoch: @Sendable (TopicPartition) -> Int32
    /// Returns once the in-sync replicas hold everything below the offset; throws when the
    /// leadership is lost first.
    public var awaitReplicated: @Sendable (TopicPartition, Int64) async throws(CoordinatorError) -> Void

    public init(leaderEpoch: @escaping @Sendable (TopicPartition) -> Int32,
                awaitReplicated: @escaping @Sendable (TopicPartition, Int64) async throws(CoordinatorError) -> Void) {
        self.leaderEpoch = leaderEpoch
        self.awaitReplicated = awaitReplicated
    }
}

import GregorStorage
import KafkaProtocol
import NIOCore

/// What `load` found.
public struct OffsetLoadReport: Hashable, Sendable {
    /// Partitions of `__consumer_offsets` that exist on disk.
    public var partitions = 0
    public var batches = 0
    public var records = 0
    /// Offsets in memory afterwards.
    public var offsets = 0
    /// Classic groups with a GroupMetadata value afterwards.
    public var groups = 0
    /// Records of other types (consumer and share group records), control and
    /// transactional batches: skipped.
    public var skipped = 0
    /// Records that could not be decoded: skipped with a warning.
    public var unreadable = 0
    public var elapsedNanoseconds: UInt64 = 0
}

extension OffsetStore {
    /// Bytes read per step of the replay.
    static let loadChunkBytes = 1 << 20

    /// Replays every existing partition of `__consumer_offsets` into memory at startup, after
    /// `LogManager.startup`: last value wins, a tombstone removes, for offsets and for classic
    /// groups' GroupMetadata (Kafka's `GroupMetadataManager.replay`). Partitions that do not exist
    /// yet cost nothing (they are created by the first append to them).
    ///
    /// Kafka's `CoordinatorLoaderImpl` fails a partition's load on an undecodable record; Gregor
    /// skips it with a warning instead, so one bad record does not keep the broker from starting.
    /// Transactional offset commits are not written by Gregor yet: transactional and control
    /// batches are skipped.
    @discardableResult
    public func load() throws(OffsetStoreError) -> OffsetLoadReport {
        let start = ContinuousClock.now
        var report = OffsetLoadReport()
        for shard in shards {
            guard let log = logManager.log(shard.topicPartition) else { continue }
            report.partitions += 1
            var loaded = Loaded()
            do throws(StorageError) {
                try replay(log, into: &loaded, report: &report)
            } catch {
                throw OffsetStoreError(.storage(error))
            }
            report.offsets += loaded.offsets.values.reduce(0) { $0 + $1.count }
            report.groups += loaded.groups.count
            shard.state.withLock { s in
                s.log = log
                s.offsets = loaded.offsets
                s.groups = loaded.groups
            }
        }
        let elapsed = ContinuousClock.now - start
        report.elapsedNanoseconds = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        logger.info("loaded committed offsets", metadata: [
            "partitions": "\(report.partitions)", "records": "\(report.records)", "offsets": "\(report.offsets)",
            "ms": "\(report.elapsedNanoseconds / 1_000_000)",
        ])
        return report
    }

    /// One shard's state as the replay rebuilds it.
    private struct Loaded {
        var offsets: [String: [TopicPartition: CommittedOffset]] = [:]
        var groups: [String: GroupMetadataSnapshot] = [:]
    }

    private func replay(_ log: PartitionLog, into loaded: inout Loaded,
                        report: inout OffsetLoadReport) throws(StorageError)
    {
        let end = log.logEndOffset
        var next = log.logStartOffset
        while next < end {
            let result = try log.read(from: next, maxBytes: Self.loadChunkBytes, maxOffset: end)
            guard let region = result.region else { break }
            let bytes = try region.read()
            var reader = RecordBatchReader(bytes, allowPartialTrailingBatch: true)
            var progressed = false
            while true {
                let batch: RecordBatch
                do {
                    guard let b = try reader.next() else { break }
                    batch = b
                } catch {
                    throw StorageError(.corruptRecord("\(error)"), path: log.directory)
                }
                progressed = true
                next = batch.nextOffset
                report.batches += 1
                if batch.isControl || batch.isTransactional {
                    report.skipped += Int(batch.recordCount)
                    continue
                }
                apply(batch, to: &loaded, report: &report, log: log)
            }
            // A region always holds at least one whole batch; guard against looping anyway.
            guard progressed else { break }
        }
    }

    private func apply(_ batch: RecordBatch, to loaded: inout Loaded,
                       report: inout OffsetLoadReport, log: PartitionLog)
    {
        var records: RecordIterator
        do {
            records = try batch.makeRecordIterator()
        } catch {
            report.unreadable += Int(batch.recordCount)
            logger.warning("unreadable batch in offsets topic", metadata: ["partition": "\(log.topicPartition)", "offset": "\(batch.baseOffset)", "error": "\(error)"])
            return
        }
        while true {
            let record: Record
            do {
                guard let r = try records.next() else { return }
                record = r
            } catch {
                report.unreadable += records.remainingCount + 1
                logger.warning("unreadable record in offsets topic", metadata: ["partition": "\(log.topicPartition)", "error": "\(error)"])
                return
            }
            report.records += 1
            guard let key = record.key else {
                report.unreadable += 1
                continue
            }
            do throws(OffsetRecordError) {
                switch try OffsetRecords.decodeKey(key) {
                case .offsetCommit(let group, let tp):
                    if let value = record.value {
                        loaded.offsets[group, default: [:]][tp] = try OffsetRecords.decodeOffsetCommitValue(value)
                    } else if loaded.offsets[group]?.removeValue(forKey: tp) != nil, loaded.offsets[group]?.isEmpty == true {
                        loaded.offsets[group] = nil
                    }
                case .groupMetadata(let group):
                    loaded.groups[group] = try record.value.map { v throws(OffsetRecordError) in
                        try OffsetRecords.decodeGroupMetadataValue(v, group: group)
                    }
                case .other:
                    report.skipped += 1
                }
            } catch {
                report.unreadable += 1
                logger.warning("unreadable record in offsets topic", metadata: [
                    "partition": "\(log.topicPartition)", "offset": "\(record.offset)", "error": "\(error)",
                ])
            }
        }
    }
}

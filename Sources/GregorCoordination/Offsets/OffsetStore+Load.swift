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
    /// Records of other types (consumer and share group records): skipped.
    public var skipped = 0
    /// Records that could not be decoded: skipped with a warning.
    public var unreadable = 0
    public var elapsedNanoseconds: UInt64 = 0
}

extension OffsetStore {
    /// Loads every partition of `__consumer_offsets` onto the runtime at startup, after
    /// `LogManager.startup`: a one-node broker coordinates them all. Partitions that do not
    /// exist yet cost nothing (they are created by the first append to them).
    ///
    /// Kafka's `CoordinatorLoaderImpl` fails a partition's load on an undecodable record; Gregor
    /// skips it with a warning instead, so one bad record does not keep the broker from starting.
    @discardableResult
    public func load() throws(OffsetStoreError) -> OffsetLoadReport {
        let start = ContinuousClock.now
        var report = OffsetLoadReport()
        for partition in 0..<config.numPartitions {
            if logManager.log(TopicPartition(OffsetStoreConfig.topic, partition)) != nil { report.partitions += 1 }
            let loaded: CoordinatorLoadReport?
            do throws(CoordinatorError) {
                loaded = try runtime.loadNow(partition)
            } catch {
                throw OffsetStoreError(.coordinator(error))
            }
            guard let loaded else { continue }
            report.batches += loaded.batches
            report.records += loaded.records + loaded.skipped + loaded.unreadable
            report.skipped += loaded.skipped
            report.unreadable += loaded.unreadable
            let (offsets, groups) = (try? runtime.read(partition) { ($0.offsets.values.reduce(0) { $0 + $1.count }, $0.snapshots.count) }) ?? (0, 0)
            report.offsets += offsets
            report.groups += groups
        }
        let elapsed = ContinuousClock.now - start
        report.elapsedNanoseconds = UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000)
        logger.info("loaded committed offsets", metadata: [
            "partitions": "\(report.partitions)", "records": "\(report.records)", "offsets": "\(report.offsets)",
            "ms": "\(report.elapsedNanoseconds / 1_000_000)",
        ])
        return report
    }
}

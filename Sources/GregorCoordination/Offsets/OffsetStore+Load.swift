import GregorStorage
import KafkaProtocol
import NIOCore

/// What `load` found.
public struct OffsetLoadReport: Hashable, Sendable {
    /// Partitions of `__consumer_offsets` that exist on disk.
    public var partitions = 0
    /// What the runtime replayed, summed over the partitions.
    public var replayed = CoordinatorLoadReport()
    /// Offsets in memory afterwards.
    public var offsets = 0
    /// Classic groups with a GroupMetadata value afterwards.
    public var groups = 0
    public var elapsedNanoseconds: UInt64 = 0

    public var batches: Int { replayed.batches }
    /// Every record read, kept or not.
    public var records: Int { replayed.records + replayed.skipped + replayed.unreadable }
    /// Records of other types (share group records): skipped.
    public var skipped: Int { replayed.skipped }
    /// Records that could not be decoded: skipped with a warning.
    public var unreadable: Int { replayed.unreadable }
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
            report.replayed.add(loaded)
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

import GregorStorage
import KafkaProtocol
import Logging

/// What a shard's load found.
public struct CoordinatorLoadReport: Hashable, Sendable {
    public var batches = 0
    /// Records replayed.
    public var records = 0
    /// Records of types the shard does not keep.
    public var skipped = 0
    /// Records that could not be decoded: skipped with a warning.
    public var unreadable = 0
    /// Transaction markers replayed.
    public var markers = 0
    public var elapsedMs: Int64 = 0

    public init() {}

    /// Adds another partition's counts (the elapsed times too).
    public mutating func add(_ other: CoordinatorLoadReport) {
        batches += other.batches
        records += other.records
        skipped += other.skipped
        unreadable += other.unreadable
        markers += other.markers
        elapsedMs += other.elapsedMs
    }
}

extension CoordinatorRuntime {
    /// Makes this broker the coordinator of `partition` (Kafka's `scheduleLoadOperation`, when
    /// the broker becomes the partition's leader): replays its records into a fresh shard, then
    /// serves it. Operations meanwhile get ``CoordinatorError/loadInProgress``. Loading a
    /// partition already loaded does nothing and reports nothing.
    ///
    /// Kafka's loader fails the load on a record it cannot read; Gregor skips it with a warning,
    /// so one bad record does not keep a group from its coordinator. A storage error fails the
    /// load: the partition is not coordinated here (NOT_COORDINATOR) until loaded again.
    @discardableResult
    public func load(_ partition: Int32) async throws(CoordinatorError) -> CoordinatorLoadReport? {
        try await onExecutor { () throws(CoordinatorError) in try self.loadNow(partition) }
    }

    /// ``load(_:)`` on the calling thread (the broker's startup).
    @discardableResult
    public func loadNow(_ partition: Int32) throws(CoordinatorError) -> CoordinatorLoadReport? {
        let slot = Slot(partition: TopicPartition(topic, partition), shard: makeShard(partition))
        let fresh = slots.withLock { slots -> Bool in
            guard slots[partition] == nil else { return false }
            slots[partition] = slot
            return true
        }
        guard fresh else { return nil }
        let started = ContinuousClock.now
        let shard: Shard
        var report: CoordinatorLoadReport
        do throws(CoordinatorError) {
            (shard, report) = try replayAll(slot)
        } catch {
            slots.withLock { if $0[partition] === slot { $0[partition] = nil } }
            throw error
        }
        let elapsed = ContinuousClock.now - started
        report.elapsedMs = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        slot.state.withLock { state in
            guard !state.unloaded else { return }
            state.shard = shard
            state.loading = false
            Self.apply(state.shard.loaded(now: clock.now()), to: &state.timers)
            rearm(slot, &state)
        }
        if report.records > 0 {
            logger.info("coordinator partition loaded", metadata: [
                "partition": "\(slot.partition)", "records": "\(report.records)", "ms": "\(report.elapsedMs)",
            ])
        }
        return report
    }

    /// Every record of the partition replayed into a fresh shard, off the slot's lock.
    func replayAll(_ slot: Slot) throws(CoordinatorError) -> (Shard, CoordinatorLoadReport) {
        var shard = makeShard(slot.partition.partition)
        var report = CoordinatorLoadReport()
        do {
            try log.forEachBatch(slot.partition) { batch in
                report.batches += 1
                report.unreadable += batch.unreadable
                if batch.isControl {
                    report.markers += 1
                    shard.replayEndTransaction(producerId: batch.producerId, producerEpoch: batch.producerEpoch, committed: batch.committed)
                    return
                }
                let producer = batch.isTransactional ? (batch.producerId, batch.producerEpoch) : (-1, -1)
                for (offset, bytes) in batch.records {
                    do {
                        guard let record = try Shard.decode(bytes) else {
                            report.skipped += 1
                            continue
                        }
                        shard.replay(record, offset: offset, producerId: producer.0, producerEpoch: producer.1)
                        report.records += 1
                    } catch {
                        report.unreadable += 1
                        logger.warning("unreadable record skipped", metadata: [
                            "partition": "\(slot.partition)", "offset": "\(offset)", "error": "\(error)",
                        ])
                    }
                }
            }
        } catch {
            logger.error("coordinator load failed", metadata: ["partition": "\(slot.partition)", "error": "\(error)"])
            throw .failed(error)
        }
        return (shard, report)
    }

    /// Stops coordinating `partition` (Kafka's `scheduleUnloadOperation`): its timers stop, the
    /// shard tells waiting requests (``CoordinatorShard/unloaded()``) and later operations get
    /// ``CoordinatorError/notCoordinator``. Its records stay in the log for the next load.
    public func unload(_ partition: Int32) {
        guard let slot = slots.withLock({ $0.removeValue(forKey: partition) }) else { return }
        let events = slot.state.withLock { state -> [Shard.Event] in
            state.unloaded = true
            state.timerTask?.task.cancel()
            state.timerTask = nil
            state.timers = [:]
            return state.loading ? [] : state.shard.unloaded()
        }
        if !events.isEmpty { deliver(events) }
    }

    /// Unloads every partition (the broker is stopping).
    public func unloadAll() {
        for partition in partitions { unload(partition) }
    }
}

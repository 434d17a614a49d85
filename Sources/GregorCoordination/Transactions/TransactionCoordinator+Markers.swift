import GregorStorage
import KafkaProtocol

extension TransactionCoordinator {
    /// The shard's events: each prepared transaction gets its markers written, then completed.
    func handle(_ events: [TransactionShard.Event]) {
        for event in events {
            guard case .writeMarkers(let id, let producerId, let epoch, let committed, let coordinatorEpoch, let partitions) = event else { continue }
            let key = nextTask.add(1, ordering: .relaxed).newValue
            let task = Task(executorPreference: executor) { [self] in
                await writeMarkers(
                    transactionalId: id, producer: CoordinatorProducer(id: producerId, epoch: epoch), committed: committed,
                    coordinatorEpoch: coordinatorEpoch, partitions: partitions)
                _ = inFlight.withLock { $0.removeValue(forKey: key) }
            }
            inFlight.withLock { $0[key] = task }
        }
    }

    /// Writes the markers, retrying a partition that cannot take one yet, then writes
    /// CompleteCommit or CompleteAbort. Gives up only when the shard moved away.
    func writeMarkers(
        transactionalId: String, producer: CoordinatorProducer, committed: Bool, coordinatorEpoch: Int32, partitions: [TopicPartition]
    ) async {
        var remaining = partitions
        // A shard unloaded (the broker stops, the partition moves) leaves its markers to the
        // next coordinator, which re-sends them when it loads the transaction.
        let partition = self.partition(for: transactionalId)
        var loaded: Bool { (try? runtime.read(partition) { _ in true }) ?? false }
        while !remaining.isEmpty && loaded {
            guard let writer = markerWriter.withLock({ $0 }) else {
                try? await clock.sleep(until: clock.now() + Self.markerRetryMs)
                continue
            }
            var failed: [TopicPartition] = []
            for tp in remaining {
                do throws(MarkerFailure) {
                    try await writer(tp, producer, committed, coordinatorEpoch)
                } catch {
                    if case .retry(let why) = error {
                        logger.debug("transaction marker not written yet", metadata: ["partition": "\(tp)", "reason": "\(why)"])
                    }
                    failed.append(tp)
                }
            }
            remaining = failed
            if !remaining.isEmpty { try? await clock.sleep(until: clock.now() + Self.markerRetryMs) }
            if Task.isCancelled { return }
        }
        guard remaining.isEmpty else { return }
        while true {
            let result = await write(transactionalId) { shard, now in
                shard.completeTransaction(transactionalId: transactionalId, producerId: producer.id, epoch: producer.epoch, now: now)
            }
            switch result {
            case .success(let error):
                if error != .none {
                    logger.warning("transaction not completed after its markers", metadata: [
                        "transactionalId": "\(transactionalId)", "error": "\(error)",
                    ])
                }
                return
            case .failure(let failure) where failure.code == .notCoordinator:
                return
            case .failure(let error):
                logger.warning("completing a transaction failed; retrying", metadata: ["transactionalId": "\(transactionalId)", "error": "\(error)"])
                try? await clock.sleep(until: clock.now() + Self.markerRetryMs)
                if Task.isCancelled { return }
            }
        }
    }
}

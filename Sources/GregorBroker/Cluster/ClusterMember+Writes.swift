import Foundation
import GregorCluster
import GregorStorage
import KafkaProtocol

extension ClusterMember {
    /// What creating a topic would write, and the partition count and replication factor it
    /// would get, decided by the controller's rules on this broker's view of the cluster.
    struct TopicPlan {
        var writes: [ControllerWrite]
        var partitions: Int32
        var replicationFactor: Int16
    }

    func plan(_ request: NewTopicRequest) -> Result<TopicPlan, ControllerFailure> {
        var machine = ControllerStateMachine(image: image, config: controllerConfig, seed: UInt64.random(in: 0...UInt64.max))
        return machine.createTopic(request).map { writes in
            var partitions: Int32 = 0
            var factor: Int16 = 0
            for case .createPartition(_, let state) in writes {
                partitions += 1
                factor = Int16(state.replicas.count)
            }
            return TopicPlan(writes: writes, partitions: partitions, replicationFactor: factor)
        }
    }

    /// The controller's settings, from the broker's.
    var controllerConfig: ControllerConfig {
        ControllerConfig(defaultPartitions: defaults.partitions, defaultReplicationFactor: defaults.replicationFactor,
                         uncleanLeaderElectionEnable: defaults.uncleanLeaderElection)
    }

    /// Makes `writes` in one etcd transaction. Each write is conditional, as its kind says: a
    /// creation on the key being absent, a change on the key being at the revision this broker
    /// last saw (etcd's compare-and-swap standing in for KRaft's partition epoch check, KIP-497,
    /// since every change of a partition bumps both). With `controllerEpoch` the controller key
    /// must still hold that term, so a deposed controller changes nothing.
    func execute(_ writes: [ControllerWrite], controller: ControllerRecord? = nil) async -> Result<Void, ControllerFailure> {
        guard !writes.isEmpty else { return .success(()) }
        var compares: [EtcdCompare] = []
        var ops: [EtcdOp] = []
        // The revisions and the image from one moment: a change is made only against the very
        // state it was decided on.
        let (revisions, image) = state.withLock { ($0.revisions, $0.image) }
        for case .updatePartition(let key, _, let expected) in writes where image.partitions[key]?.partitionEpoch != expected {
            return .failure(ControllerFailure(.notController, "partition \(key) changed meanwhile"))
        }
        let encoder = JSONEncoder.sorted
        do {
            if let controller { compares.append(.value(key: keys.controller, equals: Array(try encoder.encode(controller)))) }
            for write in writes {
                switch write {
                case .createTopic(let topic):
                    compares.append(.createRevision(key: keys.topic(topic.name), equals: 0))
                    ops.append(.put(key: keys.topic(topic.name), value: Array(try encoder.encode(topic)), lease: 0))
                case .updateTopic(let topic):
                    compares.append(.modRevision(key: keys.topic(topic.name), equals: revisions[keys.topic(topic.name)] ?? 0))
                    ops.append(.put(key: keys.topic(topic.name), value: Array(try encoder.encode(topic)), lease: 0))
                case .deleteTopic(let name):
                    ops.append(.delete(key: keys.topic(name)))
                case .createPartition(let key, let value):
                    compares.append(.createRevision(key: keys.partition(key), equals: 0))
                    ops.append(.put(key: keys.partition(key), value: Array(try encoder.encode(value)), lease: 0))
                case .updatePartition(let key, let value, _):
                    compares.append(.modRevision(key: keys.partition(key), equals: revisions[keys.partition(key)] ?? 0))
                    ops.append(.put(key: keys.partition(key), value: Array(try encoder.encode(value)), lease: 0))
                case .deletePartition(let key):
                    ops.append(.delete(key: keys.partition(key)))
                }
            }
        } catch {
            return .failure(ControllerFailure(.unknownServerError, "encoding metadata: \(error)"))
        }
        do {
            let result = try await etcd.txn(if: compares, then: ops)
            guard result.succeeded else {
                if case .createTopic(let topic) = writes.first {
                    return .failure(ControllerFailure(.topicAlreadyExists, "Topic '\(topic.name)' already exists."))
                }
                return .failure(ControllerFailure(.notController, "the metadata changed meanwhile"))
            }
            await waitForRevision(result.revision)
            return .success(())
        } catch {
            logger.warning("etcd write failed: \(error)")
            return .failure(ControllerFailure(.requestTimedOut, "etcd: \(error)"))
        }
    }

    /// A leader's ISR change: Kafka's AlterPartition, decided by the controller's rules on this
    /// broker's view (the epochs, KIP-841's eligibility, and the completion of a reassignment
    /// whose new replicas have joined the ISR, KIP-455) and written by the leader itself with a
    /// compare-and-swap, so the controller is not in the way of the write path.
    func propose(_ change: ReplicaManager.IsrChange) {
        Task {
            let key = PartitionKey(change.partition.topic, change.partition.partition)
            var machine = ControllerStateMachine(image: image, config: controllerConfig, seed: 0)
            let outcome = machine.alterPartition(IsrChangeRequest(
                brokerId: nodeId, partition: key, leaderEpoch: change.state.leaderEpoch, partitionEpoch: change.expectedPartitionEpoch,
                newIsr: change.state.isr))
            guard outcome.error == .none || outcome.error == .newLeaderElected, !outcome.writes.isEmpty else {
                if outcome.error != .none { logger.debug("\(change.partition): ISR change \(change.state.isr) refused: \(outcome.error)") }
                replicas.isrChangeFailed(change.partition)
                return
            }
            if case .success = await execute(outcome.writes) {
                logger.info("\(change.partition): ISR -> \(outcome.state?.isr ?? change.state.isr) at partition epoch \(outcome.state?.partitionEpoch ?? -1)")
            } else {
                replicas.isrChangeFailed(change.partition)
            }
        }
    }

    /// Partition.maybeShrinkIsr on a timer, every half of `replica.lag.time.max.ms` (as Kafka's
    /// isr-expiration task), but at least every second; also moves the high watermark of
    /// partitions whose leader is alone in the ISR (the coordinators append without Produce).
    func checkIsrs(broker: Broker) async {
        let interval = max(100, min(1000, settings.replicaLagTimeMaxMs / 2))
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(interval))
            await grantProducerIds(to: broker.producerIds)
            let now = broker.clock()
            for change in replicas.isrShrinks(now: now, logEnd: { broker.log($0.topic, $0.partition)?.logEndOffset }) { propose(change) }
            replicas.advanceLedHighWatermarks(now: now) { tp in
                broker.log(tp.topic, tp.partition).map { ($0, broker.minInsyncReplicas(tp.topic)) }
            }
        }
    }

    /// Returns once the watch has applied `revision` (or after the session timeout).
    func waitForRevision(_ revision: Int64) async {
        let deadline = ContinuousClock.now + .milliseconds(settings.sessionTimeoutMs)
        while state.withLock({ $0.revision }) < revision, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
}

extension ClusterMember {
    /// DeleteTopics in a cluster: the topic and its partitions leave etcd in one transaction;
    /// every broker deletes its replicas' logs when the watch brings the deletion.
    func deleteTopic(_ name: String) async throws {
        var machine = ControllerStateMachine(image: image, config: controllerConfig, seed: 0)
        switch machine.deleteTopic(name) {
        case .success(let writes):
            if case .failure(let failure) = await execute(writes) { throw failure }
        case .failure(let failure):
            throw failure
        }
    }
}

extension ClusterMember {
    /// Keeps a spare block of producer ids granted (ProducerIdControlManager, KIP-730: blocks of
    /// 1,000 from a counter every broker advances with a compare-and-swap), so InitProducerId
    /// never waits for etcd and no id is handed out by two brokers.
    func grantProducerIds(to blocks: ProducerIdBlocks) async {
        while blocks.spareBlocks < 1 {
            do {
                let current = try await etcd.get(keys.producerIds)
                let start = current.flatMap { Int64(String(decoding: $0.value, as: UTF8.self)) } ?? 0
                let result = try await etcd.txn(
                    if: [.modRevision(key: keys.producerIds, equals: current?.modRevision ?? 0)],
                    then: [.put(key: keys.producerIds, value: Array("\(start + ProducerIdBlocks.blockSize)".utf8), lease: 0)])
                if result.succeeded { blocks.grant(blockStart: start) }
            } catch {
                logger.warning("allocating producer ids failed: \(error)")
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

extension ClusterMember {
    /// A broker whose registered endpoint refuses connections has no listener there: it died
    /// (a SIGKILL closes its sockets at once) or is restarting. Its registration is removed
    /// then and there, if it is still the one this broker saw, instead of waiting out its
    /// lease (`broker.session.timeout.ms`): its partitions get new leaders within milliseconds.
    /// A broker that is only slow or paused still accepts connections (the kernel does), so it
    /// keeps its registration until the lease decides. One that was wrongly removed registers again.
    /// A dead controller's key goes with it, so another broker takes the role at once.
    func refusedConnections(of id: Int32) {
        let key = keys.broker(id)
        let (revision, controller, controllerRevision) = state.withLock { ($0.revisions[key], $0.controller, $0.revisions[keys.controller]) }
        guard let revision, id != nodeId else { return }
        Task {
            let result = try? await etcd.txn(if: [.modRevision(key: key, equals: revision)], then: [.delete(key: key)])
            guard result?.succeeded == true else { return }
            logger.warning("broker \(id) refuses connections on its registered endpoint: fenced without waiting for its lease")
            if controller?.brokerId == id, let controllerRevision {
                _ = try? await etcd.txn(if: [.modRevision(key: keys.controller, equals: controllerRevision)], then: [.delete(key: keys.controller)])
            }
        }
    }
}

extension ClusterMember {
    /// AlterConfigs and IncrementalAlterConfigs of a topic: its record in etcd gets the new
    /// overrides (compared on the revision this broker saw, so concurrent changes are not lost).
    func setTopicConfigs(_ name: String, _ configs: [String: String]) async -> Result<Void, ControllerFailure> {
        guard var record = image.topics[name] else {
            return .failure(ControllerFailure(.unknownTopicOrPartition, "The topic '\(name)' does not exist."))
        }
        record.configs = configs
        return await execute([.updateTopic(record)])
    }
}

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
        let revisions = state.withLock { $0.revisions }
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

    /// A leader's ISR change (Kafka's AlterPartition), made by the leader itself with a
    /// compare-and-swap: the controller is not in the way of the write path.
    func propose(_ change: ReplicaManager.IsrChange) {
        Task {
            let key = PartitionKey(change.partition.topic, change.partition.partition)
            let image = self.image
            guard let current = image.partitions[key], current.partitionEpoch == change.expectedPartitionEpoch,
                  current.leaderEpoch == change.state.leaderEpoch, current.leader == nodeId
            else {
                replicas.isrChangeFailed(change.partition)
                return
            }
            let proposed = change.state
            let write = ControllerWrite.updatePartition(key, proposed, expectedPartitionEpoch: current.partitionEpoch)
            if case .success = await execute([write]) {
                logger.info("\(change.partition): ISR \(current.isr) -> \(proposed.isr) at partition epoch \(proposed.partitionEpoch)")
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
    func refusedConnections(of id: Int32) {
        let key = keys.broker(id)
        guard let revision = state.withLock({ $0.revisions[key] }), id != nodeId else { return }
        Task {
            let result = try? await etcd.txn(if: [.modRevision(key: key, equals: revision)], then: [.delete(key: key)])
            if result?.succeeded == true {
                logger.warning("broker \(id) refuses connections on its registered endpoint: fenced without waiting for its lease")
            }
        }
    }
}

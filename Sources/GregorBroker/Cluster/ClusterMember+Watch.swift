import Foundation
import GregorClient
import GregorCluster
import GregorStorage
import KafkaProtocol

extension ClusterMember {
    /// Follows every change under the prefix, in revision order. A broken watch resumes after
    /// the last revision applied; one whose revision was compacted away lists everything again.
    func watch(from revision: Int64, broker: Broker) async {
        var next = revision
        while !Task.isCancelled {
            do {
                for try await batch in etcd.watch(prefix: keys.all, fromRevision: next) {
                    apply(batch.events, revision: batch.revision, broker: broker)
                    next = batch.revision + 1
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("etcd watch broke at revision \(next): \(error)")
                if let (kvs, at) = try? await etcd.range(prefix: keys.all) {
                    resync(kvs, revision: at, broker: broker)
                    next = at + 1
                }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Replaces the whole view with a fresh listing: what is gone from it is deleted.
    func resync(_ kvs: [EtcdKeyValue], revision: Int64, broker: Broker) {
        let present = Set(kvs.map(\.key))
        let gone = state.withLock { s in s.revisions.keys.filter { !present.contains($0) } }
        let deletions = gone.map { EtcdEvent(kind: .delete, kv: EtcdKeyValue(key: $0, value: [], createRevision: 0, modRevision: revision, version: 0, lease: 0)) }
        apply(deletions + kvs.map { EtcdEvent(kind: .put, kv: $0) }, revision: revision, broker: broker)
    }

    /// Folds one revision's events into the view, then acts on them: topics mirrored into the
    /// local metadata, partition roles changed, fetchers started, the controller told.
    func apply(_ events: [EtcdEvent], revision: Int64, broker: Broker) {
        var topicsChanged: [String: TopicRecord?] = [:]
        var partitionsChanged: Set<PartitionKey> = []
        var brokersChanged = false
        var controllerGone = false
        var folded: [MetadataEvent] = []
        var security: [String: [(key: String, value: [UInt8]?)]] = [:]
        let decoder = JSONDecoder()
        state.withLock { s in
            s.revision = max(s.revision, revision)
            for event in events {
                let key = event.kv.key
                let deleted = event.kind == .delete
                if deleted { s.revisions[key] = nil } else { s.revisions[key] = event.kv.modRevision }
                let value = Data(event.kv.value)
                let change: MetadataEvent?
                switch keys.parse(key) {
                case .broker(let id):
                    change = deleted ? .brokerDeleted(id) : (try? decoder.decode(BrokerRegistration.self, from: value)).map { .brokerPut($0) }
                    brokersChanged = true
                case .topic(let name):
                    let record = deleted ? nil : try? decoder.decode(TopicRecord.self, from: value)
                    change = record.map { .topicPut($0) } ?? .topicDeleted(name)
                    topicsChanged[name] = .some(record)
                case .partition(let p):
                    change = deleted ? .partitionDeleted(p) : (try? decoder.decode(PartitionState.self, from: value)).map { .partitionPut(p, $0) }
                    partitionsChanged.insert(p)
                case .controller:
                    s.controller = deleted ? nil : try? decoder.decode(ControllerRecord.self, from: value)
                    if deleted { controllerGone = true }
                    change = nil
                case .security(let kind, let entry):
                    security[kind, default: []].append((entry, deleted ? nil : event.kv.value))
                    change = nil
                case .clusterId, .controllerEpoch, .producerIds, nil:
                    change = nil
                }
                if let change {
                    s.image.apply(change)
                    folded.append(change)
                }
            }
        }
        if !security.isEmpty { applySecurity(security, broker: broker) }
        // Topics first: a topic and its partitions arrive in one revision.
        for (name, record) in topicsChanged.sorted(by: { $0.key < $1.key }) {
            mirror(name, record, broker: broker)
        }
        let now = broker.clock()
        let image = self.image
        if brokersChanged { replicas.setEligible(Set(image.brokers.keys.filter { image.isActive($0) })) }
        for key in partitionsChanged.sorted() {
            let tp = TopicPartition(key.topic, key.partition)
            let value = image.partitions[key]
            let transition = replicas.apply(tp, value, log: { broker.log(tp.topic, tp.partition) }, now: now)
            if transition != .none {
                logger.info("\(tp): \(transition) at leader epoch \(value?.leaderEpoch ?? -1) (leader \(value?.leader ?? -1), ISR \(value?.isr ?? []))")
                broker.replicaRoleChanged(tp, transition)
            }
        }
        if !partitionsChanged.isEmpty || brokersChanged { startFetchers(broker: broker) }
        if brokersChanged, state.withLock({ $0.image.brokers[nodeId] == nil && !$0.shuttingDown && $0.lease != 0 }) {
            // Someone removed this broker's registration (it was taken for dead): register again.
            Task { await self.reregister() }
        }
        controller.changed(self, events: folded, controllerGone: controllerGone)
    }

    /// Makes the local topic metadata (which handlers read) match etcd's topic record.
    private func mirror(_ name: String, _ record: TopicRecord?, broker: Broker) {
        let local = broker.metadata.topic(name)
        do {
            guard let record else {
                if local != nil { _ = try broker.deleteTopic(name) }
                return
            }
            guard let id = KafkaUUID(record.topicId) else { return }
            if let local, local.topicId != id { _ = try broker.deleteTopic(name) }
            if broker.metadata.topic(name) == nil {
                _ = try broker.metadata.createTopic(name, partitions: record.partitionCount, configs: record.configs, topicId: id)
            } else {
                if local?.partitionCount != record.partitionCount { _ = try broker.metadata.setPartitions(name, count: record.partitionCount) }
                if local?.configs != record.configs {
                    _ = try broker.metadata.replaceConfigs(name, with: record.configs)
                    broker.applyTopicConfigs(name)
                }
            }
        } catch {
            logger.error("applying topic \(name) from etcd failed: \(error)")
        }
    }

    /// One fetcher per leader this broker follows partitions of; a fetcher ends by itself when
    /// nothing is left to follow on its leader.
    func startFetchers(broker: Broker) {
        let leaders = Set(replicas.followed.keys)
        state.withLock { s in
            for (id, task) in s.fetchers where task.isCancelled { s.fetchers[id] = nil }
            guard !s.shuttingDown else { return }
            for leader in leaders where s.fetchers[leader] == nil {
                let fetcher = ReplicaFetcher(
                    nodeId: nodeId, leaderId: leader, settings: settings, security: security,
                    source: .init(
                        partitions: { [replicas] in replicas.followed[leader] ?? [:] },
                        address: { [weak self] in self?.interBrokerAddress(of: leader, broker: broker) },
                        log: { broker.log($0.topic, $0.partition) },
                        topicId: { broker.metadata.topic($0)?.topicId },
                        refused: { [weak self] in self?.refusedConnections(of: leader) }),
                    logger: logger)
                s.fetchers[leader] = Task { [weak self] in
                    await fetcher.run()
                    self?.state.withLock { s in s.fetchers[leader] = nil }
                    // Partitions may have come back to this leader while the fetcher wound down.
                    if let self, self.replicas.followed[leader] != nil { self.startFetchers(broker: broker) }
                }
            }
        }
    }

    /// The registration's endpoint on the inter-broker listener.
    func interBrokerAddress(of id: Int32, broker: Broker) -> BrokerAddress? {
        guard let e = endpoint(of: id, listener: interBrokerListener) else { return nil }
        return BrokerAddress(host: e.host, port: Int(e.port))
    }

    /// The old lease is not revoked: the lease renewal may have registered under it a moment ago
    /// (both notice a fencing); once `register` stores the new lease, the old one is no longer
    /// renewed and expires by itself.
    private func reregister() async {
        let incarnation = state.withLock { $0.incarnationId }
        do { try await register(ownRegistration(incarnation: incarnation)) } catch { logger.error("registering again failed: \(error)") }
    }
}

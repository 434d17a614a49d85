import GregorCluster
import GregorCoordination
import GregorStorage
import KafkaProtocol

extension Broker {
    /// The advertised endpoints, as the registration in etcd carries them.
    var registeredEndpoints: [BrokerEndpoint] {
        advertised.map { e in
            let proto = config.listeners.first { $0.name == e.name }?.securityProtocol.rawValue ?? "PLAINTEXT"
            return BrokerEndpoint(listener: e.name, host: e.host, port: Int32(e.port), securityProtocol: proto)
        }
    }

    /// What a change of this broker's role in a partition sets off.
    func replicaRoleChanged(_ tp: TopicPartition, _ transition: ReplicaManager.Transition) {
        switch transition {
        case .stopped:
            // No longer a replica (a reassignment moved it away): Kafka's StopReplica with delete.
            unloadShard(tp)
            if metadata.topic(tp.topic) != nil {
                do { try logs.delete(tp) } catch { logger.warning("\(tp): deleting the replica's log failed: \(error)") }
            }
        case .becameLeader:
            loadShard(tp)
        case .becameFollower:
            unloadShard(tp)
        case .none:
            break
        }
        FetchWaiters.shared.notify(tp)
    }

    /// GroupCoordinator.onElection / TransactionCoordinator.onElection: the leader of an
    /// internal partition coordinates its groups or transactional ids (Kafka's coordinator
    /// runtime schedules the load when the broker becomes leader).
    private func loadShard(_ tp: TopicPartition) {
        let (groups, txns) = (groupCoordinator.runtime, transactions.runtime)
        let logger = self.logger
        switch tp.topic {
        case OffsetStoreConfig.topic:
            Task {
                do { try await groups.load(tp.partition) } catch { logger.error("\(tp): loading the group shard failed: \(error)") }
            }
        case TransactionCoordinator.topic:
            Task {
                do { try await txns.load(tp.partition) } catch { logger.error("\(tp): loading the transaction shard failed: \(error)") }
            }
        default:
            break
        }
    }

    /// GroupCoordinator.onResignation: a shard whose partition this broker no longer leads.
    private func unloadShard(_ tp: TopicPartition) {
        switch tp.topic {
        case OffsetStoreConfig.topic: groupCoordinator.runtime.unload(tp.partition)
        case TransactionCoordinator.topic: transactions.runtime.unload(tp.partition)
        default: break
        }
    }

    /// Whether this broker is the transaction coordinator of `transactionalId` (alone, always).
    func coordinatesTransactions(of transactionalId: String) -> Bool {
        guard let cluster else { return true }
        let partition = transactions.partition(for: transactionalId)
        return cluster.partition(TopicPartition(TransactionCoordinator.topic, partition))?.leader == config.nodeId
    }

    /// Auto-creation (Metadata, Produce, the coordinators' internal topics): in a cluster the
    /// controller's placement decides the replicas and etcd keeps the result; alone, the local
    /// store does, on the I/O threads (creating files and fsyncing blocks; Metadata and Produce
    /// call this from an event loop).
    func createTopics(_ topics: [NewTopic], replicationFactor: Int16) async throws -> [Result<TopicMetadata, any Error>] {
        guard let cluster else { return try await withTaskExecutorPreference(io) { try createTopics(topics) } }
        var results: [Result<TopicMetadata, any Error>] = []
        for t in topics {
            let request = NewTopicRequest(
                name: t.name, topicId: (t.topicId ?? ClusterMetadataStore.randomId()).description, numPartitions: t.partitions,
                replicationFactor: replicationFactor, configs: t.configs)
            let outcome: Result<Void, ControllerFailure>
            switch cluster.plan(request) {
            case .success(let plan): outcome = await cluster.execute(plan.writes)
            case .failure(let failure): outcome = .failure(failure)
            }
            switch outcome {
            case .success:
                guard let topic = metadata.topic(t.name) else {
                    results.append(.failure(ClusterMetadataError(.unknownTopic, "topic \(t.name) was created but is not known here yet")))
                    continue
                }
                results.append(.success(topic))
            case .failure(let failure):
                results.append(.failure(failure))
            }
        }
        return results
    }
}

extension Broker {
    /// In a cluster, the coordinators' internal partitions are replicated like any other: their
    /// batches carry the leader epoch, and a coordinator answers a write only once the ISR holds
    /// it (Kafka's CoordinatorRuntime completes writes at the high watermark), so an
    /// acknowledged offset commit or transaction state survives a failover.
    static func coordinatorReplication(_ cluster: ClusterMember?, _ logs: LogManager, _ config: BrokerConfig) -> CoordinatorReplication? {
        guard let cluster else { return nil }
        return CoordinatorReplication(
            leaderEpoch: { tp in
                if case .leader(let leader) = cluster.replicas.leaderCheck(tp) { return leader.leaderEpoch }
                return 0
            },
            awaitReplicated: { tp, offset throws(CoordinatorError) in
                guard let log = logs.log(tp) else { throw .notCoordinator }
                cluster.replicas.leaderAppended(tp, log: log, minInsyncReplicas: config.minInsyncReplicas, now: Broker.wallClock())
                let deadline = ContinuousClock.now + .seconds(30)
                let code = await cluster.replicas.awaitReplication(
                    tp, log: log, requiredOffset: offset, minInsyncReplicas: 1, deadline: deadline)
                if code != .none { throw .notCoordinator }
            })
    }
}

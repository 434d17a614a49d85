import GregorCoordination
import GregorStorage
import KafkaProtocol

/// Where the transaction coordinator's markers go: on the partition's leader, straight into the
/// partition's log (Kafka's WriteTxnMarkers, answered by
/// `ReplicaManager.appendRecords` with `AppendOrigin.COORDINATOR`), and for `__consumer_offsets`
/// through the group coordinator, which applies the transaction's offsets when it replays the
/// marker (KIP-98, KIP-447). In a cluster a partition led by another broker gets its marker
/// through a WriteTxnMarkers request to that broker, as Kafka's TransactionMarkerChannelManager
/// sends it.
enum TransactionMarkers {
    static func writer(_ broker: Broker) -> TransactionCoordinator.MarkerWriter {
        { [weak broker] tp, producer, committed, coordinatorEpoch throws(TransactionCoordinator.MarkerFailure) in
            guard let broker else { throw .retry("broker stopped") }
            switch await write(broker, tp, producer, committed: committed, coordinatorEpoch: coordinatorEpoch) {
            case .none:
                return
            // TransactionMarkerRequestCompletionHandler: a partition that no longer exists needs
            // no marker, and one a newer epoch or coordinator wrote to is dropped.
            case .unknownTopicOrPartition, .invalidProducerEpoch, .transactionCoordinatorFenced:
                broker.logger.info("transaction marker dropped", metadata: ["partition": "\(tp)"])
            case let code:
                throw .retry("\(code)")
            }
        }
    }

    /// Appends one marker as the partition's leader does for WriteTxnMarkers; the error Kafka
    /// answers for that partition.
    static func write(
        _ broker: Broker, _ tp: TopicPartition, _ producer: CoordinatorProducer, committed: Bool, coordinatorEpoch: Int32,
        transactionVersion: Int8 = 0
    ) async -> ErrorCode {
        if let cluster = broker.cluster, broker.hasPartition(tp.topic, tp.partition) {
            switch cluster.replicas.leaderCheck(tp) {
            case .leader: break
            case .notLeader(let leader, _):
                return await sendToLeader(broker, cluster, leader, tp, producer, committed: committed, coordinatorEpoch: coordinatorEpoch,
                                          transactionVersion: transactionVersion)
            case .fencedLeaderEpoch, .unknownLeaderEpoch: return .notLeaderOrFollower
            }
        }
        if tp.topic == OffsetStoreConfig.topic {
            do throws(CoordinatorError) {
                try await broker.groupCoordinator.runtime.writeMarker(
                    tp.partition, producer: producer, committed: committed, coordinatorEpoch: coordinatorEpoch)
                return .none
            } catch {
                return error.errorCode
            }
        }
        guard let log = broker.log(tp.topic, tp.partition) else { return .unknownTopicOrPartition }
        do throws(ClientAppendError) {
            _ = try log.appendMarker(
                producerId: producer.id, producerEpoch: producer.epoch, committed: committed, coordinatorEpoch: coordinatorEpoch,
                now: broker.clock(), leaderEpoch: broker.leaderEpoch(tp), transactionVersion: transactionVersion)
            broker.cluster?.replicas.leaderAppended(tp, log: log, minInsyncReplicas: broker.minInsyncReplicas(tp.topic), now: broker.clock())
            FetchWaiters.shared.notify(tp)
            return .none
        } catch .producerState(let error) {
            return error.errorCode
        } catch .storage(let error) {
            return error.errorCode
        } catch {
            return .unknownServerError
        }
    }
}

extension TransactionMarkers {
    /// WriteTxnMarkers to the partition's leader; its answer for the partition, or
    /// NOT_LEADER_OR_FOLLOWER (retried) while there is none or it cannot be reached.
    static func sendToLeader(
        _ broker: Broker, _ cluster: ClusterMember, _ leader: Int32, _ tp: TopicPartition, _ producer: CoordinatorProducer, committed: Bool,
        coordinatorEpoch: Int32, transactionVersion: Int8
    ) async -> ErrorCode {
        guard leader >= 0, let address = cluster.interBrokerAddress(of: leader, broker: broker) else { return .notLeaderOrFollower }
        let request = WriteTxnMarkersRequest(markers: [.init(
            producerId: producer.id, producerEpoch: producer.epoch, transactionResult: committed,
            topics: [.init(name: tp.topic, partitionIndexes: [tp.partition])], coordinatorEpoch: coordinatorEpoch,
            transactionVersion: transactionVersion)])
        do {
            let response = try await cluster.peers.send(request, to: leader, at: address)
            let code = response.markers.first?.topics.first?.partitions.first { $0.partitionIndex == tp.partition }?.errorCode
            return code.map { ErrorCode(rawValue: $0) } ?? .unknownServerError
        } catch {
            broker.logger.debug("\(tp): WriteTxnMarkers to broker \(leader): \(error)")
            return .notLeaderOrFollower
        }
    }
}

extension Broker {
    /// `__transaction_state` as Kafka creates it (`TransactionLog` topic configs): compacted,
    /// uncompressed, `transaction.state.log.segment.bytes` segments.
    static func transactionStateTopicConfigs(_ config: BrokerConfig) -> [String: String] {
        ["cleanup.policy": "compact", "compression.type": "uncompressed", "segment.bytes": String(config.transactionStateSegmentBytes)]
    }

    static func transactionStateLogConfig(_ config: BrokerConfig) -> LogConfig {
        logConfig(defaults: config.logDefaults, overrides: transactionStateTopicConfigs(config))
    }
}

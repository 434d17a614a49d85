import GregorCoordination
import GregorStorage
import KafkaProtocol

/// Where the transaction coordinator's markers go on this broker, which leads every partition:
/// straight into the partition's log (Kafka's WriteTxnMarkers, answered by
/// `ReplicaManager.appendRecords` with `AppendOrigin.COORDINATOR`), and for `__consumer_offsets`
/// through the group coordinator, which applies the transaction's offsets when it replays the
/// marker (KIP-98, KIP-447).
enum TransactionMarkers {
    static func writer(_ broker: Broker) -> TransactionCoordinator.MarkerWriter {
        { [weak broker] tp, producer, committed, coordinatorEpoch throws(TransactionCoordinator.MarkerFailure) in
            guard let broker else { throw .retry("broker stopped") }
            if tp.topic == OffsetStoreConfig.topic {
                do throws(CoordinatorError) {
                    try await broker.groupCoordinator.runtime.writeMarker(
                        tp.partition, producer: producer, committed: committed, coordinatorEpoch: coordinatorEpoch)
                } catch {
                    throw .retry("\(error)")
                }
                return
            }
            // TransactionMarkerRequestCompletionHandler: a partition that no longer exists needs no
            // marker.
            guard let log = broker.log(tp.topic, tp.partition) else { return }
            do throws(ClientAppendError) {
                _ = try log.appendMarker(
                    producerId: producer.id, producerEpoch: producer.epoch, committed: committed, coordinatorEpoch: coordinatorEpoch,
                    now: broker.clock())
                FetchWaiters.shared.notify()
            } catch .producerState(let error) {
                // A newer epoch or coordinator wrote here already: Kafka drops the marker.
                broker.logger.info("transaction marker dropped", metadata: ["partition": "\(tp)", "reason": "\(error)"])
            } catch {
                throw .retry("\(error)")
            }
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

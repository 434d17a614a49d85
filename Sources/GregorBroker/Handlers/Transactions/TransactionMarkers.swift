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
                now: broker.clock(), transactionVersion: transactionVersion)
            FetchWaiters.shared.notify()
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

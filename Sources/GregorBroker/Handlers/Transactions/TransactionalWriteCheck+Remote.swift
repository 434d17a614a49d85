// A transactional write whose coordinator is another broker: the leader asks it with
// AddPartitionsToTxn v4+ over the inter-broker channel, verify only for transaction version 1
// and adding the partition for version 2, as Kafka's AddPartitionsToTxnManager does (KIP-890).
// Its errors reach the producer as that manager hands them on: a refused cluster action as
// INVALID_TXN_STATE, PRODUCER_FENCED as INVALID_PRODUCER_EPOCH, an unreachable coordinator as
// NETWORK_EXCEPTION, which Produce answers as NOT_ENOUGH_REPLICAS (retriable for every client).
import GregorCoordination
import GregorStorage
import KafkaProtocol

extension TransactionalWriteCheck {
    static func askCoordinator(
        _ broker: Broker, _ cluster: ClusterMember, transactionalId: String, producerId: Int64, epoch: Int16, partition: TopicPartition,
        addPartition: Bool
    ) async -> ErrorCode {
        let state = TopicPartition(TransactionCoordinator.topic, broker.transactions.partition(for: transactionalId))
        guard let leader = cluster.partition(state)?.leader, leader >= 0,
              let address = cluster.interBrokerAddress(of: leader, broker: broker)
        else { return .coordinatorNotAvailable }
        let request = AddPartitionsToTxnRequest(transactions: [.init(
            transactionalId: transactionalId, producerId: producerId, producerEpoch: epoch, verifyOnly: !addPartition,
            topics: [.init(name: partition.topic, partitions: [partition.partition])])])
        let response: AddPartitionsToTxnResponse
        do {
            response = try await cluster.peers.send(request, to: leader, at: address)
        } catch {
            broker.logger.warning("\(partition): AddPartitionsToTxn to the coordinator of \(transactionalId), broker \(leader): \(error)")
            return .networkException
        }
        if response.errorCode != 0 {
            let code = ErrorCode(rawValue: response.errorCode)
            broker.logger.error("\(partition): AddPartitionsToTxn to broker \(leader) answered \(code)")
            return code == .clusterAuthorizationFailed ? .invalidTxnState : code
        }
        let result = response.resultsByTransaction.first { $0.transactionalId == transactionalId }?
            .topicResults.first { $0.name == partition.topic }?
            .resultsByPartition.first { $0.partitionIndex == partition.partition }
        guard let result else { return .unknownServerError }
        let code = ErrorCode(rawValue: result.partitionErrorCode)
        return code == .producerFenced ? .invalidProducerEpoch : code
    }
}

// What a partition leader does before a transactional write, for Produce and TxnOffsetCommit
// alike (Kafka's ReplicaManager.appendRecords through AddPartitionsToTxnManager).
// Transaction version 1 (KIP-890 part 1, `transaction.partition.verification.enable`): the
// producer added the partition itself (AddPartitionsToTxn, AddOffsetsToTxn); the leader only
// verifies it with the coordinator. Transaction version 2 (KIP-890 part 2: Produce v12+,
// TxnOffsetCommit v5+): the producer adds nothing; the leader adds the partition to the
// transaction (AddPartitionsToTxn with verify_only=false), whatever the verification setting.
// Either way the check is recorded in the partition's producer state first, so a marker written
// meanwhile voids it, and a write that finds the transaction already open there asks nothing.
import GregorCoordination
import GregorStorage
import KafkaProtocol

enum TransactionalWriteCheck {
    /// How long the leader retries CONCURRENT_TRANSACTIONS (the previous transaction still being
    /// completed) before answering it: Kafka's add.partitions.to.txn.retry.backoff.ms (20) and
    /// .max.ms (100).
    static let retryBackoffMs = 20
    static let retryMaxMs = 100

    enum Outcome {
        /// Write, bringing this guard back to the append (nil when none is needed).
        case proceed(VerificationGuard?)
        /// The coordinator's error.
        case refused(ErrorCode)
    }

    /// `log` is the partition's log when it exists (the group's offsets partition may not yet).
    static func check(
        _ broker: Broker, transactionalId: String, producerId: Int64, epoch: Int16, partition: TopicPartition,
        log: PartitionLog?, addPartition: Bool
    ) async -> Outcome {
        guard addPartition || broker.config.transactionPartitionVerification else { return .proceed(nil) }
        let verification = log?.beginVerification(producerId: producerId, epoch: epoch, now: broker.clock())
        if let verification, verification.token == nil { return .proceed(verification) }
        var code: ErrorCode
        if let cluster = broker.cluster, !broker.coordinatesTransactions(of: transactionalId) {
            code = await askCoordinator(broker, cluster, transactionalId: transactionalId, producerId: producerId, epoch: epoch,
                                        partition: partition, addPartition: addPartition)
        } else if addPartition {
            var waited = 0
            while true {
                switch await broker.transactions.write(transactionalId, { shard, now in
                    shard.addPartitions(
                        transactionalId: transactionalId, producerId: producerId, epoch: epoch, partitions: [partition],
                        clientTransactionVersion: 2, now: now)
                }) {
                case .success(let e): code = e
                case .failure(let f): code = f.code
                }
                guard code == .concurrentTransactions, waited < retryMaxMs else { break }
                try? await Task.sleep(for: .milliseconds(retryBackoffMs))
                waited += retryBackoffMs
            }
        } else {
            switch broker.transactions.read(transactionalId, {
                $0.verifyPartitions(transactionalId: transactionalId, producerId: producerId, epoch: epoch, partitions: [partition])
            }) {
            case .success(let codes): code = codes[partition] ?? .none
            case .failure(let f): code = f.code
            }
        }
        return code == .none ? .proceed(verification) : .refused(code)
    }
}

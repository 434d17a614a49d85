// The transaction coordinator's keys (Kafka's TransactionStateManagerConfig, TransactionLogConfig)
// and the producer state keys of ProducerStateManagerConfig.
extension ConfigKeys {
    static let transactions: [ConfigKey] = [
        .broker("transaction.max.timeout.ms", .int, "900000", .atLeast(1),
                "The maximum allowed timeout for transactions; a longer transaction.timeout.ms is INVALID_TRANSACTION_TIMEOUT.")
            .current { "\($0.transactions.maxTimeoutMs)" },
        .broker("transactional.id.expiration.ms", .int, "604800000", .atLeast(1),
                "How long the coordinator keeps a transactional id that received no transaction status update.")
            .current { "\($0.transactions.transactionalIdExpirationMs)" },
        .broker("transaction.remove.expired.transaction.cleanup.interval.ms", .int, "3600000", .atLeast(1),
                "How often transactional ids that have expired are removed.")
            .current { "\($0.transactions.removeExpiredTransactionalIdsIntervalMs)" },
        .broker("transaction.abort.timed.out.transaction.cleanup.interval.ms", .int, "10000", .atLeast(1),
                "How often timed-out transactions are rolled back; Gregor aborts each one when its timeout passes."),
        .broker("transaction.state.log.num.partitions", .int, "50", .atLeast(1), "The number of partitions of the transaction topic.")
            .current { "\($0.transactionStatePartitions)" },
        .broker("transaction.state.log.segment.bytes", .int, "104857600", .atLeast(1), "The transaction topic segment bytes.")
            .current { "\($0.transactionStateSegmentBytes)" },
        .broker("transaction.partition.verification.enable", .boolean, "true",
                "Whether a partition leader checks with the coordinator that a transactional write's partition is in the transaction (KIP-890).")
            .current { "\($0.transactionPartitionVerification)" },
        .broker("producer.id.expiration.ms", .int, "86400000", .atLeast(1),
                "How long a partition keeps an idle producer's state (KIP-854).")
            .current { "\($0.producerIdExpirationMs)" },
        .broker("producer.id.expiration.check.interval.ms", .int, "600000", .atLeast(1), "How often expired producer ids are removed."),
    ]
}

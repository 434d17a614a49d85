import ArgumentParser
import GregorClient

/// `gregor transactions`: what `kafka-transactions.sh` does (KIP-664): list and describe
/// transactions, show a partition's producers, abort a hanging transaction.
struct Transactions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions", abstract: "List, describe and abort transactions.",
        subcommands: [List.self, Describe.self, DescribeProducers.self, Abort.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List transactions: id, producer id, state.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only these states (Ongoing, PrepareCommit, CompleteAbort...).") var state: [String] = []
        @Option(name: .customLong("producer-id"), help: "Only these producer ids.") var producerId: [Int64] = []
        @Option(name: .customLong("duration-ms"), help: "Only transactions running longer than this.") var durationMs: Int64 = -1

        func run() async throws {
            let listed = try await connection.withClient { try await $0.listTransactions(states: state, producerIds: producerId, durationMs: durationMs) }
            print("TransactionalId\tProducerId\tState")
            for t in listed { print("\(t.transactionalId)\t\(t.producerId)\t\(t.state)") }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe one transactional id.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("transactional-id")) var transactionalId: String

        func run() async throws {
            let t = try await connection.withClient { try await $0.describeTransaction(transactionalId) }
            print("TransactionalId\tProducerId\tProducerEpoch\tState\tTimeoutMs\tStartTimeMs\tPartitions")
            print("\(t.transactionalId)\t\(t.producerId)\t\(t.producerEpoch)\t\(t.state)\t\(t.timeoutMs)\t\(t.startTimeMs)\t"
                  + t.partitions.joined(separator: ","))
        }
    }

    struct DescribeProducers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "describe-producers", abstract: "The producers a partition knows.")
        @OptionGroup var connection: ConnectionOptions
        @Option var topic: String
        @Option var partition: Int32

        func run() async throws {
            let producers = try await connection.withClient { try await $0.describeProducers(topic: topic, partition: partition) }
            print("ProducerId\tProducerEpoch\tLastSequence\tLastTimestamp\tCoordinatorEpoch\tCurrentTransactionStartOffset")
            for p in producers {
                print("\(p.producerId)\t\(p.producerEpoch)\t\(p.lastSequence)\t\(p.lastTimestamp)\t\(p.coordinatorEpoch)\t\(p.currentTxnStartOffset)")
            }
        }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Abort a hanging transaction on one partition: by where it started (--start-offset), or by producer.")
        @OptionGroup var connection: ConnectionOptions
        @Option var topic: String
        @Option var partition: Int32
        @Option(name: .customLong("start-offset"), help: "The offset the open transaction began at.") var startOffset: Int64?
        @Option(name: .customLong("producer-id")) var producerId: Int64?
        @Option(name: .customLong("producer-epoch")) var producerEpoch: Int16?
        @Option(name: .customLong("coordinator-epoch")) var coordinatorEpoch: Int32?

        func run() async throws {
            try await connection.withClient { client in
                var (id, epoch, coordinator) = (producerId, producerEpoch, coordinatorEpoch)
                if let startOffset {
                    // kafka-transactions.sh: the producer whose open transaction began there.
                    guard let p = try await client.describeProducers(topic: topic, partition: partition)
                        .first(where: { $0.currentTxnStartOffset == startOffset })
                    else { throw ValidationError("no open transaction starts at offset \(startOffset) of \(topic)-\(partition)") }
                    (id, epoch, coordinator) = (p.producerId, Int16(p.producerEpoch), max(p.coordinatorEpoch, 0))
                }
                guard let id, let epoch, let coordinator else {
                    throw ValidationError("give --start-offset, or --producer-id, --producer-epoch and --coordinator-epoch")
                }
                try await client.abortTransaction(topic: topic, partition: partition, producerId: id, producerEpoch: epoch, coordinatorEpoch: coordinator)
                print("Aborted the transaction of producer \(id) (epoch \(epoch)) on \(topic)-\(partition).")
            }
        }
    }
}

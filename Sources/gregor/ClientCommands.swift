import ArgumentParser
import Foundation
import GregorBroker
import GregorClient
import KafkaProtocol
import NIOCore

/// Options every client subcommand takes.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("bootstrap-server"), help: "The broker, host:port.")
    var bootstrapServer = "localhost:9092"

    @Option(name: .customLong("timeout"), help: "Seconds to wait for the connection and for each response.")
    var timeoutSeconds: Int = 10

    @Option(name: .customLong("command-config"),
            help: "A client.properties file, as Kafka's tools take: security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.location...")
    var commandConfig: String?

    /// Connects, runs `body`, closes; a client error becomes one `gregor: …` line on stderr and exit 1.
    func withClient<T>(_ body: (KafkaClient) async throws -> T) async throws -> T {
        do {
            let timeouts = ClientTimeouts(connect: .seconds(timeoutSeconds), request: .seconds(max(timeoutSeconds, 1)))
            var security = ClientSecurity()
            if let commandConfig {
                guard let text = try? String(contentsOfFile: commandConfig, encoding: .utf8) else {
                    FileHandle.standardError.write(Data("gregor: cannot read --command-config \(commandConfig)\n".utf8))
                    throw ExitCode.failure
                }
                do { security = try ClientProperties.security(text) } catch {
                    FileHandle.standardError.write(Data("gregor: \(commandConfig): \(error)\n".utf8))
                    throw ExitCode.failure
                }
            }
            let client = try await KafkaClient.connect(to: BrokerAddress(parsing: bootstrapServer), timeouts: timeouts, security: security)
            do {
                let result = try await body(client)
                await client.close()
                return result
            } catch {
                await client.close()
                throw error
            }
        } catch let error as GregorClientError {
            FileHandle.standardError.write(Data("gregor: \(error)\n".utf8))
            throw ExitCode.failure
        } catch let error as RecordsError {
            FileHandle.standardError.write(Data("gregor: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

struct Topics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Create, list, describe, alter and delete topics.",
        subcommands: [Create.self, List.self, Describe.self, Alter.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a topic.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "Partition count (the broker's num.partitions when omitted).") var partitions: Int32?
        @Option(name: .customLong("replication-factor"), help: "Replication factor (1 on a single broker).") var replicationFactor: Int16?
        @Option(name: .customLong("config"), help: "key=value; repeatable.") var configs: [String] = []

        func run() async throws {
            let configs = try configs.map { try parseKeyValue($0) }
            try await connection.withClient { client in
                try await client.createTopic(name, partitions: partitions ?? -1, replicationFactor: replicationFactor ?? -1, configs: configs)
            }
            print("Created topic \(name).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List topics.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(name: .customLong("internal"), help: "Include internal topics.") var includeInternal = false

        func run() async throws {
            let topics = try await connection.withClient { try await $0.listTopics(includeInternal: includeInternal) }
            for topic in topics { print(topic.name) }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Partitions, leaders, offsets and configs of a topic.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Flag(name: .customLong("all-configs"), help: "Print every config, not only overrides.") var allConfigs = false

        func run() async throws {
            let description = try await connection.withClient { try await $0.describeTopic(name) }
            print(description.render(allConfigs: allConfigs), terminator: "")
        }
    }

    struct Alter: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add partitions or change configs.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "The new, larger partition count.") var partitions: Int32?
        @Option(name: .customLong("config"), help: "key=value to set; repeatable.") var configs: [String] = []
        @Option(name: .customLong("delete-config"), help: "A config to reset to its default; repeatable.") var deleteConfigs: [String] = []

        func validate() throws {
            if partitions == nil && configs.isEmpty && deleteConfigs.isEmpty {
                throw ValidationError("nothing to alter: give --partitions, --config or --delete-config")
            }
        }

        func run() async throws {
            let configs = try configs.map { try parseKeyValue($0) }
            try await connection.withClient { client in
                try await client.alterTopic(name, partitions: partitions, set: configs, delete: deleteConfigs)
            }
            print("Altered topic \(name).")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a topic.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            try await connection.withClient { try await $0.deleteTopic(name) }
            print("Deleted topic \(name).")
        }
    }
}

extension CompressionCodec: ExpressibleByArgument {
    public init?(argument: String) {
        guard let codec = Self.allCases.first(where: { $0.description == argument.lowercased() }) else { return nil }
        self = codec
    }
}

struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Produce lines from stdin, one record each.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var topic: String
    @Option(help: "The partition (by key, or one picked at random, when omitted).") var partition: Int32?
    @Option(name: .customLong("key-separator"), help: "Text before the first separator is the key.") var keySeparator: String?
    @Option(name: .customLong("header"), help: "key=value header on every record; repeatable.") var headers: [String] = []
    @Option(help: "none, gzip, snappy, lz4 or zstd.") var compression: CompressionCodec = .none
    @Option(help: "0, 1, or all (-1; write --acks=-1).") var acks = "1"
    @Option(name: .customLong("batch-size"), help: "Records per Produce request.") var batchSize = 1000

    func validate() throws {
        guard requiredAcks != nil else { throw ValidationError("--acks takes 0, 1, all or -1") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    var requiredAcks: Int16? {
        switch acks.lowercased() {
        case "0": return 0
        case "1": return 1
        case "all", "-1": return -1
        default: return nil
        }
    }

    func run() async throws {
        let acks = requiredAcks ?? 1
        let headers = try headers.map { text in
            let (k, v) = try parseKeyValue(text, what: "--header")
            return RecordHeader(key: k, value: ByteBuffer(string: v))
        }
        let failed = try await connection.withClient { client -> Bool in
            var failed = false
            var pending: [ProducerRecord] = []
            func flush() async throws {
                guard !pending.isEmpty else { return }
                let results = try await client.produce(
                    topic: topic, partition: partition, records: pending, compression: compression, acks: acks)
                for result in results where result.error != .none {
                    FileHandle.standardError.write(Data("gregor: \(topic) \(result.description)\n".utf8))
                    failed = true
                }
                pending.removeAll(keepingCapacity: true)
            }
            while let line = readLine(strippingNewline: true) {
                pending.append(ProducerRecord(line: line, keySeparator: keySeparator, headers: headers))
                if pending.count >= batchSize { try await flush() }
            }
            try await flush()
            return failed
        }
        if failed { throw ExitCode.failure }
    }
}

struct Consume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a topic's records.")
    @OptionGroup var connection: ConnectionOptions
    @Argument var topic: String
    @Option(help: "Only this partition.") var partition: Int32?
    @Flag(name: .customLong("from-beginning"), help: "Start at the log start (default: the end).") var fromBeginning = false
    @Option(help: "Start at this offset (negative: that many before the end).") var offset: Int64?
    @Flag(help: "Keep waiting for new records instead of stopping at the end.") var follow = false
    @Option(help: "Output format: %t topic %p partition %o offset %k key %v value %h headers %T timestamp.")
    var format = "%v\\n"
    @Option(help: "Stop after this many records.") var count: Int?

    func run() async throws {
        let formatter: RecordFormatter
        do { formatter = try RecordFormatter(format) } catch { throw ValidationError("\(error)") }
        let start: StartPosition = offset.map { .offset($0) } ?? (fromBeginning ? .beginning : .end)
        let options = ConsumeOptions(partition: partition, start: start, follow: follow, count: count)
        _ = try await connection.withClient { client in
            try await client.consume(topic: topic, options: options) { record in
                FileHandle.standardOutput.write(Data(formatter.format(record).utf8))
            }
        }
    }
}

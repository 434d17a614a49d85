import ArgumentParser
import GregorClient

/// `gregor quotas`: client quotas through AlterClientQuotas and DescribeClientQuotas (KIP-546),
/// as `kafka-configs.sh --entity-type users|clients` manages them.
struct Quotas: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quotas", abstract: "Set, list and remove client quotas.", subcommands: [Set.self, List.self, Remove.self])

    struct Entity: ParsableArguments {
        @Option(help: "A user (the principal's name), or <default>.") var user: String?
        @Option(name: .customLong("client-id"), help: "A client id, or <default>.") var clientId: String?

        func parts() throws -> QuotaEntityParts {
            var parts: QuotaEntityParts = []
            if let user { parts.append(("user", user == "<default>" ? nil : user)) }
            if let clientId { parts.append(("client-id", clientId == "<default>" ? nil : clientId)) }
            guard !parts.isEmpty else { throw ValidationError("name a --user, a --client-id, or both") }
            return parts
        }
    }

    static func describe(_ entity: QuotaEntityParts) -> String {
        entity.map { "\($0.type)=\($0.name ?? "<default>")" }.joined(separator: ",")
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set quotas: producer_byte_rate=N, consumer_byte_rate=N (bytes/s), request_percentage=P.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var entity: Entity
        @Argument(help: "key=value pairs.") var quotas: [String]

        func run() async throws {
            var values: [String: Double?] = [:]
            for pair in quotas {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, let value = Double(kv[1]) else { throw ValidationError("not key=number: \(pair)") }
                values[kv[0]] = value
            }
            let parts = try entity.parts()
            try await connection.withClient { try await $0.alterClientQuotas(parts, values) }
            print("Set \(quotas.joined(separator: ", ")) for \(Quotas.describe(parts)).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every entity with quotas.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            for (entity, quotas) in try await connection.withClient({ try await $0.clientQuotas() }) {
                print("\(Quotas.describe(entity))\t" + quotas.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove quotas of an entity by key.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var entity: Entity
        @Argument(help: "The quota keys to remove.") var keys: [String]

        func run() async throws {
            let parts = try entity.parts()
            try await connection.withClient { try await $0.alterClientQuotas(parts, Dictionary(uniqueKeysWithValues: keys.map { ($0, Double?.none) })) }
            print("Removed \(keys.joined(separator: ", ")) of \(Quotas.describe(parts)).")
        }
    }
}

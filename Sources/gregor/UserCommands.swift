import ArgumentParser
import Foundation
import GregorBroker
import GregorClient

/// `gregor users`: SCRAM users through AlterUserScramCredentials and DescribeUserScramCredentials
/// (KIP-554), as `kafka-configs.sh --entity-type users` manages them.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Add, list and remove SCRAM users.", subcommands: [Add.self, List.self, Remove.self])

    static func mechanisms(_ names: [String]) throws -> [ScramMechanism] {
        try names.map { name in
            guard let m = ScramMechanism(rawValue: name.uppercased()) else {
                throw ValidationError("unknown mechanism \(name): SCRAM-SHA-256 or SCRAM-SHA-512")
            }
            return m
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's SCRAM password (both mechanisms unless one is named).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "The password; read from standard input when omitted.") var password: String?
        @Option(help: "SCRAM-SHA-256 or SCRAM-SHA-512; repeatable.") var mechanism: [String] = []
        @Option(help: "PBKDF2 iterations (4096 to 16384).") var iterations: Int32 = ScramMechanism.minIterations

        func run() async throws {
            let secret = password ?? readLine(strippingNewline: true) ?? ""
            guard !secret.isEmpty else { throw ValidationError("an empty password") }
            let mechanisms = try Users.mechanisms(mechanism.isEmpty ? ["SCRAM-SHA-256", "SCRAM-SHA-512"] : mechanism)
            try await connection.withClient { client in
                for m in mechanisms {
                    // The client salts the password; the broker never sees it (KIP-554).
                    var salt = [UInt8](repeating: 0, count: 32)
                    for i in salt.indices { salt[i] = UInt8.random(in: 0...255) }
                    let salted = try m.saltedPassword(secret, salt: salt, iterations: Int(iterations))
                    try await client.setScramUser(name, mechanism: m.type, iterations: iterations, salt: salt, saltedPassword: salted)
                }
            }
            print("Set \(mechanisms.map(\.rawValue).joined(separator: ", ")) credentials of \(name).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List SCRAM users and their mechanisms.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let users = try await connection.withClient { try await $0.scramUsers() }
            for user in users.keys.sorted() {
                let credentials = users[user]!.map { "\($0.mechanismName) (\($0.iterations) iterations)" }
                print("\(user)\t\(credentials.joined(separator: ", "))")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user's SCRAM credentials (both mechanisms unless one is named).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "SCRAM-SHA-256 or SCRAM-SHA-512; repeatable.") var mechanism: [String] = []

        func run() async throws {
            try await connection.withClient { client in
                let existing = try await client.scramUsers([name])[name] ?? []
                let named = try Users.mechanisms(mechanism).map(\.type)
                for info in existing where named.isEmpty || named.contains(info.mechanism) {
                    try await client.removeScramUser(name, mechanism: info.mechanism)
                }
            }
            print("Removed the SCRAM credentials of \(name).")
        }
    }
}

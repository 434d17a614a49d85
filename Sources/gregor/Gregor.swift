import ArgumentParser
import Foundation
import GregorBroker
import Logging
import ServiceLifecycle

/// `gregor`: with no subcommand, runs a broker.
@main
struct Gregor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gregor",
        abstract: "A Kafka-compatible event-streaming broker.",
        subcommands: [Serve.self, ApiVersionsTable.self, Topics.self, Cluster.self, Produce.self, Consume.self, Groups.self, Users.self, Acls.self, Quotas.self, Transactions.self, DevCerts.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run a broker (the default).")

    @Option(name: .customLong("config"), help: "A server.properties file (Kafka's key names).")
    var configFile: String?

    @Option(name: .customLong("override"), help: "key=value, as kafka-server-start.sh --override; repeatable.")
    var overrides: [String] = []

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "gregor")
        // GREGOR_LOG_LEVEL=debug (or trace, notice, warning…) for more or less than info.
        logger.logLevel = ProcessInfo.processInfo.environment["GREGOR_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        var properties = ServerProperties()
        if let configFile {
            properties.load(propertiesText: try String(contentsOfFile: configFile, encoding: .utf8))
        }
        properties.load(environment: ProcessInfo.processInfo.environment)
        for o in overrides {
            guard let eq = o.firstIndex(of: "=") else { throw ValidationError("--override takes key=value, got \(o)") }
            properties.set(String(o[..<eq]), String(o[o.index(after: eq)...]))
        }
        let config: BrokerConfig
        do { config = try properties.brokerConfig() } catch {
            throw ValidationError("\(error)")
        }
        for key in properties.unknownKeys { logger.warning("unknown configuration '\(key)' ignored") }
        let service = BrokerService(config: config, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Prints the supported APIs and versions as the README's Markdown table.
struct ApiVersionsTable: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api-versions", abstract: "Print the supported APIs and versions.")

    func run() {
        print(SupportedApis.markdownTable(), terminator: "")
    }
}

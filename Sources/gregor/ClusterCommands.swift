import ArgumentParser
import GregorClient
import KafkaProtocol

/// `gregor cluster describe`: the brokers, the controller and where every partition lives.
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Inspect a cluster of brokers.", subcommands: [Describe.self])

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Live brokers, the controller, and each partition's leader, replicas and ISR.")
        @OptionGroup var connection: ConnectionOptions
        @Flag(name: .customLong("internal"), help: "Include internal topics.") var includeInternal = false

        func run() async throws {
            let metadata = try await connection.withClient { try await $0.metadata(topics: nil) }
            print(Self.render(metadata, includeInternal: includeInternal), terminator: "")
        }

        static func render(_ m: MetadataResponse, includeInternal: Bool) -> String {
            var out = "Cluster \(m.clusterId ?? "-"), controller \(m.controllerId)\n"
            for b in m.brokers.sorted(by: { $0.nodeId < $1.nodeId }) {
                out += "  broker \(b.nodeId) at \(b.host):\(b.port)\(b.rack.map { " rack \($0)" } ?? "")\n"
            }
            for t in m.topics.sorted(by: { ($0.name ?? "") < ($1.name ?? "") }) where includeInternal || !t.isInternal {
                out += "\(t.name ?? "?"): \(t.partitions.count) partition(s)\n"
                for p in t.partitions.sorted(by: { $0.partitionIndex < $1.partitionIndex }) {
                    let offline = p.offlineReplicas.isEmpty ? "" : " offline \(p.offlineReplicas)"
                    let error = p.errorCode == 0 ? "" : " (\(ErrorCode(rawValue: p.errorCode)))"
                    out += "  \(p.partitionIndex): leader \(p.leaderId) epoch \(p.leaderEpoch) replicas \(p.replicaNodes) isr \(p.isrNodes)\(offline)\(error)\n"
                }
            }
            return out
        }
    }
}

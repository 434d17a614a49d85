import ArgumentParser
import Foundation
import GregorClient

/// `gregor partitions`: leader elections and replica moves, as `kafka-leader-election.sh` and
/// `kafka-reassign-partitions.sh` make them, printed as those tools print.
struct Partitions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "partitions", abstract: "Elect leaders and move partitions between brokers.",
        subcommands: [Elect.self, Reassign.self, ListReassignments.self])

    enum ElectionKind: String, ExpressibleByArgument, CaseIterable {
        case preferred, unclean
    }

    struct Elect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Elect leaders (ElectLeaders): of every partition, of a topic's, or of one.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("type"), help: "preferred: move leadership to the first replica; unclean: give a leaderless partition any live replica.")
        var kind: ElectionKind
        @Option(help: "Only this topic's partitions (every partition when omitted).") var topic: String?
        @Option(help: "Only this partition of --topic.") var partition: Int32?

        func validate() throws {
            if partition != nil && topic == nil { throw ValidationError("--partition needs --topic") }
        }

        func run() async throws {
            let type = kind.rawValue.uppercased()
            let outcomes = try await connection.withClient { client -> [PartitionOutcome] in
                var partitions: [TopicPartitionName]?
                if let topic, let partition {
                    partitions = [TopicPartitionName(topic, partition)]
                } else if let topic {
                    partitions = try await client.topicMetadata(topic).partitions.map { TopicPartitionName(topic, $0.partitionIndex) }
                }
                return try await client.electLeaders(unclean: kind == .unclean, partitions: partitions)
            }
            // LeaderElectionCommand.electLeaders.
            let succeeded = outcomes.filter { $0.error == .none }.map(\.partition).sorted()
            let noop = outcomes.filter { $0.error == .electionNotNeeded }.map(\.partition).sorted()
            let failed = outcomes.filter { $0.error != .none && $0.error != .electionNotNeeded }.sorted { $0.partition < $1.partition }
            if !succeeded.isEmpty {
                print("Successfully completed leader election (\(type)) for partitions \(succeeded.map(\.description).joined(separator: ", "))")
            }
            if !noop.isEmpty {
                print("Valid replica already elected for partitions \(noop.map(\.description).joined(separator: ", "))")
            }
            guard failed.isEmpty else {
                for f in failed {
                    print("Error completing leader election (\(type)) for partition: \(f.partition): \(f.error.name): \(f.text)")
                }
                FileHandle.standardError.write(Data("gregor: \(failed.count) replica(s) could not be elected\n".utf8))
                throw ExitCode.failure
            }
        }
    }

    struct Reassign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move a partition to other replicas, or cancel its move (AlterPartitionReassignments).")
        @OptionGroup var connection: ConnectionOptions
        @Option var topic: String
        @Option var partition: Int32
        @Option(help: "The target replicas, preferred leader first: 1,2,3.") var replicas: String?
        @Flag(help: "Cancel the move under way instead.") var cancel = false
        @Flag(name: .customLong("disallow-replication-factor-change"), help: "Refuse a target with another replica count (KIP-860).")
        var disallowReplicationFactorChange = false

        func validate() throws {
            if cancel == (replicas != nil) { throw ValidationError("give either --replicas or --cancel") }
        }

        func run() async throws {
            var target: [Int32]?
            if let replicas {
                target = try replicas.split(separator: ",").map {
                    guard let id = Int32($0.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("not a broker id: \($0)") }
                    return id
                }
            }
            let name = TopicPartitionName(topic, partition)
            let outcomes = try await connection.withClient { client -> [PartitionOutcome]? in
                // ReassignPartitionsCommand.cancelAssignment cancels only a move it finds under way.
                if cancel, try await client.partitionReassignments([name]).isEmpty { return nil }
                return try await client.alterPartitionReassignments([(name, target)], allowReplicationFactorChange: !disallowReplicationFactorChange)
            }
            guard let outcomes else {
                print("None of the specified partition reassignments are active.")
                return
            }
            // ReassignPartitionsCommand.executeAssignment and cancelAssignment.
            let failed = outcomes.filter { $0.error != .none }
            guard failed.isEmpty else {
                print(cancel ? "Error cancelling partition reassignment for:" : "Error reassigning partition(s):")
                for f in failed { print("\(f.partition): \(f.text)") }
                throw ExitCode.failure
            }
            print(cancel ? "Successfully cancelled partition reassignment for: \(name)" : "Successfully started partition reassignment for \(name)")
        }
    }

    struct ListReassignments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list-reassignments", abstract: "The partitions being moved (ListPartitionReassignments).")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let moves = try await connection.withClient { try await $0.partitionReassignments() }
            // ReassignPartitionsCommand.curReassignmentsToString.
            guard !moves.isEmpty else {
                print("No partition reassignments found.")
                return
            }
            print("Current partition reassignments:")
            for move in moves {
                func list(_ ids: [Int32]) -> String { ids.map(String.init).joined(separator: ",") }
                var line = "\(move.partition): replicas: \(list(move.replicas))."
                if !move.addingReplicas.isEmpty { line += " adding: \(list(move.addingReplicas))." }
                if !move.removingReplicas.isEmpty { line += " removing: \(list(move.removingReplicas))." }
                print(line)
            }
        }
    }
}

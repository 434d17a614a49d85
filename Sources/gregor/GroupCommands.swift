import ArgumentParser
import Foundation
import GregorClient

/// `gregor groups …`, in the spirit of kafka-consumer-groups.sh.
struct Groups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "List, describe and delete consumer groups; reset their offsets.",
        subcommands: [List.self, Describe.self, Delete.self, ResetOffsets.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List groups with their type and state.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("state"), help: "Only groups in this state (Empty, Stable…); repeatable or comma-separated.")
        var states: [String] = []
        @Option(name: .customLong("type"), help: "Only groups of this type (classic, consumer); repeatable or comma-separated.")
        var types: [String] = []

        func run() async throws {
            let split = { (values: [String]) in values.flatMap { $0.split(separator: ",").map(String.init) } }
            let groups = try await connection.withClient { try await $0.listGroups(states: split(states), types: split(types)) }
            let rows = groups.map { [$0.groupId, displayType($0.type), $0.state.isEmpty ? "-" : $0.state] }
            print(renderTable(["GROUP", "TYPE", "STATE"], rows), terminator: "")
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A group's state and members, and per partition its committed offset, log end offset and lag.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var group: String

        func run() async throws {
            let (description, lags) = try await connection.withClient { try await $0.describeGroupOffsets(group) }
            print(renderGroupDescription(description, lags), terminator: "")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete groups and their committed offsets (only groups without members).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "One or more group ids.") var groups: [String]

        func run() async throws {
            try await connection.withClient { client in
                for group in groups { try await client.deleteGroup(group) }
            }
            print("Deletion of requested consumer groups (\(groups.map { "'\($0)'" }.joined(separator: ", "))) was successful.")
        }
    }

    struct ResetOffsets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-offsets",
            abstract: "Move an inactive group's offsets; prints the plan, and applies it only with --execute.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var group: String
        @Option(name: .customLong("topic"), help: "topic or topic:0,1,2; repeatable.") var topics: [String] = []
        @Flag(name: .customLong("all-topics"), help: "Every topic the group has committed offsets for.") var allTopics = false
        @Flag(name: .customLong("to-earliest"), help: "The log start offset.") var toEarliest = false
        @Flag(name: .customLong("to-latest"), help: "The log end offset.") var toLatest = false
        @Option(name: .customLong("to-offset"), help: "This offset (clamped to the log's range).") var toOffset: Int64?
        @Option(name: .customLong("to-datetime"), help: "The first offset at or after YYYY-MM-DDTHH:mm:SS.sss[Z|±hh:mm].")
        var toDatetime: String?
        @Option(name: .customLong("shift-by"), parsing: .unconditional, help: "Move the committed offset by N (negative: back).")
        var shiftBy: Int64?
        @Flag(name: .customLong("execute"), help: "Commit the new offsets.") var execute = false
        @Flag(name: .customLong("dry-run"), help: "Only print the plan (the default).") var dryRun = false

        func validate() throws {
            let scenarios = [toEarliest, toLatest, toOffset != nil, toDatetime != nil, shiftBy != nil].filter { $0 }.count
            guard scenarios == 1 else {
                throw ValidationError("give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by")
            }
            guard topics.isEmpty == allTopics else { throw ValidationError("give --topic (repeatable) or --all-topics") }
            guard !(execute && dryRun) else { throw ValidationError("--execute and --dry-run exclude each other") }
            if let toOffset, toOffset < 0 { throw ValidationError("--to-offset must not be negative") }
            _ = try target()
            _ = try selections()
        }

        func selections() throws -> [TopicSelection]? {
            do { return allTopics ? nil : try topics.map { try TopicSelection(parsing: $0) } } catch { throw ValidationError("\(error)") }
        }

        func target() throws -> OffsetResetTarget {
            if toEarliest { return .earliest }
            if toLatest { return .latest }
            if let toOffset { return .offset(toOffset) }
            if let shiftBy { return .shiftBy(shiftBy) }
            do { return .timestamp(try OffsetResetTarget.parseDateTime(toDatetime ?? "")) } catch { throw ValidationError("\(error)") }
        }

        func run() async throws {
            let target = try target()
            let selections = try selections()
            let plan = try await connection.withClient {
                try await $0.resetOffsets(group: group, topics: selections, to: target, execute: execute)
            }
            let rows = plan.keys.sorted().map { [group, $0.topic, String($0.partition), String(plan[$0]!)] }
            print(renderTable(["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"], rows), terminator: "")
            if !execute {
                FileHandle.standardError.write(Data("gregor: dry run, no offsets changed; add --execute to commit them\n".utf8))
            }
        }
    }
}

/// "classic" as Kafka's tools print it: "Classic".
func displayType(_ type: String) -> String {
    type.isEmpty ? "-" : type.prefix(1).uppercased() + type.dropFirst()
}

/// The state and members, then kafka-consumer-groups.sh --describe's partition table.
func renderGroupDescription(_ group: GroupDescription, _ lags: [PartitionLag]) -> String {
    let protocolText = group.protocolType.isEmpty ? "-" : group.protocolType + (group.protocolName.isEmpty ? "" : "/\(group.protocolName)")
    var out = "Group: \(group.groupId)\tState: \(group.state)\tProtocol: \(protocolText)\tMembers: \(group.members.count)\n"
    if group.members.isEmpty {
        out += "\nConsumer group '\(group.groupId)' has no active members.\n"
    } else {
        let rows = group.members.map { m in
            [m.memberId, m.groupInstanceId ?? "-", m.clientId, m.host,
             m.assignment.isEmpty ? "-" : m.assignment.map(\.description).joined(separator: ",")]
        }
        out += "\n" + renderTable(["CONSUMER-ID", "GROUP-INSTANCE-ID", "CLIENT-ID", "HOST", "ASSIGNMENT"], rows)
    }
    if !lags.isEmpty {
        let dash = { (value: Int64?) in value.map(String.init) ?? "-" }
        let rows = lags.map { l in
            [group.groupId, l.partition.topic, String(l.partition.partition), dash(l.currentOffset), dash(l.logEndOffset), dash(l.lag),
             l.member?.memberId ?? "-", l.member?.host ?? "-", l.member?.clientId ?? "-"]
        }
        out += "\n" + renderTable(
            ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"], rows)
    }
    return out
}

/// Left-aligned columns as wide as their widest cell, one space apart.
func renderTable(_ headers: [String], _ rows: [[String]]) -> String {
    var widths = headers.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, cell in
            i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }.joined(separator: " ") + "\n"
    }
    return ([headers] + rows).map(line).joined()
}

import Foundation
import KafkaProtocol
import NIOCore

extension FindCoordinatorRequest: ClientRequest { public typealias Response = FindCoordinatorResponse }
extension ListGroupsRequest: ClientRequest { public typealias Response = ListGroupsResponse }
extension DescribeGroupsRequest: ClientRequest { public typealias Response = DescribeGroupsResponse }
extension DeleteGroupsRequest: ClientRequest { public typealias Response = DeleteGroupsResponse }
extension OffsetFetchRequest: ClientRequest {
    public typealias Response = OffsetFetchResponse
    /// v10 names topics by id (KIP-848); this client names them.
    public static var clientVersions: ClosedRange<Int16> { validVersions.lowerBound...9 }
}

extension OffsetCommitRequest: ClientRequest {
    public typealias Response = OffsetCommitResponse
    /// v10 names topics by id (KIP-848); this client names them.
    public static var clientVersions: ClosedRange<Int16> { validVersions.lowerBound...9 }
}
extension JoinGroupRequest: ClientRequest { public typealias Response = JoinGroupResponse }
extension SyncGroupRequest: ClientRequest { public typealias Response = SyncGroupResponse }
extension HeartbeatRequest: ClientRequest { public typealias Response = HeartbeatResponse }
extension LeaveGroupRequest: ClientRequest { public typealias Response = LeaveGroupResponse }

/// A topic and one of its partitions (Kafka's old `TopicAndPartition`).
public struct TopicAndPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
    public var description: String { "\(topic)-\(partition)" }
}

/// A group as `groups list` shows it.
public struct GroupListing: Hashable, Sendable {
    public var groupId: String
    public var protocolType: String
    /// Empty when the broker answers ListGroups below v4.
    public var state: String
    /// Empty when the broker answers ListGroups below v5.
    public var type: String
}

/// One member of a group, its assignment decoded when the group speaks the consumer protocol.
public struct GroupMember: Hashable, Sendable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var host: String
    public var assignment: [TopicAndPartition]
}

/// What DescribeGroups says about one group.
public struct GroupDescription: Hashable, Sendable {
    public var groupId: String
    public var state: String
    public var protocolType: String
    /// The chosen assignor ("range", "cooperative-sticky"…); empty unless Stable.
    public var protocolName: String
    public var members: [GroupMember]

    /// Kafka's tools treat Empty and Dead groups as inactive: only those may have offsets reset.
    public var isInactive: Bool { state == "Empty" || state == "Dead" }
}

/// One row of `groups describe`: as kafka-consumer-groups.sh --describe prints it.
public struct PartitionLag: Hashable, Sendable {
    public var partition: TopicAndPartition
    public var currentOffset: Int64?
    public var logEndOffset: Int64?
    public var lag: Int64? {
        guard let currentOffset, let logEndOffset else { return nil }
        return max(0, logEndOffset - currentOffset)
    }
    /// The member the partition is assigned to, if any.
    public var member: GroupMember?
}

/// Where `groups reset-offsets` moves a group's offsets.
public enum OffsetResetTarget: Hashable, Sendable {
    case earliest
    case latest
    case offset(Int64)
    /// The first offset whose timestamp is at or after this many ms since the epoch (the log end if none).
    case timestamp(Int64)
    case shiftBy(Int64)
}

/// A topic and, optionally, only some of its partitions (`--topic T` or `--topic T:0,2`).
public struct TopicSelection: Hashable, Sendable {
    public var topic: String
    public var partitions: [Int32]?

    public init(topic: String, partitions: [Int32]? = nil) {
        self.topic = topic
        self.partitions = partitions
    }

    /// Parses `topic` or `topic:0,1,2` as kafka-consumer-groups.sh does.
    public init(parsing text: String) throws(GregorClientError) {
        guard let colon = text.lastIndex(of: ":") else {
            guard !text.isEmpty else { throw .invalidArgument("--topic needs a topic name") }
            self.init(topic: text)
            return
        }
        let name = String(text[..<colon])
        var partitions: [Int32] = []
        for piece in text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false) {
            guard let p = Int32(piece.trimmingCharacters(in: .whitespaces)), p >= 0 else {
                throw .invalidArgument("invalid partition list in '\(text)': use topic:0,1,2")
            }
            partitions.append(p)
        }
        guard !name.isEmpty else { throw .invalidArgument("--topic needs a topic name, got '\(text)'") }
        self.init(topic: name, partitions: partitions)
    }
}

extension KafkaClient {
    /// FindCoordinator key type for consumer groups.
    static let groupKeyType: Int8 = 0

    /// The node id and address of `group`'s coordinator (FindCoordinator, key type 0), retrying
    /// briefly while the broker is still loading its offsets.
    public func findGroupCoordinator(_ group: String) async throws -> (nodeId: Int32, address: BrokerAddress) {
        let version = try version(of: FindCoordinatorRequest.self)
        var attempt = 0
        while true {
            let request = version >= 4
                ? FindCoordinatorRequest(keyType: Self.groupKeyType, coordinatorKeys: [group])
                : FindCoordinatorRequest(key: group, keyType: Self.groupKeyType)
            let response = try await send(request, version: version)
            let (code, message, nodeId, host, port): (Int16, String?, Int32, String, Int32)
            if version >= 4 {
                guard let c = response.coordinators.first(where: { $0.key == group }) ?? response.coordinators.first else {
                    throw GregorClientError.malformedResponse("FindCoordinator: no coordinator for \(group)")
                }
                (code, message, nodeId, host, port) = (c.errorCode, c.errorMessage, c.nodeId, c.host, c.port)
            } else {
                (code, message, nodeId, host, port) = (response.errorCode, response.errorMessage, response.nodeId, response.host, response.port)
            }
            let error = ErrorCode(rawValue: code)
            if [.coordinatorNotAvailable, .coordinatorLoadInProgress, .notCoordinator].contains(error), attempt < 10 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100 * attempt))
                continue
            }
            try GregorClientError.check(code, code == 0 ? nil : message, "cannot find the coordinator of group \(group)")
            return (nodeId, BrokerAddress(host: host, port: Int(port)))
        }
    }

    /// Runs `body` on a client connected to `group`'s coordinator: this one when it is the
    /// coordinator (same address, or a cluster of one broker, whose advertised address may not be
    /// the one we dialled), else a new connection closed afterwards.
    public func withGroupCoordinator<T>(_ group: String, _ body: (KafkaClient) async throws -> T) async throws -> T {
        let (nodeId, address) = try await findGroupCoordinator(group)
        if address == self.address { return try await body(self) }
        let brokers = try await metadata(topics: []).brokers
        if brokers.count <= 1, brokers.allSatisfy({ $0.nodeId == nodeId }) { return try await body(self) }
        let other = try await KafkaClient.connect(to: address, timeouts: timeouts, security: security)
        do {
            let result = try await body(other)
            await other.close()
            return result
        } catch {
            await other.close()
            throw error
        }
    }

    // MARK: ListGroups, DescribeGroups, DeleteGroups

    /// Every group the broker coordinates, by id. `states` needs ListGroups v4 and `types` v5
    /// (KIP-518, KIP-848); both match case-insensitively, empty means all.
    public func listGroups(states: [String] = [], types: [String] = []) async throws -> [GroupListing] {
        let version = try version(of: ListGroupsRequest.self)
        if !states.isEmpty && version < 4 { throw GregorClientError.unsupportedApi("ListGroups v4 (the states filter)") }
        if !types.isEmpty && version < 5 { throw GregorClientError.unsupportedApi("ListGroups v5 (the types filter)") }
        let response = try await send(ListGroupsRequest(statesFilter: states, typesFilter: types), version: version)
        try GregorClientError.check(response.errorCode, nil, "cannot list groups")
        return response.groups.map {
            GroupListing(
                groupId: $0.groupId, protocolType: $0.protocolType, state: version >= 4 ? $0.groupState : "",
                type: version >= 5 ? $0.groupType : "")
        }.sorted { $0.groupId < $1.groupId }
    }

    /// DescribeGroups at the coordinator. A group the broker does not know is Dead, as in Kafka.
    public func describeGroup(_ group: String) async throws -> GroupDescription {
        try await withGroupCoordinator(group) { try await $0.describeGroupHere(group) }
    }

    func describeGroupHere(_ group: String) async throws -> GroupDescription {
        let response = try await send(DescribeGroupsRequest(groups: [group]))
        guard let g = response.groups.first(where: { $0.groupId == group }) ?? response.groups.first else {
            throw GregorClientError.malformedResponse("DescribeGroups: no result for \(group)")
        }
        // Kafka 4's DescribeGroups answers GROUP_ID_NOT_FOUND where earlier brokers said Dead.
        if g.errorCode == ErrorCode.groupIdNotFound.rawValue {
            return GroupDescription(groupId: group, state: "Dead", protocolType: "", protocolName: "", members: [])
        }
        try GregorClientError.check(g.errorCode, nil, "cannot describe group \(group)")
        let members = g.members.map { m in
            GroupMember(
                memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, host: m.clientHost,
                assignment: g.protocolType == "consumer" ? Self.decodeConsumerAssignment(m.memberAssignment) : [])
        }
        return GroupDescription(groupId: g.groupId, state: g.groupState, protocolType: g.protocolType, protocolName: g.protocolData, members: members)
    }

    /// The partitions in a consumer-protocol assignment: an int16 version, then
    /// ConsumerProtocolAssignment at that version (newer versions read as the newest we know, as Kafka does).
    static func decodeConsumerAssignment(_ bytes: [UInt8]) -> [TopicAndPartition] {
        var buffer = ByteBuffer(bytes: bytes)
        guard let version = buffer.readInteger(as: Int16.self), version >= 0,
            let assignment = try? ConsumerProtocolAssignment(from: &buffer, version: min(version, ConsumerProtocolAssignment.validVersions.upperBound))
        else { return [] }
        return assignment.assignedPartitions.flatMap { t in t.partitions.map { TopicAndPartition(t.topic, $0) } }.sorted()
    }

    /// DeleteGroups: the group and its offsets go. GROUP_ID_NOT_FOUND or NON_EMPTY_GROUP otherwise.
    public func deleteGroup(_ group: String) async throws {
        try await withGroupCoordinator(group) { client in
            let response = try await client.send(DeleteGroupsRequest(groupsNames: [group]))
            guard let result = response.results.first(where: { $0.groupId == group }) ?? response.results.first else {
                throw GregorClientError.malformedResponse("DeleteGroups: no result for \(group)")
            }
            try GregorClientError.check(result.errorCode, nil, "cannot delete group \(group)")
        }
    }

    // MARK: Offsets

    /// The group's committed offsets (OffsetFetch), for `topics` or every topic it has committed to.
    public func committedOffsets(group: String, topics: [String]? = nil) async throws -> [TopicAndPartition: Int64] {
        try await withGroupCoordinator(group) { try await $0.committedOffsetsHere(group: group, topics: topics) }
    }

    func committedOffsetsHere(group: String, topics: [String]?) async throws -> [TopicAndPartition: Int64] {
        let version = try version(of: OffsetFetchRequest.self)
        // v0-1 cannot ask for "all topics": name them, with every partition, from Metadata.
        var wanted: [String: [Int32]]? = nil
        if topics != nil || version < 2 {
            wanted = [:]
            for topic in try await metadata(topics: topics).topics {
                guard let name = topic.name, topic.errorCode == 0 else { continue }
                wanted![name] = topic.partitions.map(\.partitionIndex).sorted()
            }
        }
        let context = "cannot fetch the offsets of group \(group)"
        var offsets: [TopicAndPartition: Int64] = [:]
        func add(_ topic: String, _ partition: Int32, _ offset: Int64, _ code: Int16) throws {
            // UNKNOWN_TOPIC_OR_PARTITION per partition: nothing committed there (Kafka before v2).
            guard code != ErrorCode.unknownTopicOrPartition.rawValue else { return }
            try GregorClientError.check(code, nil, "\(context) (\(topic)-\(partition))")
            if offset >= 0 { offsets[TopicAndPartition(topic, partition)] = offset }
        }
        if version >= 8 {
            let topics: [OffsetFetchRequest.OffsetFetchRequestTopics]? = wanted.map { wanted in
                wanted.keys.sorted().map { OffsetFetchRequest.OffsetFetchRequestTopics(name: $0, partitionIndexes: wanted[$0]!) }
            }
            let request = OffsetFetchRequest(groups: [.init(groupId: group, topics: topics)])
            let response = try await send(request, version: version)
            guard let g = response.groups.first(where: { $0.groupId == group }) ?? response.groups.first else {
                throw GregorClientError.malformedResponse("OffsetFetch: no result for \(group)")
            }
            try GregorClientError.check(g.errorCode, nil, context)
            for t in g.topics { for p in t.partitions { try add(t.name, p.partitionIndex, p.committedOffset, p.errorCode) } }
        } else {
            let topics: [OffsetFetchRequest.OffsetFetchRequestTopic]? = wanted.map { wanted in
                wanted.keys.sorted().map { OffsetFetchRequest.OffsetFetchRequestTopic(name: $0, partitionIndexes: wanted[$0]!) }
            }
            let request = OffsetFetchRequest(groupId: group, topics: topics)
            let response = try await send(request, version: version)
            if version >= 2 { try GregorClientError.check(response.errorCode, nil, context) }
            for t in response.topics { for p in t.partitions { try add(t.name, p.partitionIndex, p.committedOffset, p.errorCode) } }
        }
        return offsets
    }

    /// Commits `offsets` as an admin (generation -1, no member id), which Kafka accepts only for
    /// an Empty or unknown group; the broker's per-partition errors are thrown.
    public func commitOffsets(group: String, _ offsets: [TopicAndPartition: Int64]) async throws {
        try await withGroupCoordinator(group) { try await $0.commitOffsetsHere(group: group, offsets) }
    }

    func commitOffsetsHere(group: String, _ offsets: [TopicAndPartition: Int64]) async throws {
        let byTopic = Dictionary(grouping: offsets.keys.sorted(), by: \.topic)
        let request = OffsetCommitRequest(
            groupId: group, generationIdOrMemberEpoch: -1, memberId: "",
            topics: byTopic.keys.sorted().map { topic in
                .init(name: topic, partitions: byTopic[topic]!.map { .init(partitionIndex: $0.partition, committedOffset: offsets[$0]!) })
            })
        let response = try await send(request)
        for t in response.topics {
            for p in t.partitions {
                try GregorClientError.check(p.errorCode, nil, "cannot commit offsets of group \(group) (\(t.name)-\(p.partitionIndex))")
            }
        }
    }

    /// The group's description and, per partition assigned or committed, the committed offset,
    /// the log end offset and the lag, sorted by topic and partition.
    public func describeGroupOffsets(_ group: String) async throws -> (GroupDescription, [PartitionLag]) {
        let (description, committed) = try await withGroupCoordinator(group) { client in
            let description = try await client.describeGroupHere(group)
            if description.state == "Dead" { throw Self.groupNotFound(group) }
            return (description, try await client.committedOffsetsHere(group: group, topics: nil))
        }
        var owner: [TopicAndPartition: GroupMember] = [:]
        for member in description.members { for tp in member.assignment { owner[tp] = member } }
        let partitions = Set(owner.keys).union(committed.keys).sorted()
        var ends: [TopicAndPartition: Int64] = [:]
        for (topic, tps) in Dictionary(grouping: partitions, by: \.topic) {
            // A deleted topic keeps its committed offsets; show its end as unknown.
            guard let offsets = try? await listOffsets(topic: topic, partitions: tps.map(\.partition), timestamp: -1) else { continue }
            for (p, o) in offsets where o >= 0 { ends[TopicAndPartition(topic, p)] = o }
        }
        let lags = partitions.map { PartitionLag(partition: $0, currentOffset: committed[$0], logEndOffset: ends[$0], member: owner[$0]) }
        return (description, lags)
    }

    static func groupNotFound(_ group: String) -> GregorClientError {
        .broker(.groupIdNotFound, "Consumer group '\(group)' does not exist.", context: "group \(group)")
    }

    /// The new offset of every selected partition (every partition the group has committed when
    /// `topics` is nil), clamped to the log's range as kafka-consumer-groups.sh does. Throws
    /// unless the group is inactive (Empty or Dead), as Kafka's tool does even for a dry run.
    public func planOffsetReset(group: String, topics: [TopicSelection]?, to target: OffsetResetTarget) async throws -> [TopicAndPartition: Int64] {
        let (description, committed) = try await withGroupCoordinator(group) { client in
            (try await client.describeGroupHere(group), try await client.committedOffsetsHere(group: group, topics: topics?.map(\.topic)))
        }
        guard description.isInactive else {
            throw GregorClientError.broker(
                .nonEmptyGroup,
                "Assignments can only be reset if the group '\(group)' is inactive, but the current state is \(description.state).",
                context: "cannot reset offsets of group \(group)")
        }
        var selected: [String: [Int32]] = [:]
        if let topics {
            for selection in topics {
                let all = try await topicMetadata(selection.topic).partitions.map(\.partitionIndex)
                if let wanted = selection.partitions, let missing = wanted.first(where: { !all.contains($0) }) {
                    throw GregorClientError.broker(.unknownTopicOrPartition, nil, context: "partition \(selection.topic)-\(missing)")
                }
                selected[selection.topic, default: []] += selection.partitions ?? all
            }
        } else {
            for tp in committed.keys { selected[tp.topic, default: []].append(tp.partition) }
        }
        var plan: [TopicAndPartition: Int64] = [:]
        for (topic, partitions) in selected.sorted(by: { $0.key < $1.key }) {
            let partitions = Array(Set(partitions)).sorted()
            let earliest = try await listOffsets(topic: topic, partitions: partitions, timestamp: -2)
            let latest = try await listOffsets(topic: topic, partitions: partitions, timestamp: -1)
            var atTime: [Int32: Int64] = [:]
            if case .timestamp(let ms) = target { atTime = try await listOffsets(topic: topic, partitions: partitions, timestamp: ms) }
            for p in partitions {
                let tp = TopicAndPartition(topic, p)
                let low = earliest[p] ?? 0, high = latest[p] ?? 0
                let wanted: Int64
                switch target {
                case .earliest: wanted = low
                case .latest: wanted = high
                case .offset(let o): wanted = o
                case .timestamp: wanted = atTime[p].flatMap { $0 >= 0 ? $0 : nil } ?? high
                case .shiftBy(let delta):
                    guard let current = committed[tp] else {
                        throw GregorClientError.invalidArgument("cannot shift the offset of \(tp): group \(group) has no committed offset there")
                    }
                    wanted = current + delta
                }
                plan[tp] = min(max(wanted, low), high)
            }
        }
        return plan
    }

    /// Plans a reset and, when `execute`, commits it. Returns the plan either way.
    public func resetOffsets(
        group: String, topics: [TopicSelection]?, to target: OffsetResetTarget, execute: Bool
    ) async throws -> [TopicAndPartition: Int64] {
        let plan = try await planOffsetReset(group: group, topics: topics, to: target)
        if execute && !plan.isEmpty { try await commitOffsets(group: group, plan) }
        return plan
    }
}

extension OffsetResetTarget {
    /// Milliseconds since the epoch for `--to-datetime`: Kafka's `YYYY-MM-DDTHH:mm:SS.sss`, with an
    /// optional zone (`Z`, `+01:00`); without one the local zone, as kafka-consumer-groups.sh.
    public static func parseDateTime(_ text: String, timeZone: TimeZone = .current) throws(GregorClientError) -> Int64 {
        let zoned = ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "yyyy-MM-dd'T'HH:mm:ssXXX", "yyyy-MM-dd'T'HH:mmXXX"]
        let local = ["yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"]
        for format in zoned + local {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = timeZone
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        throw .invalidArgument("invalid date-time '\(text)': use YYYY-MM-DDTHH:mm:SS.sss, optionally with Z or ±hh:mm")
    }
}

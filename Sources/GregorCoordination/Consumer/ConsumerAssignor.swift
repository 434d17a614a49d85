import KafkaProtocol

/// What a server-side assignor sees (Kafka's `GroupSpec` + `SubscribedTopicDescriber`).
struct AssignmentSpec {
    struct Member {
        var memberId: String
        var instanceId: String?
        var rackId: String?
        /// The existing topics the member subscribes to.
        var topics: Set<KafkaUUID>
        /// Its target assignment at the previous assignment epoch.
        var current: PartitionAssignment
    }

    var members: [Member]
    var partitionCounts: [KafkaUUID: Int32]

    /// Kafka's `SubscriptionType.HOMOGENEOUS`: every member subscribes to the same topics.
    var isHomogeneous: Bool {
        guard let first = members.first else { return true }
        return members.allSatisfy { $0.topics == first.topics }
    }
}

/// A server-side assignor (`group.consumer.assignors`; a member picks one with `ServerAssignor`).
public struct ConsumerAssignor: Hashable, Sendable, CustomStringConvertible {
    private enum Kind: Hashable, Sendable {
        case uniform
        case range
    }

    private let kind: Kind
    /// The name clients send and ConsumerGroupDescribe shows.
    public let name: String

    /// Kafka's `UniformAssignor`: balanced partition counts, sticky across epochs. The default.
    public static let uniform = ConsumerAssignor(kind: .uniform, name: "uniform")
    /// Kafka's `RangeAssignor`: contiguous ranges per topic, co-partitioned across topics.
    public static let range = ConsumerAssignor(kind: .range, name: "range")

    public var description: String { name }

    /// member id -> its new target assignment, for every member of the spec.
    func assign(_ spec: AssignmentSpec) -> [String: PartitionAssignment] {
        guard !spec.members.isEmpty else { return [:] }
        var result: [String: PartitionAssignment]
        switch kind {
        case .range:
            result = Self.assignRange(spec)
        case .uniform:
            result = spec.isHomogeneous ? Self.assignUniformHomogeneous(spec) : Self.assignUniformHeterogeneous(spec)
        }
        for member in spec.members { result[member.memberId] = (result[member.memberId] ?? [:]).normalized }
        return result
    }

    /// Kafka's `RangeAssignor`: members sorted by instance id (static first), then member id;
    /// for each topic its subscribers take ranges of `count / n` partitions, the first
    /// `count % n` one more. Not sticky, as in Kafka.
    private static func assignRange(_ spec: AssignmentSpec) -> [String: PartitionAssignment] {
        let sorted = spec.members.sorted { a, b in
            switch (a.instanceId, b.instanceId) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.memberId < b.memberId
            }
        }
        var result: [String: PartitionAssignment] = [:]
        for (topicId, count) in spec.partitionCounts {
            let subscribers = sorted.filter { $0.topics.contains(topicId) }
            guard !subscribers.isEmpty else { continue }
            let quota = Int(count) / subscribers.count
            var extra = Int(count) % subscribers.count
            var next = 0
            for member in subscribers {
                var take = quota
                if extra > 0 {
                    take += 1
                    extra -= 1
                }
                let end = Swift.min(next + take, Int(count))
                if next < end { result[member.memberId, default: [:]][topicId] = Set((next..<end).map { Int32($0) }) }
                next = end
            }
        }
        return result
    }

    /// Kafka's `UniformHomogeneousAssignmentBuilder`: each member keeps its current partitions
    /// up to its quota (`total / n`, one more for the first `total % n` members); the rest and
    /// the unassigned partitions go to members with room. Kafka walks members in hash order;
    /// Gregor walks them sorted by id so that assignments are reproducible.
    private static func assignUniformHomogeneous(_ spec: AssignmentSpec) -> [String: PartitionAssignment] {
        let topics = spec.members[0].topics.sorted(by: uuidOrder)
        guard !topics.isEmpty else { return [:] }
        let members = spec.members.sorted { $0.memberId < $1.memberId }
        var taken = Set<TopicIdPartition>()
        for member in members {
            for (topicId, partitions) in member.current { for p in partitions { taken.insert(TopicIdPartition(topicId: topicId, partition: p)) } }
        }
        var unassigned: [TopicIdPartition] = []
        var total = 0
        for topicId in topics {
            let count = Int(spec.partitionCounts[topicId] ?? 0)
            total += count
            for p in 0..<Int32(count) where !taken.contains(TopicIdPartition(topicId: topicId, partition: p)) {
                unassigned.append(TopicIdPartition(topicId: topicId, partition: p))
            }
        }
        let minQuota = total / members.count
        var extra = total % members.count
        var result: [String: PartitionAssignment] = [:]
        var unfilled: [(memberId: String, room: Int)] = []
        for member in members {
            var quota = minQuota
            if extra > 0 {
                quota += 1
                extra -= 1
            }
            var kept: PartitionAssignment = [:]
            for topicId in member.current.keys.sorted(by: uuidOrder) where spec.member(member, subscribes: topicId) {
                let count = spec.partitionCounts[topicId] ?? 0
                for p in member.current[topicId]!.filter({ $0 < count }).sorted() {
                    if quota > 0 {
                        kept[topicId, default: []].insert(p)
                        quota -= 1
                    } else {
                        unassigned.append(TopicIdPartition(topicId: topicId, partition: p))
                    }
                }
            }
            result[member.memberId] = kept
            if quota > 0 { unfilled.append((member.memberId, quota)) }
        }
        var index = 0
        for (memberId, room) in unfilled {
            for _ in 0..<room where index < unassigned.count {
                let tp = unassigned[index]
                result[memberId, default: [:]][tp.topicId, default: []].insert(tp.partition)
                index += 1
            }
        }
        return result
    }

    /// Members subscribe to different topics. Kafka's `UniformHeterogeneousAssignmentBuilder`
    /// balances with a sticky, iterative algorithm; Gregor keeps current partitions that are
    /// still subscribed, gives each free partition to its least-loaded subscriber, then moves
    /// partitions from a member to a subscriber of that topic holding at least two fewer.
    private static func assignUniformHeterogeneous(_ spec: AssignmentSpec) -> [String: PartitionAssignment] {
        let members = spec.members.sorted { $0.memberId < $1.memberId }
        var result: [String: PartitionAssignment] = [:]
        var load: [String: Int] = [:]
        var taken = Set<TopicIdPartition>()
        for member in members {
            var kept: PartitionAssignment = [:]
            for (topicId, partitions) in member.current where member.topics.contains(topicId) {
                let count = spec.partitionCounts[topicId] ?? 0
                for p in partitions where p < count && taken.insert(TopicIdPartition(topicId: topicId, partition: p)).inserted {
                    kept[topicId, default: []].insert(p)
                }
            }
            result[member.memberId] = kept
            load[member.memberId] = kept.partitionCount
        }
        let allTopics = Set(members.flatMap(\.topics)).sorted(by: uuidOrder)
        for topicId in allTopics {
            let subscribers = members.filter { $0.topics.contains(topicId) }.map(\.memberId)
            for p in 0..<(spec.partitionCounts[topicId] ?? 0) where !taken.contains(TopicIdPartition(topicId: topicId, partition: p)) {
                let target = subscribers.min { load[$0]! < load[$1]! }!
                result[target, default: [:]][topicId, default: []].insert(p)
                load[target]! += 1
            }
        }
        // Balance: bounded, each move lowers the spread between two members.
        var moved = true
        var budget = spec.partitionCounts.values.reduce(0) { $0 + Int($1) } * members.count
        while moved && budget > 0 {
            moved = false
            for topicId in allTopics {
                let subscribers = members.filter { $0.topics.contains(topicId) }.map(\.memberId)
                guard let most = subscribers.filter({ !(result[$0]?[topicId] ?? []).isEmpty }).max(by: { load[$0]! < load[$1]! }),
                      let least = subscribers.min(by: { load[$0]! < load[$1]! }),
                      load[least]! + 1 < load[most]!,
                      let p = result[most]?[topicId]?.max()
                else { continue }
                result[most]![topicId]!.remove(p)
                result[least, default: [:]][topicId, default: []].insert(p)
                load[most]! -= 1
                load[least]! += 1
                moved = true
                budget -= 1
            }
        }
        return result
    }

    private static func uuidOrder(_ a: KafkaUUID, _ b: KafkaUUID) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}

extension AssignmentSpec {
    func member(_ member: Member, subscribes topicId: KafkaUUID) -> Bool {
        member.topics.contains(topicId) && partitionCounts[topicId] != nil
    }
}

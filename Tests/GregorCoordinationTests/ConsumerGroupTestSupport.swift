import KafkaProtocol
@testable import GregorCoordination

let ordersId = KafkaUUID(high: 0, low: 1)
let paymentsId = KafkaUUID(high: 0, low: 2)
let ordersEuId = KafkaUUID(high: 0, low: 3)
let ordersUsId = KafkaUUID(high: 0, low: 4)

/// "orders" (6 partitions) and "payments" (3).
let cgDefaultTopics = TopicsImage([
    .init(id: ordersId, name: "orders", partitionCount: 6),
    .init(id: paymentsId, name: "payments", partitionCount: 3),
])

/// A group, a manual clock and a topics snapshot: the driver, minus the I/O.
struct ConsumerGroupHarness {
    var group: ConsumerGroup
    var now: Int64 = 0
    var topics: TopicsImage

    init(config: ConsumerGroupConfig = ConsumerGroupConfig(), topics: TopicsImage = cgDefaultTopics) {
        group = ConsumerGroup(groupId: "g", config: config, memberIdSource: .sequential())
        self.topics = topics
    }

    mutating func send(_ input: ConsumerHeartbeatInput) -> ConsumerHeartbeatResult {
        group.heartbeat(input, now: now, topics: topics)
    }

    mutating func advance(to time: Int64) -> [ConsumerGroupEvent] {
        now = time
        return group.tick(now: now)
    }

    var state: ConsumerGroupState { group.state }
    func member(_ id: String) -> ConsumerGroupMember? { group.members[id] }
}

/// The parts of a heartbeat response a transcript checks.
struct Reply: Equatable, CustomStringConvertible {
    var error: ErrorCode = .none
    var memberId: String?
    var epoch: Int32
    var assignment: PartitionAssignment?

    var description: String {
        "Reply(\(error.rawValue), \(memberId ?? "nil"), epoch \(epoch), \(assignment.map { "\($0)" } ?? "no assignment"))"
    }
}

extension ConsumerHeartbeatResult {
    var reply: Reply { Reply(error: errorCode, memberId: memberId, epoch: memberEpoch, assignment: assignment) }
}

func ok(_ memberId: String, _ epoch: Int32, _ assignment: PartitionAssignment? = nil) -> Reply {
    Reply(memberId: memberId, epoch: epoch, assignment: assignment)
}

func failed(_ error: ErrorCode) -> Reply {
    Reply(error: error, memberId: nil, epoch: 0, assignment: nil)
}

/// A (re)join: epoch 0, no owned partitions, rebalance timeout 60 s.
func cgJoin(
    _ memberId: String, topics: [String]? = ["orders"], regex: String? = nil, instance: String? = nil,
    assignor: String? = nil, rebalanceTimeoutMs: Int32 = 60_000, version: Int16 = 1
) -> ConsumerHeartbeatInput {
    ConsumerHeartbeatInput(
        apiVersion: version, groupId: "g", memberId: memberId, memberEpoch: 0, instanceId: instance,
        rebalanceTimeoutMs: rebalanceTimeoutMs, subscribedTopicNames: topics, subscribedTopicRegex: regex,
        serverAssignor: assignor, ownedPartitions: [:])
}

/// A regular heartbeat: only what changed (here, the owned partitions when given).
func cgBeat(
    _ memberId: String, epoch: Int32, owned: PartitionAssignment? = nil, instance: String? = nil,
    topics: [String]? = nil
) -> ConsumerHeartbeatInput {
    ConsumerHeartbeatInput(
        groupId: "g", memberId: memberId, memberEpoch: epoch, instanceId: instance,
        subscribedTopicNames: topics, ownedPartitions: owned)
}

func cgLeave(_ memberId: String, instance: String? = nil, epoch: Int32 = -1) -> ConsumerHeartbeatInput {
    ConsumerHeartbeatInput(groupId: "g", memberId: memberId, memberEpoch: epoch, instanceId: instance)
}

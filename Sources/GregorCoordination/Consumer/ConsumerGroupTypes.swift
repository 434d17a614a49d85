import KafkaProtocol

/// Partitions per topic id: a member's assignment, its owned partitions, a target assignment.
public typealias PartitionAssignment = [KafkaUUID: Set<Int32>]

/// The topics the group coordinator can see: an injected snapshot of the metadata image.
/// A new snapshot with a changed partition count, a deleted topic or a topic a regex now matches
/// changes the group's subscription metadata, and that bumps the group epoch.
public struct TopicsImage: Hashable, Sendable {
    public struct Topic: Hashable, Sendable {
        public var id: KafkaUUID
        public var name: String
        public var partitionCount: Int32
        public init(id: KafkaUUID, name: String, partitionCount: Int32) {
            self.id = id
            self.name = name
            self.partitionCount = partitionCount
        }
    }

    public private(set) var byName: [String: Topic] = [:]
    public private(set) var byId: [KafkaUUID: Topic] = [:]

    public static let empty = TopicsImage()

    public init(_ topics: [Topic] = []) {
        for topic in topics { upsert(topic) }
    }

    /// Creates the topic or changes its partition count.
    public mutating func upsert(_ topic: Topic) {
        if let old = byName[topic.name] { byId[old.id] = nil }
        byName[topic.name] = topic
        byId[topic.id] = topic
    }

    public mutating func remove(named name: String) {
        guard let old = byName.removeValue(forKey: name) else { return }
        byId[old.id] = nil
    }
}

/// Broker settings a consumer group obeys (`group.consumer.*` in Kafka's `GroupCoordinatorConfig`).
public struct ConsumerGroupConfig: Hashable, Sendable {
    /// `group.consumer.heartbeat.interval.ms`.
    public var heartbeatIntervalMs: Int32
    /// `group.consumer.session.timeout.ms`.
    public var sessionTimeoutMs: Int32
    /// `group.consumer.max.size`.
    public var maxSize: Int
    /// `group.consumer.assignors`: the first one is the default.
    public var assignors: [ConsumerAssignor]

    public init(
        heartbeatIntervalMs: Int32 = 5000,
        sessionTimeoutMs: Int32 = 45_000,
        maxSize: Int = Int(Int32.max),
        assignors: [ConsumerAssignor] = [.uniform, .range]
    ) {
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.sessionTimeoutMs = sessionTimeoutMs
        self.maxSize = maxSize
        self.assignors = assignors.isEmpty ? [.uniform] : assignors
    }

    var defaultAssignor: ConsumerAssignor { assignors[0] }

    func assignor(named name: String) -> ConsumerAssignor? {
        assignors.first { $0.name == name }
    }
}

/// Where server-generated member ids come from (ConsumerGroupHeartbeat v0 joins with an empty id).
/// Kafka uses `Uuid.randomUuid().toString()`; tests use a counter so transcripts can name ids.
public struct ConsumerMemberIdSource: Hashable, Sendable {
    private enum Kind: Hashable, Sendable {
        case random
        case sequential(prefix: String, next: Int)
    }

    private var kind: Kind

    public static var random: ConsumerMemberIdSource { ConsumerMemberIdSource(kind: .random) }

    /// "member-1", "member-2", ...
    public static func sequential(prefix: String = "member-", from first: Int = 1) -> ConsumerMemberIdSource {
        ConsumerMemberIdSource(kind: .sequential(prefix: prefix, next: first))
    }

    mutating func next() -> String {
        switch kind {
        case .random:
            return KafkaUUID.random().description
        case .sequential(let prefix, let next):
            kind = .sequential(prefix: prefix, next: next + 1)
            return prefix + String(next)
        }
    }
}

/// A ConsumerGroupHeartbeat request (v0-1), in domain terms.
public struct ConsumerHeartbeatInput: Hashable, Sendable {
    /// v1 (KIP-1082): the client generates its member id, so an empty one is invalid.
    public var apiVersion: Int16
    public var groupId: String
    /// Empty on a v0 first join: the coordinator generates one.
    public var memberId: String
    /// 0 joins, -1 leaves, -2 leaves temporarily (static members), otherwise the current epoch.
    public var memberEpoch: Int32
    public var instanceId: String?
    public var rackId: String?
    /// -1 means unchanged.
    public var rebalanceTimeoutMs: Int32
    /// nil means unchanged.
    public var subscribedTopicNames: [String]?
    /// nil means unchanged; "" clears it.
    public var subscribedTopicRegex: String?
    /// nil means unchanged.
    public var serverAssignor: String?
    /// The partitions the client owns (`TopicPartitions`); nil means unchanged.
    public var ownedPartitions: PartitionAssignment?
    /// From the request header and the connection; shown by ConsumerGroupDescribe.
    public var clientId: String
    public var clientHost: String

    public init(
        apiVersion: Int16 = 1,
        groupId: String,
        memberId: String,
        memberEpoch: Int32,
        instanceId: String? = nil,
        rackId: String? = nil,
        rebalanceTimeoutMs: Int32 = -1,
        subscribedTopicNames: [String]? = nil,
        subscribedTopicRegex: String? = nil,
        serverAssignor: String? = nil,
        ownedPartitions: PartitionAssignment? = nil,
        clientId: String = "consumer",
        clientHost: String = "/127.0.0.1"
    ) {
        self.apiVersion = apiVersion
        self.groupId = groupId
        self.memberId = memberId
        self.memberEpoch = memberEpoch
        self.instanceId = instanceId
        self.rackId = rackId
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.subscribedTopicNames = subscribedTopicNames
        self.subscribedTopicRegex = subscribedTopicRegex
        self.serverAssignor = serverAssignor
        self.ownedPartitions = ownedPartitions
        self.clientId = clientId
        self.clientHost = clientHost
    }
}

/// A ConsumerGroupHeartbeat response plus what happened to the group.
public struct ConsumerHeartbeatResult: Hashable, Sendable {
    public var errorCode: ErrorCode
    public var errorMessage: String?
    /// nil on errors, as Kafka leaves it null.
    public var memberId: String?
    public var memberEpoch: Int32
    public var heartbeatIntervalMs: Int32
    /// Sent on full requests (joins, retries after errors) and when the assignment changed.
    public var assignment: PartitionAssignment?
    public var events: [ConsumerGroupEvent]

    public init(
        errorCode: ErrorCode = .none, errorMessage: String? = nil, memberId: String?, memberEpoch: Int32,
        heartbeatIntervalMs: Int32 = 0, assignment: PartitionAssignment? = nil, events: [ConsumerGroupEvent] = []
    ) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.memberId = memberId
        self.memberEpoch = memberEpoch
        self.heartbeatIntervalMs = heartbeatIntervalMs
        self.assignment = assignment
        self.events = events
    }

    static func failure(_ error: ConsumerGroupError) -> ConsumerHeartbeatResult {
        ConsumerHeartbeatResult(errorCode: error.code, errorMessage: error.message, memberId: nil, memberEpoch: 0)
    }
}

/// An error Kafka would throw as an `ApiException`, with its message.
public struct ConsumerGroupError: Error, Hashable, Sendable {
    public var code: ErrorCode
    public var message: String
    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// What changed, for the driver: log it, persist it, reschedule its timer.
public enum ConsumerGroupEvent: Hashable, Sendable {
    case memberJoined(memberId: String)
    /// A static member rejoined under a new member id (KIP-848 static membership).
    case memberReplaced(instanceId: String, oldMemberId: String, newMemberId: String)
    case memberLeft(memberId: String)
    /// Epoch -2: the static member keeps its partitions until it rejoins or its session expires.
    case staticMemberLeftTemporarily(memberId: String)
    case memberFenced(memberId: String, reason: FenceReason)
    case groupEpochBumped(to: Int32)
    case targetAssignmentComputed(epoch: Int32, assignor: String)
    case stateChanged(from: ConsumerGroupState, to: ConsumerGroupState)

    public enum FenceReason: Hashable, Sendable {
        case sessionTimeout
        case rebalanceTimeout
    }
}

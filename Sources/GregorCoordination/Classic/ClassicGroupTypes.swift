import KafkaProtocol

/// An opaque handle the caller attaches to a request whose answer may come later (JoinGroup and
/// SyncGroup are parked until the rebalance moves on); actions name it when the answer is ready.
public struct RequestToken: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public init(integerLiteral value: UInt64) { self.rawValue = value }
    public var description: String { "#\(rawValue)" }
}

/// One protocol a member supports (for consumers: an assignor name and its subscription bytes).
public struct ClassicGroupProtocol: Hashable, Sendable {
    public var name: String
    public var metadata: [UInt8]
    public init(name: String, metadata: [UInt8] = []) {
        self.name = name
        self.metadata = metadata
    }
}

/// Broker settings the classic group obeys (`group.*` in Kafka's `GroupCoordinatorConfig`).
public struct ClassicGroupConfig: Hashable, Sendable {
    /// `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group waits for more members.
    public var initialRebalanceDelayMs: Int64 = 3000
    /// `group.max.size`.
    public var maxSize: Int = Int(Int32.max)
    /// `group.min.session.timeout.ms`.
    public var minSessionTimeoutMs: Int32 = 6000
    /// `group.max.session.timeout.ms`.
    public var maxSessionTimeoutMs: Int32 = 1_800_000
    /// KIP-394: how long a new member's parked JoinGroup may wait before it is dropped (not configurable in Kafka).
    public var newMemberJoinTimeoutMs: Int64 = 5 * 60 * 1000

    public init(
        initialRebalanceDelayMs: Int64 = 3000,
        maxSize: Int = Int(Int32.max),
        minSessionTimeoutMs: Int32 = 6000,
        maxSessionTimeoutMs: Int32 = 1_800_000,
        newMemberJoinTimeoutMs: Int64 = 5 * 60 * 1000
    ) {
        self.initialRebalanceDelayMs = initialRebalanceDelayMs
        self.maxSize = maxSize
        self.minSessionTimeoutMs = minSessionTimeoutMs
        self.maxSessionTimeoutMs = maxSessionTimeoutMs
        self.newMemberJoinTimeoutMs = newMemberJoinTimeoutMs
    }
}

/// Where the random half of a member id comes from: Kafka appends a random UUID to the client id
/// (or group instance id); tests use a counter so transcripts can name the ids.
public struct MemberIdSource: Hashable, Sendable {
    private enum Kind: Hashable, Sendable {
        case random
        case sequential(next: Int)
    }

    private var kind: Kind

    /// A random version-4 UUID in Java's lowercase form, as Kafka does.
    public static var random: MemberIdSource { MemberIdSource(kind: .random) }

    /// "1", "2", ...: member ids become "client-1", "client-2" and so on.
    public static func sequential(from first: Int = 1) -> MemberIdSource {
        MemberIdSource(kind: .sequential(next: first))
    }

    mutating func next() -> String {
        switch kind {
        case .random:
            return Self.randomUUIDString()
        case .sequential(let next):
            kind = .sequential(next: next + 1)
            return String(next)
        }
    }

    private static func randomUUIDString() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { byte -> String in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return [0..<4, 4..<6, 6..<8, 8..<10, 10..<16].map { hex[$0].joined() }.joined(separator: "-")
    }
}

/// A JoinGroup request, in domain terms.
public struct JoinInput: Hashable, Sendable {
    /// Empty for a member that does not have an id yet.
    public var memberId: String
    /// KIP-345 static membership (`group.instance.id`, JoinGroup v5+).
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var protocolType: String
    public var protocols: [ClassicGroupProtocol]
    public var sessionTimeoutMs: Int32
    /// v0 has none: pass the session timeout, as Kafka does.
    public var rebalanceTimeoutMs: Int32
    /// KIP-800 (v8+): why the client rejoins.
    public var reason: String?
    /// KIP-394 (v4+): a new dynamic member is first given an id with MEMBER_ID_REQUIRED.
    public var requireKnownMemberId: Bool
    /// KIP-814 (v9+): a static leader rejoining a stable group is told to skip the assignment.
    public var supportsSkippingAssignment: Bool

    public init(
        memberId: String = "",
        groupInstanceId: String? = nil,
        clientId: String,
        clientHost: String = "/127.0.0.1",
        protocolType: String = "consumer",
        protocols: [ClassicGroupProtocol],
        sessionTimeoutMs: Int32 = 45_000,
        rebalanceTimeoutMs: Int32 = 300_000,
        reason: String? = nil,
        apiVersion: Int16 = 9
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.protocolType = protocolType
        self.protocols = protocols
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.reason = reason
        self.requireKnownMemberId = apiVersion >= 4
        self.supportsSkippingAssignment = apiVersion >= 9
    }

    /// The reason as Kafka logs it.
    var reasonOrDefault: String {
        guard let reason, !reason.isEmpty else { return "not provided" }
        return reason
    }
}

/// One entry of the leader's JoinGroup answer: a member and its metadata for the chosen protocol.
public struct JoinedMember: Hashable, Sendable {
    public var memberId: String
    public var groupInstanceId: String?
    public var metadata: [UInt8]
    public init(memberId: String, groupInstanceId: String? = nil, metadata: [UInt8]) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.metadata = metadata
    }
}

/// A JoinGroup answer. Defaults are those of Kafka's empty `JoinGroupResponseData`.
public struct JoinResult: Hashable, Sendable {
    public var error: ErrorCode
    public var generationId: Int32
    /// Null in the response when nil (v7+); older versions write "".
    public var protocolType: String?
    public var protocolName: String?
    public var leader: String
    public var skipAssignment: Bool
    public var memberId: String
    /// Filled for the leader only.
    public var members: [JoinedMember]

    public init(
        error: ErrorCode = ErrorCode.none,
        generationId: Int32 = -1,
        protocolType: String? = nil,
        protocolName: String? = nil,
        leader: String = "",
        skipAssignment: Bool = false,
        memberId: String = "",
        members: [JoinedMember] = []
    ) {
        self.error = error
        self.generationId = generationId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.leader = leader
        self.skipAssignment = skipAssignment
        self.memberId = memberId
        self.members = members
    }

    /// An error answer naming only the member id.
    public static func failure(_ error: ErrorCode, memberId: String = "") -> JoinResult {
        JoinResult(error: error, memberId: memberId)
    }
}

/// A SyncGroup request, in domain terms.
public struct SyncInput: Hashable, Sendable {
    public var memberId: String
    public var groupInstanceId: String?
    public var generationId: Int32
    /// v5+ only; nil skips the check.
    public var protocolType: String?
    /// v5+ only; nil skips the check.
    public var protocolName: String?
    /// The leader's assignment, member id to bytes; followers send none.
    public var assignments: [String: [UInt8]]

    public init(
        memberId: String,
        groupInstanceId: String? = nil,
        generationId: Int32,
        protocolType: String? = nil,
        protocolName: String? = nil,
        assignments: [String: [UInt8]] = [:]
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.generationId = generationId
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignments = assignments
    }
}

/// A SyncGroup answer.
public struct SyncResult: Hashable, Sendable {
    public var error: ErrorCode
    public var protocolType: String?
    public var protocolName: String?
    public var assignment: [UInt8]

    public init(error: ErrorCode = ErrorCode.none, protocolType: String? = nil, protocolName: String? = nil, assignment: [UInt8] = []) {
        self.error = error
        self.protocolType = protocolType
        self.protocolName = protocolName
        self.assignment = assignment
    }

    public static func failure(_ error: ErrorCode) -> SyncResult { SyncResult(error: error) }
}

/// A Heartbeat request, in domain terms.
public struct HeartbeatInput: Hashable, Sendable {
    public var memberId: String
    public var groupInstanceId: String?
    public var generationId: Int32
    public init(memberId: String, groupInstanceId: String? = nil, generationId: Int32) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.generationId = generationId
    }
}

/// One member named in a LeaveGroup request (v0-2 carry exactly one, by member id).
public struct LeavingMember: Hashable, Sendable {
    /// Empty when an admin removes a static member by its instance id.
    public var memberId: String
    public var groupInstanceId: String?
    public var reason: String?
    public init(memberId: String, groupInstanceId: String? = nil, reason: String? = nil) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.reason = reason
    }
}

/// A LeaveGroup answer: a top-level error, or one error per member (v3+; for v0-2 the handler
/// moves the single member's error to the top level, as Kafka's `LeaveGroupResponse` does).
public struct LeaveResult: Hashable, Sendable {
    public struct Member: Hashable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public var error: ErrorCode
        public init(memberId: String, groupInstanceId: String? = nil, error: ErrorCode = ErrorCode.none) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.error = error
        }
    }

    public var error: ErrorCode
    public var members: [Member]
    public init(error: ErrorCode = ErrorCode.none, members: [Member] = []) {
        self.error = error
        self.members = members
    }
}

extension ClassicGroup {
    /// What the caller must do after an event, in the order it happened.
    public enum Action: Hashable, Sendable {
        case answerJoin(RequestToken, JoinResult)
        case answerSync(RequestToken, SyncResult)
        case answerHeartbeat(RequestToken, ErrorCode)
        case answerLeave(RequestToken, LeaveResult)
        /// Kafka never answers this parked request (a newer request from the same member replaced
        /// it, or the member was removed while waiting): release it without a response.
        case abandon(RequestToken)
    }
}

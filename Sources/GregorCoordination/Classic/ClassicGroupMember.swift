/// A member of a classic group, as Kafka's `ClassicGroupMember` keeps it.
public struct ClassicGroupMember: Hashable, Sendable {
    public var memberId: String
    /// KIP-345: set for static members.
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var rebalanceTimeoutMs: Int32
    public var sessionTimeoutMs: Int32
    public var protocolType: String
    /// In the client's order of preference.
    public var protocols: [ClassicGroupProtocol]
    /// The bytes the leader assigned in the last SyncGroup.
    public var assignment: [UInt8]
    /// KIP-800: the reason the member gave in its last JoinGroup.
    public var joinReason: String?
    /// The member's parked JoinGroup, if any.
    public internal(set) var awaitingJoin: RequestToken?
    /// The member's parked SyncGroup, if any.
    public internal(set) var awaitingSync: RequestToken?
    /// Joined during the current rebalance: its session may expire while its JoinGroup is parked.
    public internal(set) var isNew: Bool

    init(
        memberId: String,
        groupInstanceId: String?,
        clientId: String,
        clientHost: String,
        rebalanceTimeoutMs: Int32,
        sessionTimeoutMs: Int32,
        protocolType: String,
        protocols: [ClassicGroupProtocol],
        assignment: [UInt8] = [],
        joinReason: String? = nil
    ) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.sessionTimeoutMs = sessionTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.assignment = assignment
        self.joinReason = joinReason
        self.awaitingJoin = nil
        self.awaitingSync = nil
        self.isNew = false
    }

    public var isStatic: Bool { groupInstanceId != nil }
    public var isAwaitingJoin: Bool { awaitingJoin != nil }
    public var isAwaitingSync: Bool { awaitingSync != nil }

    /// The member's metadata for a protocol; empty if it does not support it.
    public func metadata(for protocolName: String?) -> [UInt8] {
        protocols.first { $0.name == protocolName }?.metadata ?? []
    }

    /// Whether a session expiry may be ignored: members parked in a rebalance cannot heartbeat,
    /// except new ones, which must not linger if their client went away (KIP-394).
    var hasSatisfiedHeartbeat: Bool {
        isNew ? false : (isAwaitingJoin || isAwaitingSync)
    }

    /// Same protocols, same metadata, same order (Kafka compares the collections as lists).
    func matches(_ other: [ClassicGroupProtocol]) -> Bool {
        protocols == other
    }

    /// The member's most preferred protocol among the candidates.
    func vote(_ candidates: Set<String>) -> String? {
        protocols.first { candidates.contains($0.name) }?.name
    }
}

/// A classic group as `__consumer_offsets` keeps it (GroupMetadataValue): what survives a restart.
/// Kafka writes it when a rebalance ends (the leader's SyncGroup, with the assignments), when the
/// group becomes Empty, and when a static member is replaced (`GroupCoordinatorRecordHelpers.
/// newGroupMetadataRecord`); it loads the group back from the last one (`GroupMetadataManager.replay`).
public struct GroupMetadataSnapshot: Hashable, Sendable {
    public var groupId: String
    /// "" when the group never had a member (Kafka writes `protocolType().orElse("")`).
    public var protocolType: String
    public var generationId: Int32
    /// The chosen protocol; nil while Empty.
    public var protocolName: String?
    public var leaderId: String?
    /// When the group entered its state; nil is written as -1.
    public var currentStateTimestamp: Int64?
    public var members: [Member]

    public struct Member: Hashable, Sendable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        /// -1 in values before v1: the session timeout then stands in for it.
        public var rebalanceTimeoutMs: Int32
        public var sessionTimeoutMs: Int32
        /// The member's metadata for the chosen protocol.
        public var subscription: [UInt8]
        public var assignment: [UInt8]

        public init(
            memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String,
            rebalanceTimeoutMs: Int32, sessionTimeoutMs: Int32, subscription: [UInt8], assignment: [UInt8]
        ) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.rebalanceTimeoutMs = rebalanceTimeoutMs
            self.sessionTimeoutMs = sessionTimeoutMs
            self.subscription = subscription
            self.assignment = assignment
        }
    }

    public init(
        groupId: String, protocolType: String, generationId: Int32, protocolName: String? = nil, leaderId: String? = nil,
        currentStateTimestamp: Int64? = nil, members: [Member] = []
    ) {
        self.groupId = groupId
        self.protocolType = protocolType
        self.generationId = generationId
        self.protocolName = protocolName
        self.leaderId = leaderId
        self.currentStateTimestamp = currentStateTimestamp
        self.members = members
    }
}

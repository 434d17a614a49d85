import KafkaProtocol

/// A classic consumer group (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) as a pure state
/// machine: each request is a `mutating func` that takes the time and returns the actions the
/// caller performs; parked requests are answered by later events. Behaviour follows Kafka 4.x
/// `ClassicGroup.java` and the classic parts of `GroupMetadataManager.java`.
///
/// The caller owns the clock: it passes `now` (milliseconds) to every event, sleeps until
/// ``nextDeadline`` and then calls ``tick(now:)``.
public struct ClassicGroup: Equatable, Sendable {
    public let groupId: String
    public let config: ClassicGroupConfig
    public internal(set) var state: State
    public internal(set) var previousState: State
    /// When the group entered its current state (DescribeGroups v5+, offset expiry of empty groups).
    public internal(set) var stateTimestampMs: Int64
    public internal(set) var generationId: Int32
    public internal(set) var protocolType: String?
    public internal(set) var protocolName: String?
    public internal(set) var leaderId: String?
    /// Why the last rebalance started, as Kafka logs it (with the client's KIP-800 reason).
    public internal(set) var lastRebalanceReason: String?

    /// Members by id; ``memberIds`` keeps join order, which decides leader succession and answer order.
    var membersById: [String: ClassicGroupMember] = [:]
    public internal(set) var memberIds: [String] = []
    /// Group instance id to member id.
    public internal(set) var staticMembers: [String: String] = [:]
    /// KIP-394: ids handed out with MEMBER_ID_REQUIRED whose owners have not joined yet.
    public internal(set) var pendingJoinMembers: Set<String> = []
    /// Members of the new generation that have not sent SyncGroup yet.
    public internal(set) var pendingSyncMembers: Set<String> = []
    /// A member joined during the initial delay, so the delay is extended.
    var newMemberAdded = false
    var timers: [TimerKey: Timer] = [:]
    var memberIdSource: MemberIdSource
    /// The GroupMetadata record the last event calls for, until the caller takes it
    /// (``takePendingMetadata()``) and writes it before performing the event's actions.
    public internal(set) var pendingMetadata: GroupMetadataSnapshot?

    public init(
        groupId: String,
        config: ClassicGroupConfig = ClassicGroupConfig(),
        memberIdSource: MemberIdSource = .random,
        now: Int64
    ) {
        self.groupId = groupId
        self.config = config
        self.memberIdSource = memberIdSource
        self.state = .empty
        self.previousState = .dead
        self.stateTimestampMs = now
        self.generationId = 0
    }

    // MARK: Members

    public var members: [ClassicGroupMember] { memberIds.compactMap { membersById[$0] } }
    public func member(_ memberId: String) -> ClassicGroupMember? { membersById[memberId] }
    public func hasMember(_ memberId: String) -> Bool { membersById[memberId] != nil }
    public var memberCount: Int { memberIds.count }
    public func isLeader(_ memberId: String) -> Bool { leaderId == memberId }

    var awaitingJoinCount: Int { membersById.values.reduce(0) { $0 + ($1.isAwaitingJoin ? 1 : 0) } }

    var hasAllMembersJoined: Bool {
        memberIds.count == awaitingJoinCount && pendingJoinMembers.isEmpty
    }

    /// The largest rebalance timeout of the members: how long a rebalance may take.
    var rebalanceTimeoutMs: Int64 {
        Int64(membersById.values.map(\.rebalanceTimeoutMs).max() ?? 0)
    }

    var canRebalance: Bool { State.preparingRebalance.validPreviousStates.contains(state) }

    mutating func transition(to newState: State, now: Int64) {
        assert(newState.validPreviousStates.contains(state), "\(groupId): \(state.name) -> \(newState.name)")
        previousState = state
        state = newState
        stateTimestampMs = now
    }

    mutating func add(_ member: ClassicGroupMember) {
        if let instanceId = member.groupInstanceId {
            staticMembers[instanceId] = member.memberId
        }
        if memberIds.isEmpty {
            protocolType = member.protocolType
        }
        if leaderId == nil {
            leaderId = member.memberId
        }
        membersById[member.memberId] = member
        memberIds.append(member.memberId)
        pendingJoinMembers.remove(member.memberId)
    }

    /// Removes a member (or pending member); a departing leader is succeeded by the oldest member.
    /// Parked requests are not answered here; callers answer or abandon them first.
    mutating func remove(_ memberId: String) {
        if let removed = membersById.removeValue(forKey: memberId) {
            memberIds.removeAll { $0 == memberId }
            if let instanceId = removed.groupInstanceId {
                staticMembers.removeValue(forKey: instanceId)
            }
        }
        if leaderId == memberId {
            leaderId = memberIds.first
        }
        pendingJoinMembers.remove(memberId)
        pendingSyncMembers.remove(memberId)
        timers.removeValue(forKey: .heartbeat(memberId))
    }

    /// The next member id for a client: `<group.instance.id or client.id>-<uuid>`, as Kafka makes it.
    mutating func generateMemberId(clientId: String, groupInstanceId: String?) -> String {
        (groupInstanceId ?? clientId) + "-" + memberIdSource.next()
    }

    /// Kafka's `validateMember`: a static member's instance id must map to this member id.
    func validateMember(_ memberId: String, groupInstanceId: String?) -> ErrorCode? {
        if let groupInstanceId {
            guard let existing = staticMembers[groupInstanceId] else { return .unknownMemberId }
            if existing != memberId { return .fencedInstanceId }
        }
        return hasMember(memberId) ? nil : .unknownMemberId
    }

    // MARK: Protocols

    /// A joining member is compatible if the group is empty (and it names a type and a
    /// protocol) or it has the group's type and supports a protocol every member supports.
    func supportsProtocols(type: String, names: Set<String>) -> Bool {
        if state == .empty {
            return !type.isEmpty && !names.isEmpty
        }
        return protocolType == type && !names.isDisjoint(with: candidateProtocols)
    }

    /// The protocols every member supports.
    var candidateProtocols: Set<String> {
        var counts: [String: Int] = [:]
        for member in membersById.values {
            for name in Set(member.protocols.map(\.name)) { counts[name, default: 0] += 1 }
        }
        return Set(counts.filter { $0.value == memberIds.count }.keys)
    }

    /// Each member votes for its preferred candidate; the most votes win (ties go to the
    /// protocol first voted for, where Kafka's pick depends on hash order).
    func selectProtocol() -> String? {
        let candidates = candidateProtocols
        var votes: [(name: String, count: Int)] = []
        for member in members {
            guard let choice = member.vote(candidates) else { continue }
            if let index = votes.firstIndex(where: { $0.name == choice }) {
                votes[index].count += 1
            } else {
                votes.append((choice, 1))
            }
        }
        var best: (name: String, count: Int)?
        for vote in votes where vote.count > (best?.count ?? 0) { best = vote }
        return best?.name
    }

    /// The member list the leader receives in its JoinGroup answer.
    var joinedMembers: [JoinedMember] {
        members.map {
            JoinedMember(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata(for: protocolName))
        }
    }

    /// A successful JoinGroup answer for the current generation.
    func joinAnswer(for memberId: String, includeMembers: Bool, leader: String? = nil, skipAssignment: Bool = false) -> JoinResult {
        JoinResult(
            generationId: generationId,
            protocolType: protocolType,
            protocolName: protocolName,
            leader: leader ?? leaderId ?? "",
            skipAssignment: skipAssignment,
            memberId: memberId,
            members: includeMembers ? joinedMembers : []
        )
    }
}

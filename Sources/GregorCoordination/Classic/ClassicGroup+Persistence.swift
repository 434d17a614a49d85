extension ClassicGroup {
    /// The group as a GroupMetadata record holds it (`GroupCoordinatorRecordHelpers.newGroupMetadataRecord`):
    /// each member's metadata for the chosen protocol and its current assignment, in join order.
    public var metadataSnapshot: GroupMetadataSnapshot {
        GroupMetadataSnapshot(
            groupId: groupId,
            protocolType: protocolType ?? "",
            generationId: generationId,
            protocolName: protocolName,
            leaderId: leaderId,
            currentStateTimestamp: stateTimestampMs,
            members: members.map {
                GroupMetadataSnapshot.Member(
                    memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, clientId: $0.clientId,
                    clientHost: $0.clientHost, rebalanceTimeoutMs: $0.rebalanceTimeoutMs,
                    sessionTimeoutMs: $0.sessionTimeoutMs, subscription: $0.metadata(for: protocolName),
                    assignment: $0.assignment)
            })
    }

    /// Notes that Kafka would append a GroupMetadata record now: the group as it is at this point
    /// of the event, kept until the caller takes it.
    mutating func persistMetadata() {
        pendingMetadata = metadataSnapshot
    }

    /// The record to write before performing the last event's actions, if any; taking it clears it.
    public mutating func takePendingMetadata() -> GroupMetadataSnapshot? {
        defer { pendingMetadata = nil }
        return pendingMetadata
    }

    /// A group loaded from its last GroupMetadata record, as Kafka's `GroupMetadataManager.replay`
    /// and `onLoaded` rebuild it: Stable with its members if it had any, else Empty; each member
    /// supports only the chosen protocol (with its stored subscription), keeps its assignment,
    /// and its session runs from `now`, so a member that comes back and heartbeats continues
    /// without a rebalance and a silent one expires into one. A rebalance timeout of -1 (values
    /// before v1) is taken from the session timeout.
    public init(
        restoring snapshot: GroupMetadataSnapshot,
        config: ClassicGroupConfig = ClassicGroupConfig(),
        memberIdSource: MemberIdSource = .random,
        now: Int64
    ) {
        self.init(groupId: snapshot.groupId, config: config, memberIdSource: memberIdSource, now: now)
        generationId = snapshot.generationId
        protocolType = snapshot.protocolType.isEmpty ? nil : snapshot.protocolType
        protocolName = snapshot.protocolName
        for m in snapshot.members {
            add(ClassicGroupMember(
                memberId: m.memberId,
                groupInstanceId: m.groupInstanceId,
                clientId: m.clientId,
                clientHost: m.clientHost,
                rebalanceTimeoutMs: m.rebalanceTimeoutMs == -1 ? m.sessionTimeoutMs : m.rebalanceTimeoutMs,
                sessionTimeoutMs: m.sessionTimeoutMs,
                protocolType: snapshot.protocolType,
                protocols: [ClassicGroupProtocol(name: snapshot.protocolName ?? "", metadata: m.subscription)],
                assignment: m.assignment))
            scheduleHeartbeat(m.memberId, timeoutMs: Int64(m.sessionTimeoutMs), now: now)
        }
        leaderId = snapshot.leaderId.flatMap { hasMember($0) ? $0 : nil } ?? memberIds.first
        if !memberIds.isEmpty { state = .stable }
        stateTimestampMs = snapshot.currentStateTimestamp ?? now
    }
}

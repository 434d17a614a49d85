extension ClassicGroup {
    /// The states of a classic (JoinGroup/SyncGroup) consumer group, with what each answers and
    /// where it may go next, as in Kafka's `ClassicGroupState.java`.
    public enum State: Sendable, Hashable, CaseIterable {
        /// The group has no members. It lingers until its offsets expire; groups that only use
        /// Kafka for offset storage (admin or "simple" consumers) live here too.
        ///
        /// Answers: JoinGroup from new members normally; SyncGroup, Heartbeat, LeaveGroup and
        /// OffsetCommit from anyone with UNKNOWN_MEMBER_ID (OffsetCommit at generation -1 is
        /// accepted); OffsetFetch allowed.
        /// Transitions: a join from a new member => PreparingRebalance;
        /// deletion, expiry or unloading => Dead.
        case empty

        /// The group is waiting for its members to (re)join.
        ///
        /// Answers: Heartbeat and SyncGroup with REBALANCE_IN_PROGRESS; LeaveGroup removes the
        /// member; JoinGroup from new or existing members is parked until every expected member
        /// has joined or the rebalance timeout passes; offset commits from the previous
        /// generation allowed; OffsetFetch allowed.
        /// Transitions: some members joined by the deadline => CompletingRebalance;
        /// every member left => Empty; unloading => Dead.
        case preparingRebalance

        /// The join phase is over; the group awaits the leader's assignment.
        ///
        /// Answers: Heartbeat normally (the session timer restarts) but OffsetCommit with
        /// REBALANCE_IN_PROGRESS; SyncGroup from followers is parked until the leader's arrives.
        /// Transitions: the leader's SyncGroup => Stable; a join from a new member or one with
        /// changed metadata, a leave or a member failure => PreparingRebalance; unloading => Dead.
        case completingRebalance

        /// Every member has its assignment.
        ///
        /// Answers: Heartbeat normally; SyncGroup with the member's current assignment; JoinGroup
        /// from a follower with unchanged metadata with the current generation; offset commits
        /// from members of the current generation.
        /// Transitions: member failure, a leave, a join from the leader, a join from a follower
        /// with new metadata or from a new member => PreparingRebalance; unloading => Dead.
        case stable

        /// The group's metadata is being removed; a final state.
        ///
        /// Answers: JoinGroup, SyncGroup, Heartbeat, LeaveGroup and OffsetCommit with
        /// COORDINATOR_NOT_AVAILABLE (the group moved or is being deleted, so the client should
        /// find the coordinator again); OffsetFetch with GROUP_ID_NOT_FOUND. Kafka's state comment
        /// says UNKNOWN_MEMBER_ID, but its code answers COORDINATOR_NOT_AVAILABLE; we follow the code.
        case dead

        /// The name Kafka prints in DescribeGroups, ListGroups and logs.
        public var name: String {
            switch self {
            case .empty: "Empty"
            case .preparingRebalance: "PreparingRebalance"
            case .completingRebalance: "CompletingRebalance"
            case .stable: "Stable"
            case .dead: "Dead"
            }
        }

        /// The states a group must be in to move to this one.
        public var validPreviousStates: Set<State> {
            switch self {
            case .empty: [.preparingRebalance]
            case .preparingRebalance: [.stable, .completingRebalance, .empty]
            case .completingRebalance: [.preparingRebalance]
            case .stable: [.completingRebalance]
            case .dead: [.stable, .preparingRebalance, .completingRebalance, .empty, .dead]
            }
        }
    }
}

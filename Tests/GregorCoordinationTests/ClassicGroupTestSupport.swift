import KafkaProtocol
@testable import GregorCoordination

let range = ClassicGroupProtocol(name: "range", metadata: [1])
let roundRobin = ClassicGroupProtocol(name: "roundrobin", metadata: [2])

/// Session 10 s, rebalance 60 s, initial delay 3 s: small numbers for transcripts.
func joinInput(
    _ clientId: String,
    memberId: String = "",
    instance: String? = nil,
    protocols: [ClassicGroupProtocol] = [range],
    protocolType: String = "consumer",
    sessionTimeoutMs: Int32 = 10_000,
    rebalanceTimeoutMs: Int32 = 60_000,
    reason: String? = nil,
    version: Int16 = 9
) -> JoinInput {
    JoinInput(
        memberId: memberId, groupInstanceId: instance, clientId: clientId, protocolType: protocolType,
        protocols: protocols, sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: rebalanceTimeoutMs,
        reason: reason, apiVersion: version)
}

/// A successful JoinGroup answer.
func joined(
    _ memberId: String, generation: Int32, leader: String, protocolName: String = "range",
    members: [JoinedMember] = [], skipAssignment: Bool = false
) -> JoinResult {
    JoinResult(
        generationId: generation, protocolType: "consumer", protocolName: protocolName, leader: leader,
        skipAssignment: skipAssignment, memberId: memberId, members: members)
}

func synced(_ assignment: [UInt8], protocolName: String = "range") -> SyncResult {
    SyncResult(protocolType: "consumer", protocolName: protocolName, assignment: assignment)
}

func newGroup(config: ClassicGroupConfig = ClassicGroupConfig()) -> ClassicGroup {
    ClassicGroup(groupId: "g", config: config, memberIdSource: .sequential(), now: 0)
}

/// Members "a-1" (leader) and "b-2" joined at 0 with v3 (no MEMBER_ID_REQUIRED round), the initial
/// delay extended once, the join completed at 6000 and both synced at 6000: Stable, generation 1,
/// assignments [10] and [20], sessions expiring at 16000.
func stableGroup(
    config: ClassicGroupConfig = ClassicGroupConfig(), sessionTimeoutMs: Int32 = 10_000, rebalanceTimeoutMs: Int32 = 60_000
) -> ClassicGroup {
    var group = newGroup(config: config)
    let timeouts = (sessionTimeoutMs, rebalanceTimeoutMs)
    _ = group.join(joinInput("a", sessionTimeoutMs: timeouts.0, rebalanceTimeoutMs: timeouts.1, version: 3), token: 1, now: 0)
    _ = group.join(joinInput("b", sessionTimeoutMs: timeouts.0, rebalanceTimeoutMs: timeouts.1, version: 3), token: 2, now: 0)
    _ = group.tick(now: 3000)
    _ = group.tick(now: 6000)
    _ = group.sync(SyncInput(memberId: "b-2", generationId: 1), token: 3, now: 6000)
    _ = group.sync(SyncInput(memberId: "a-1", generationId: 1, assignments: ["a-1": [10], "b-2": [20]]), token: 4, now: 6000)
    return group
}

/// "a-1" (leader) and "b-2" after the first join phase, before any SyncGroup (at 6000).
func completingGroup() -> ClassicGroup {
    var group = newGroup()
    _ = group.join(joinInput("a", version: 3), token: 1, now: 0)
    _ = group.join(joinInput("b", version: 3), token: 2, now: 0)
    _ = group.tick(now: 3000)
    _ = group.tick(now: 6000)
    return group
}

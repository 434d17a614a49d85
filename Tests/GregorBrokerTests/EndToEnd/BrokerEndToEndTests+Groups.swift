import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension FindCoordinatorRequest: TestRequest { typealias Response = FindCoordinatorResponse }
extension JoinGroupRequest: TestRequest { typealias Response = JoinGroupResponse }
extension SyncGroupRequest: TestRequest { typealias Response = SyncGroupResponse }
extension HeartbeatRequest: TestRequest { typealias Response = HeartbeatResponse }
extension LeaveGroupRequest: TestRequest { typealias Response = LeaveGroupResponse }
extension DescribeGroupsRequest: TestRequest { typealias Response = DescribeGroupsResponse }
extension ListGroupsRequest: TestRequest { typealias Response = ListGroupsResponse }
extension DeleteGroupsRequest: TestRequest { typealias Response = DeleteGroupsResponse }

/// Classic consumer groups over the wire: FindCoordinator, the JoinGroup/SyncGroup/Heartbeat/
/// LeaveGroup cycle, and the admin APIs.
extension BrokerEndToEndTests {
    /// READ(3) DELETE(6) DESCRIBE(8): AclEntry.supportedOperations(GROUP).
    static let allGroupOperations: Int32 = 0b1_0100_1000

    static func join(_ memberId: String = "", group: String = "g", sessionTimeoutMs: Int32 = 10_000) -> JoinGroupRequest {
        JoinGroupRequest(
            groupId: group, sessionTimeoutMs: sessionTimeoutMs, rebalanceTimeoutMs: 10_000, memberId: memberId,
            protocolType: "consumer", protocols: [.init(name: "range", metadata: [1, 2, 3])])
    }

    static func code(_ error: ErrorCode) -> Int16 { error.rawValue }

    @Test func classicGroupJoinsSyncsHeartbeatsRebalancesAndLeaves() async throws {
        try await TestBroker.with({ $0.groupInitialRebalanceDelayMs = 1000 }) { broker, c1 in
            let c2 = try await broker.connect()
            let c3 = try await broker.connect()
            defer { Task { await c2.close(); await c3.close() } }

            // KIP-394: a member without an id is given one and asked to join again with it.
            let first1 = try await c1.request(Self.join(), version: 5)
            let first2 = try await c2.request(Self.join(), version: 9)
            #expect(first1.errorCode == Self.code(.memberIdRequired))
            #expect(first2.errorCode == Self.code(.memberIdRequired))
            let m1 = first1.memberId, m2 = first2.memberId
            #expect(m1.hasPrefix("gregor-tests-") && m1 != m2)

            // Both are parked until the initial delay ends; the first to join leads.
            let j1 = try await c1.send(Self.join(m1), version: 5)
            // Connections are served concurrently: m1 must be parked first to lead.
            for _ in 0..<200 where broker.broker.groupCoordinator.parkedRequestCount == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            let j2 = try await c2.send(Self.join(m2), version: 9)
            let joined1 = try await c1.receive(JoinGroupResponse.self, version: 5, correlationId: j1)
            let joined2 = try await c2.receive(JoinGroupResponse.self, version: 9, correlationId: j2)
            #expect(joined1.errorCode == 0 && joined2.errorCode == 0)
            #expect(joined1.generationId == 1 && joined2.generationId == 1)
            #expect(joined1.leader == m1 && joined2.leader == m1)
            #expect(joined1.protocolName == "range" && joined2.protocolName == "range")
            #expect(joined2.protocolType == "consumer")
            #expect(joined1.members.map(\.memberId) == [m1, m2])
            #expect(joined1.members.map(\.metadata) == [[1, 2, 3], [1, 2, 3]])
            #expect(joined2.members.isEmpty)

            // The follower waits for the leader's assignment.
            let s2 = try await c2.send(
                SyncGroupRequest(groupId: "g", generationId: 1, memberId: m2, protocolType: "consumer", protocolName: "range"), version: 5)
            let synced1 = try await c1.request(
                SyncGroupRequest(groupId: "g", generationId: 1, memberId: m1, assignments: [
                    .init(memberId: m1, assignment: [10]), .init(memberId: m2, assignment: [20]),
                ]), version: 3)
            let synced2 = try await c2.receive(SyncGroupResponse.self, version: 5, correlationId: s2)
            #expect(synced1.errorCode == 0 && synced1.assignment == [10])
            #expect(synced2.errorCode == 0 && synced2.assignment == [20] && synced2.protocolName == "range")

            #expect(try await c1.request(HeartbeatRequest(groupId: "g", generationId: 1, memberId: m1), version: 4).errorCode == 0)
            #expect(try await c2.request(HeartbeatRequest(groupId: "g", generationId: 0, memberId: m2), version: 0).errorCode
                == Self.code(.illegalGeneration))

            let described = try #require(try await c1.request(DescribeGroupsRequest(groups: ["g"], includeAuthorizedOperations: true), version: 5).groups.first)
            #expect(described.groupState == "Stable" && described.protocolData == "range" && described.protocolType == "consumer")
            #expect(described.members.map(\.clientHost) == ["/127.0.0.1", "/127.0.0.1"])
            #expect(described.members.map(\.clientId) == ["gregor-tests", "gregor-tests"])
            #expect(described.members.map(\.memberAssignment) == [[10], [20]])
            #expect(described.members.map(\.memberMetadata) == [[1, 2, 3], [1, 2, 3]])
            #expect(described.authorizedOperations == Self.allGroupOperations)

            // A third member starts a rebalance; the others learn of it from their heartbeats.
            let m3 = try await c3.request(Self.join(), version: 7).memberId
            let j3 = try await c3.send(Self.join(m3), version: 7)
            // The join is on another connection: wait until the group has seen it.
            for _ in 0..<200 {
                let state = try await c1.request(DescribeGroupsRequest(groups: ["g"]), version: 5).groups.first?.groupState
                if state == "PreparingRebalance" { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await c1.request(HeartbeatRequest(groupId: "g", generationId: 1, memberId: m1), version: 2).errorCode
                == Self.code(.rebalanceInProgress))
            let r1 = try await c1.send(Self.join(m1), version: 5)
            let r2 = try await c2.send(Self.join(m2), version: 9)
            let rejoined = [
                try await c1.receive(JoinGroupResponse.self, version: 5, correlationId: r1),
                try await c2.receive(JoinGroupResponse.self, version: 9, correlationId: r2),
                try await c3.receive(JoinGroupResponse.self, version: 7, correlationId: j3),
            ]
            #expect(rejoined.map(\.errorCode) == [0, 0, 0])
            #expect(rejoined.map(\.generationId) == [2, 2, 2])
            #expect(rejoined[0].members.count == 3)

            // v0-2 leave one member and answer with its error; v3+ answer per member.
            #expect(try await c3.request(LeaveGroupRequest(groupId: "g", memberId: m3), version: 1).errorCode == 0)
            #expect(try await c3.request(LeaveGroupRequest(groupId: "g", memberId: m3), version: 2).errorCode == Self.code(.unknownMemberId))
            let deleting = try await c1.request(DeleteGroupsRequest(groupsNames: ["g", "missing", "g"]), version: 2)
            #expect(deleting.results.map(\.groupId) == ["g", "missing"])
            #expect(deleting.results.map(\.errorCode) == [Self.code(.nonEmptyGroup), Self.code(.groupIdNotFound)])

            let left = try await c1.request(
                LeaveGroupRequest(groupId: "g", members: [.init(memberId: m1), .init(memberId: "nobody", reason: "done"), .init(memberId: m2)]),
                version: 5)
            #expect(left.errorCode == 0)
            #expect(left.members.map(\.memberId) == [m1, "nobody", m2])
            #expect(left.members.map(\.errorCode) == [0, Self.code(.unknownMemberId), 0])

            let listed = try await c1.request(ListGroupsRequest(), version: 5)
            #expect(listed.groups.map { [$0.groupId, $0.protocolType, $0.groupState, $0.groupType] } == [["g", "consumer", "Empty", "classic"]])
            #expect(try await c1.request(ListGroupsRequest(statesFilter: ["STABLE"]), version: 4).groups.isEmpty)
            #expect(try await c1.request(ListGroupsRequest(statesFilter: ["empty"], typesFilter: ["Classic"]), version: 5).groups.count == 1)
            #expect(try await c1.request(ListGroupsRequest(typesFilter: ["consumer"]), version: 5).groups.isEmpty)

            #expect(try await c1.request(DeleteGroupsRequest(groupsNames: ["g"]), version: 0).results.map(\.errorCode) == [0])
            let gone = try await c1.request(DescribeGroupsRequest(groups: ["g"], includeAuthorizedOperations: true), version: 3)
            #expect(gone.groups.map(\.groupState) == ["Dead"])
            #expect(gone.groups.map(\.errorCode) == [0])
            #expect(gone.groups.map(\.authorizedOperations) == [Self.allGroupOperations])
            #expect(try await c1.request(ListGroupsRequest(), version: 0).groups.isEmpty)
            #expect(await broker.broker.groupCoordinator.parkedRequestCount == 0)
        }
    }

    /// Kafka never answers a JoinGroup replaced by a newer one from the same member; the client
    /// times out and reconnects. Gregor closes the old request's connection at once.
    @Test func aReplacedJoinGroupClosesItsConnection() async throws {
        try await TestBroker.with({ $0.groupInitialRebalanceDelayMs = 1000 }) { broker, c1 in
            let c2 = try await broker.connect()
            let m1 = try await c1.request(Self.join(), version: 9).memberId
            _ = try await c1.send(Self.join(m1), version: 9)
            // The first JoinGroup is parked once the group is preparing its first rebalance.
            for _ in 0..<200 where broker.broker.groupCoordinator.parkedRequestCount == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            let replacing = try await c2.send(Self.join(m1), version: 9)
            #expect(try await c1.waitForClose() == 0)
            let answer = try await c2.receive(JoinGroupResponse.self, version: 9, correlationId: replacing)
            #expect(answer.errorCode == 0 && answer.memberId == m1 && answer.generationId == 1)
            #expect(await broker.broker.groupCoordinator.parkedRequestCount == 0)
            await c2.close()
        }
    }

    @Test func findCoordinatorNamesThisBrokerForGroupsSingleAndBatched() async throws {
        try await TestBroker.with { broker, client in
            // What Metadata advertises for this broker.
            let port = Int32(broker.port)
            for version: Int16 in 0...3 {
                let found = try await client.request(FindCoordinatorRequest(key: "g"), version: version)
                #expect(found.errorCode == 0)
                #expect(found.nodeId == 1 && found.host == "127.0.0.1" && found.port == port)
                if version >= 1 { #expect(found.errorMessage == "NONE") }
            }
            let transactional = try await client.request(FindCoordinatorRequest(key: "t", keyType: 1), version: 1)
            #expect(transactional.errorCode == 0 && transactional.errorMessage == "NONE")
            #expect(transactional.nodeId == 1 && transactional.port == port)
            #expect(try await client.request(FindCoordinatorRequest(key: "s", keyType: 2), version: 3).errorCode == Self.code(.invalidRequest))

            for version: Int16 in 4...6 {
                let batch = try await client.request(FindCoordinatorRequest(coordinatorKeys: ["a", "b"]), version: version)
                #expect(batch.coordinators.map(\.key) == ["a", "b"])
                #expect(batch.coordinators.map(\.errorCode) == [0, 0])
                #expect(batch.coordinators.map(\.nodeId) == [1, 1])
                #expect(batch.coordinators.map(\.port) == [port, port])
            }
            let txn = try await client.request(FindCoordinatorRequest(keyType: 1, coordinatorKeys: ["t"]), version: 4)
            #expect(txn.coordinators.map(\.errorCode) == [0])
            #expect(txn.coordinators.map(\.nodeId) == [1])
            let bad = try await client.request(FindCoordinatorRequest(keyType: 7, coordinatorKeys: ["x", "y"]), version: 6)
            #expect(bad.coordinators.map(\.errorCode) == [Self.code(.invalidRequest), Self.code(.invalidRequest)])
            #expect(bad.coordinators.first?.errorMessage == ErrorCode.invalidRequest.defaultMessage)
        }
    }

    /// Every version of every group API encodes and decodes; unknown groups get Kafka's answers.
    @Test func groupApisAnswerUnknownGroupsAtEveryVersion() async throws {
        try await TestBroker.with { _, client in
            for version: Int16 in 0...9 {
                let join = try await client.request(Self.join("m", sessionTimeoutMs: 10_000), version: version)
                #expect(join.errorCode == Self.code(.unknownMemberId) && join.memberId == "m", "JoinGroup v\(version)")
                let badTimeout = try await client.request(Self.join(sessionTimeoutMs: 1), version: version)
                #expect(badTimeout.errorCode == Self.code(.invalidSessionTimeout), "JoinGroup v\(version)")
                let noGroup = try await client.request(Self.join(group: ""), version: version)
                #expect(noGroup.errorCode == Self.code(.invalidGroupId), "JoinGroup v\(version)")
            }
            for version: Int16 in 0...5 {
                let protocolNamed = version >= 5 ? "range" : nil
                let sync = try await client.request(
                    SyncGroupRequest(groupId: "g", generationId: 1, memberId: "m", protocolType: protocolNamed.map { _ in "consumer" }, protocolName: protocolNamed),
                    version: version)
                #expect(sync.errorCode == Self.code(.unknownMemberId), "SyncGroup v\(version)")
                let leave = try await client.request(
                    LeaveGroupRequest(groupId: "g", memberId: version < 3 ? "m" : "", members: version < 3 ? [] : [.init(memberId: "m")]), version: version)
                #expect((version < 3 ? leave.errorCode : leave.members.first?.errorCode) == Self.code(.unknownMemberId), "LeaveGroup v\(version)")
                let describe = try await client.request(DescribeGroupsRequest(groups: ["g", ""]), version: version)
                #expect(describe.groups.map(\.groupState) == ["Dead", "Dead"], "DescribeGroups v\(version)")
                #expect(describe.groups.map(\.authorizedOperations) == [Int32.min, Int32.min])
                #expect(try await client.request(ListGroupsRequest(), version: version).groups.isEmpty, "ListGroups v\(version)")
            }
            let missingProtocol = try await client.request(SyncGroupRequest(groupId: "g", generationId: 1, memberId: "m"), version: 5)
            #expect(missingProtocol.errorCode == Self.code(.inconsistentGroupProtocol))
            for version: Int16 in 0...4 {
                let beat = try await client.request(HeartbeatRequest(groupId: "g", generationId: 1, memberId: "m"), version: version)
                #expect(beat.errorCode == Self.code(.unknownMemberId), "Heartbeat v\(version)")
                let noGroup = try await client.request(HeartbeatRequest(groupId: "", generationId: 1, memberId: "m"), version: version)
                #expect(noGroup.errorCode == Self.code(.invalidGroupId), "Heartbeat v\(version)")
            }
            for version: Int16 in 0...2 {
                let delete = try await client.request(DeleteGroupsRequest(groupsNames: ["g"]), version: version)
                #expect(delete.results.map(\.errorCode) == [Self.code(.groupIdNotFound)], "DeleteGroups v\(version)")
            }
        }
    }
}

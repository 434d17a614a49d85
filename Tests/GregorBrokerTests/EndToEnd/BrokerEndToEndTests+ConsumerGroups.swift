import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension ConsumerGroupHeartbeatRequest: TestRequest { typealias Response = ConsumerGroupHeartbeatResponse }
extension ConsumerGroupDescribeRequest: TestRequest { typealias Response = ConsumerGroupDescribeResponse }

/// KIP-848 consumer groups over the wire: ConsumerGroupHeartbeat, ConsumerGroupDescribe, and
/// how the classic APIs see them.
extension BrokerEndToEndTests {
    static func cgJoin(_ memberId: String, group: String = "g", topics: [String] = ["orders"]) -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest(
            groupId: group, memberId: memberId, memberEpoch: 0, rebalanceTimeoutMs: 30_000,
            subscribedTopicNames: topics, topicPartitions: [])
    }

    static func cgBeat(_ memberId: String, epoch: Int32, owned: [KafkaUUID: [Int32]]? = nil) -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest(
            groupId: "g", memberId: memberId, memberEpoch: epoch,
            topicPartitions: owned.map { $0.map { .init(topicId: $0.key, partitions: $0.value) } })
    }

    static func partitions(_ response: ConsumerGroupHeartbeatResponse, _ topicId: KafkaUUID) -> [Int32]? {
        response.assignment.map { $0.topicPartitions.first { $0.topicId == topicId }?.partitions ?? [] }
    }

    @Test func consumerGroupMembersSplitPartitionsRevokingFirst() async throws {
        try await TestBroker.with({ $0.groupInitialRebalanceDelayMs = 1000 }) { broker, c1 in
            let c2 = try await broker.connect()
            defer { Task { await c2.close() } }
            let orders = try await c1.createTopic("orders", partitions: 6)

            let a1 = try await c1.request(Self.cgJoin("m1"), version: 1)
            #expect(a1.errorCode == 0 && a1.memberId == "m1" && a1.memberEpoch == 1 && a1.heartbeatIntervalMs == 5000)
            #expect(Self.partitions(a1, orders) == [0, 1, 2, 3, 4, 5])

            // v0: the coordinator names the member.
            let b1 = try await c2.request(Self.cgJoin(""), version: 0)
            let m2 = try #require(b1.memberId)
            #expect(b1.errorCode == 0 && !m2.isEmpty && b1.memberEpoch == 2 && Self.partitions(b1, orders) == [])

            // m1 is asked to revoke half; m2 gets nothing until m1 has let go.
            let a2 = try await c1.request(Self.cgBeat("m1", epoch: 1, owned: [orders: [0, 1, 2, 3, 4, 5]]), version: 1)
            let kept = try #require(Self.partitions(a2, orders))
            #expect(a2.memberEpoch == 1 && kept.count == 3)
            let b2 = try await c2.request(Self.cgBeat(m2, epoch: 2, owned: [:]), version: 0)
            #expect(b2.errorCode == 0 && b2.memberEpoch == 2 && b2.assignment == nil)
            let a3 = try await c1.request(Self.cgBeat("m1", epoch: 1, owned: [orders: kept]), version: 1)
            #expect(a3.errorCode == 0 && a3.memberEpoch == 2)
            let b3 = try await c2.request(Self.cgBeat(m2, epoch: 2, owned: [:]), version: 0)
            let given = try #require(Self.partitions(b3, orders))
            #expect(Set(given + kept) == Set(0...5) && given.count == 3)

            let described = try await c1.request(ConsumerGroupDescribeRequest(groupIds: ["g", "nope", ""], includeAuthorizedOperations: true), version: 0)
            #expect(described.groups.map(\.errorCode) == [0, Self.code(.groupIdNotFound), Self.code(.invalidGroupId)])
            let group = try #require(described.groups.first)
            #expect(group.groupState == "Stable" && group.groupEpoch == 2 && group.assignmentEpoch == 2 && group.assignorName == "uniform")
            #expect(group.authorizedOperations == Self.allGroupOperations)
            #expect(group.members.map(\.memberId).sorted() == ["m1", m2].sorted())
            let member1 = try #require(group.members.first { $0.memberId == "m1" })
            #expect(member1.clientHost == "/127.0.0.1" && member1.clientId == "gregor-tests" && member1.subscribedTopicNames == ["orders"])
            #expect(member1.assignment.topicPartitions.map(\.topicName) == ["orders"])
            #expect(member1.assignment.topicPartitions.first?.partitions == kept)
            #expect(member1.targetAssignment == member1.assignment)
            // KIP-1099: v1 says which protocol each member speaks; v0 leaves the default.
            #expect(group.members.map(\.memberType) == [-1, -1])
            let typed = try await c1.request(ConsumerGroupDescribeRequest(groupIds: ["g"]), version: 1)
            #expect(typed.groups.first?.members.map(\.memberType) == [1, 1])

            // m1 leaves; m2 takes everything at the next epoch.
            let left = try await c1.request(Self.cgBeat("m1", epoch: -1), version: 1)
            #expect(left.errorCode == 0 && left.memberEpoch == -1)
            let b4 = try await c2.request(Self.cgBeat(m2, epoch: 2, owned: [orders: given]), version: 0)
            #expect(b4.memberEpoch == 3 && Self.partitions(b4, orders) == [0, 1, 2, 3, 4, 5])
            let stale = try await c1.request(Self.cgBeat("m1", epoch: 2), version: 1)
            #expect(stale.errorCode == Self.code(.unknownMemberId) && stale.memberId == nil && stale.errorMessage != nil)
        }
    }

    @Test func consumerAndClassicGroupsShareOneNamespace() async throws {
        try await TestBroker.with({ $0.groupInitialRebalanceDelayMs = 1000 }) { broker, c1 in
            let c2 = try await broker.connect()
            defer { Task { await c2.close() } }
            try await c1.createTopic("orders", partitions: 6)
            #expect(try await c1.request(Self.cgJoin("m1"), version: 1).errorCode == 0)

            // A classic member parks in classic group "cg" (v3: no member id round trip).
            let parked = try await c2.send(Self.join(group: "cg"), version: 3)
            for _ in 0..<200 where broker.broker.groupCoordinator.parkedRequestCount == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }

            let listed = try await c1.request(ListGroupsRequest(), version: 5).groups.sorted { $0.groupId < $1.groupId }
            #expect(listed.map { [$0.groupId, $0.groupType, $0.protocolType, $0.groupState] }
                == [["cg", "classic", "consumer", "PreparingRebalance"], ["g", "consumer", "consumer", "Stable"]])
            #expect(try await c1.request(ListGroupsRequest(typesFilter: ["consumer"]), version: 5).groups.map(\.groupId) == ["g"])
            #expect(try await c1.request(ListGroupsRequest(typesFilter: ["Classic"]), version: 5).groups.map(\.groupId) == ["cg"])

            // Classic APIs on a consumer group.
            let join = try await c1.request(Self.join(group: "g"), version: 9)
            #expect(join.errorCode == Self.code(.groupIdNotFound))
            let described = try await c1.request(DescribeGroupsRequest(groups: ["g"]), version: 5).groups
            #expect(described.map(\.groupState) == ["Dead"] && described.map(\.errorCode) == [0])
            #expect(try await c1.request(HeartbeatRequest(groupId: "g", generationId: 1, memberId: "m1"), version: 4).errorCode
                == Self.code(.unknownMemberId))
            #expect(try await c1.request(DeleteGroupsRequest(groupsNames: ["g"]), version: 2).results.map(\.errorCode)
                == [Self.code(.nonEmptyGroup)])

            // KIP-848 APIs on a classic group with members.
            let refused = try await c1.request(Self.cgJoin("x", group: "cg"), version: 1)
            #expect(refused.errorCode == Self.code(.groupIdNotFound) && refused.errorMessage == "Group cg is not a consumer group")
            let notConsumer = try await c1.request(ConsumerGroupDescribeRequest(groupIds: ["cg"]), version: 0)
            #expect(notConsumer.groups.map(\.errorCode) == [Self.code(.groupIdNotFound)])
            _ = try await c2.receive(JoinGroupResponse.self, version: 3, correlationId: parked)

            // Empty, the consumer group can be deleted.
            #expect(try await c1.request(Self.cgBeat("m1", epoch: -1), version: 1).errorCode == 0)
            #expect(try await c1.request(DeleteGroupsRequest(groupsNames: ["g"]), version: 2).results.map(\.errorCode) == [0])
            #expect(try await c1.request(ListGroupsRequest(typesFilter: ["consumer"]), version: 5).groups.isEmpty)
        }
    }

    @Test func apiVersionsFinalizesGroupVersionOne() async throws {
        try await TestBroker.with { _, client in
            let v4 = try await client.request(ApiVersionsRequest(clientSoftwareName: "t", clientSoftwareVersion: "1"), version: 4)
            #expect(v4.supportedFeatures.map { "\($0.name) \($0.minVersion)-\($0.maxVersion)" } == ["group.version 0-1", "transaction.version 0-2"])
            #expect(v4.finalizedFeatures.map { "\($0.name) \($0.minVersionLevel)-\($0.maxVersionLevel)" } == ["group.version 1-1", "transaction.version 2-2"])
            #expect(v4.finalizedFeaturesEpoch == 0)
            #expect(v4.apiKeys.contains { $0.apiKey == 68 && $0.minVersion == 0 && $0.maxVersion == 1 })
            #expect(v4.apiKeys.contains { $0.apiKey == 69 && $0.maxVersion == 1 })
            // KAFKA-17492: below v4, supported features starting at level 0 are left out.
            let v3 = try await client.request(ApiVersionsRequest(clientSoftwareName: "t", clientSoftwareVersion: "1"), version: 3)
            #expect(v3.supportedFeatures.isEmpty && v3.finalizedFeatures.count == 2)
        }
    }
}

import KafkaProtocol
import Testing

@testable import GregorBroker

extension ElectLeadersRequest: TestRequest { typealias Response = ElectLeadersResponse }
extension AlterPartitionReassignmentsRequest: TestRequest { typealias Response = AlterPartitionReassignmentsResponse }
extension ListPartitionReassignmentsRequest: TestRequest { typealias Response = ListPartitionReassignmentsResponse }

/// ElectLeaders, AlterPartitionReassignments and ListPartitionReassignments against a broker
/// alone: the controller's machine on the image of a cluster of one.
@Suite(.timeLimit(.minutes(1)))
struct PartitionAdminTests {
    typealias Codes = [[Int16]]

    static func codes(_ r: ElectLeadersResponse) -> Codes { r.replicaElectionResults.map { $0.partitionResult.map(\.errorCode) } }
    static func codes(_ r: AlterPartitionReassignmentsResponse) -> Codes { r.responses.map { $0.partitions.map(\.errorCode) } }

    @Test func preferredElectionIsNotNeededAlone() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("a", partitions: 2)
            let request = ElectLeadersRequest(electionType: 0, topicPartitions: [
                .init(topic: "a", partitions: [0, 1, 2]), .init(topic: "missing", partitions: [0]),
            ])
            let notNeeded = ErrorCode.electionNotNeeded.rawValue, unknown = ErrorCode.unknownTopicOrPartition.rawValue
            for version: Int16 in 0...2 {
                let r = try await client.request(request, version: version)
                #expect(r.errorCode == 0)
                #expect(r.replicaElectionResults.map(\.topic) == ["a", "missing"])
                #expect(Self.codes(r) == [[notNeeded, notNeeded, unknown], [unknown]])
                #expect(r.replicaElectionResults[0].partitionResult.map(\.errorMessage) == [
                    "Leader election not needed for topic partition.", "Leader election not needed for topic partition.",
                    "No such partition as a-2",
                ])
                #expect(r.replicaElectionResults[1].partitionResult[0].errorMessage == "No such topic as missing")
            }
        }
    }

    /// Kafka answers an unclean election for a partition with a leader ELECTION_NOT_NEEDED too.
    @Test func uncleanElectionIsNotNeededWhileTheLeaderLives() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("a")
            let r = try await client.request(ElectLeadersRequest(electionType: 1, topicPartitions: [.init(topic: "a", partitions: [0])]), version: 2)
            #expect(Self.codes(r) == [[ErrorCode.electionNotNeeded.rawValue]])
        }
    }

    /// For every partition, those needing no election are left out; every topic is still listed.
    @Test func electingForEveryPartitionLeavesOutThoseNotNeeded() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("b", partitions: 3)
            _ = try await client.createTopic("a")
            let r = try await client.request(ElectLeadersRequest(electionType: 0, topicPartitions: nil), version: 2)
            #expect(r.errorCode == 0 && r.replicaElectionResults.map(\.topic) == ["a", "b"] && Self.codes(r) == [[], []])
            let none = try await client.request(ElectLeadersRequest(electionType: 0, topicPartitions: []), version: 2)
            #expect(none.errorCode == 0 && none.replicaElectionResults.isEmpty)
        }
    }

    @Test func anUnknownElectionTypeIsAnInvalidRequest() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("a")
            let r = try await client.request(ElectLeadersRequest(electionType: 7, topicPartitions: [.init(topic: "a", partitions: [0])]), version: 1)
            #expect(r.errorCode == ErrorCode.invalidRequest.rawValue && Self.codes(r) == [[ErrorCode.invalidRequest.rawValue]])
            #expect(r.replicaElectionResults[0].partitionResult[0].errorMessage == "Unknown election type 7")
        }
    }

    @Test func reassigningToThisBrokerChangesNothing() async throws {
        try await TestBroker.with { broker, client in
            _ = try await client.createTopic("a", partitions: 2)
            let node = broker.broker.config.nodeId
            for version: Int16 in 0...1 {
                let r = try await client.request(AlterPartitionReassignmentsRequest(topics: [
                    .init(name: "a", partitions: [.init(partitionIndex: 0, replicas: [node]), .init(partitionIndex: 1, replicas: [node])]),
                ]), version: version)
                #expect(r.errorCode == 0 && r.errorMessage == nil && r.allowReplicationFactorChange)
                #expect(r.responses.map(\.name) == ["a"] && Self.codes(r) == [[0, 0]])
                #expect(r.responses[0].partitions.map(\.errorMessage) == [nil, nil])
            }
            let listed = try await client.request(ListPartitionReassignmentsRequest(topics: nil), version: 0)
            #expect(listed.errorCode == 0 && listed.errorMessage == nil && listed.topics.isEmpty)
        }
    }

    @Test func reassigningElsewhereIsRefusedAsKafkaRefusesIt() async throws {
        try await TestBroker.with { broker, client in
            _ = try await client.createTopic("a")
            let node = broker.broker.config.nodeId
            let r = try await client.request(AlterPartitionReassignmentsRequest(topics: [
                .init(name: "a", partitions: [
                    .init(partitionIndex: 0, replicas: [node, 7]),
                    .init(partitionIndex: 0, replicas: []),
                    .init(partitionIndex: 0, replicas: [node, node]),
                    .init(partitionIndex: 0, replicas: nil),
                    .init(partitionIndex: 5, replicas: [node]),
                ]),
                .init(name: "missing", partitions: [.init(partitionIndex: 0, replicas: [node])]),
            ]), version: 1)
            let invalid = ErrorCode.invalidReplicaAssignment.rawValue, unknown = ErrorCode.unknownTopicOrPartition.rawValue
            #expect(r.errorCode == 0)
            #expect(Self.codes(r) == [[invalid, invalid, invalid, ErrorCode.noReassignmentInProgress.rawValue, unknown], [unknown]])
            #expect(r.responses[0].partitions.map(\.errorMessage) == [
                "The manual partition assignment includes broker 7, but no such broker is registered.",
                "The manual partition assignment includes an empty replica list.",
                "The manual partition assignment includes the broker \(node) more than once.",
                "No partition reassignment is in progress.",
                "Unable to find partition a:5.",
            ])
            #expect(r.responses[1].partitions[0].errorMessage == "Unable to find a topic named missing.")
        }
    }

    /// KIP-860: with allow_replication_factor_change false a target of another size is refused,
    /// and the response echoes the option.
    @Test func aReplicationFactorChangeCanBeRefused() async throws {
        try await TestBroker.with { broker, client in
            _ = try await client.createTopic("a")
            let node = broker.broker.config.nodeId
            let r = try await client.request(AlterPartitionReassignmentsRequest(allowReplicationFactorChange: false, topics: [
                .init(name: "a", partitions: [.init(partitionIndex: 0, replicas: [node])]),
            ]), version: 1)
            #expect(!r.allowReplicationFactorChange && Self.codes(r) == [[0]])
            // Broker 7's absence is found first, as Kafka validates the assignment before its size.
            let bigger = try await client.request(AlterPartitionReassignmentsRequest(allowReplicationFactorChange: false, topics: [
                .init(name: "a", partitions: [.init(partitionIndex: 0, replicas: [node, 7])]),
            ]), version: 1)
            #expect(Self.codes(bigger) == [[ErrorCode.invalidReplicaAssignment.rawValue]])
        }
    }

    @Test func listingNamedPartitionsLeavesOutThoseNotMoving() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("a")
            let r = try await client.request(ListPartitionReassignmentsRequest(topics: [
                .init(name: "a", partitionIndexes: [0, 3]), .init(name: "missing", partitionIndexes: [0]),
            ]), version: 0)
            #expect(r.errorCode == 0 && r.topics.isEmpty)
        }
    }

    @Test func theApisNeedClusterPermissions() async throws {
        try await SaslListenerTests.withBroker(authorizer: AclTests.settings) { _, plain, port in
            // PLAINTEXT is User:ANONYMOUS, with no ACLs.
            let failed = ErrorCode.clusterAuthorizationFailed.rawValue
            let elect = ElectLeadersRequest(electionType: 0, topicPartitions: [.init(topic: "a", partitions: [0, 1])])
            let v1 = try await plain.request(elect, version: 1)
            #expect(v1.errorCode == failed && Self.codes(v1) == [[failed, failed]])
            #expect(v1.replicaElectionResults[0].partitionResult[0].errorMessage == "Cluster authorization failed.")
            // v0 has no top-level error code: only the partitions tell.
            let v0 = try await plain.request(elect, version: 0)
            #expect(v0.errorCode == 0 && Self.codes(v0) == [[failed, failed]])
            let all = try await plain.request(ElectLeadersRequest(electionType: 0, topicPartitions: nil), version: 2)
            #expect(all.errorCode == failed && all.replicaElectionResults.isEmpty)

            let alter = try await plain.request(AlterPartitionReassignmentsRequest(topics: [
                .init(name: "a", partitions: [.init(partitionIndex: 0, replicas: [1])]),
            ]), version: 1)
            #expect(alter.errorCode == failed && alter.errorMessage == "Cluster authorization failed." && Self.codes(alter) == [[failed]])

            let list = try await plain.request(ListPartitionReassignmentsRequest(topics: [.init(name: "a", partitionIndexes: [0])]), version: 0)
            #expect(list.errorCode == failed && list.topics.map(\.name) == ["a"] && list.topics[0].partitions.map(\.partitionIndex) == [0])

            // alice is a super user.
            let alice = try await AclTests.as_("alice", port)
            #expect(try await alice.request(ListPartitionReassignmentsRequest(topics: nil), version: 0).errorCode == 0)
            #expect(try await alice.request(ElectLeadersRequest(electionType: 0, topicPartitions: nil), version: 2).errorCode == 0)
            await alice.close()
        }
    }
}

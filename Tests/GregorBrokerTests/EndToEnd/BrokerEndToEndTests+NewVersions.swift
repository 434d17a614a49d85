import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension WriteTxnMarkersRequest: TestRequest { typealias Response = WriteTxnMarkersResponse }

/// The versions Kafka 4.1-4.3 added, each with its behaviour.
@Suite struct NewVersionTests {
    @Test func metadataV13FetchV18AndListOffsetsV11() async throws {
        try await TestBroker.with { _, client in
            let id = try await client.createTopic("fresh")
            _ = try await client.produce(Requests.produce("fresh", ["a", "b"]))
            // KIP-1102: the top-level error code is 0 from a healthy broker.
            let metadata = try await client.request(Requests.metadata(["fresh"]), version: 13)
            #expect(metadata.errorCode == 0 && metadata.topics.map(\.errorCode) == [0])
            // KIP-1166: a follower's high watermark rides in a tag; a broker ignores it.
            var fetch = Requests.fetch(id: id, offset: 0)
            fetch.topics[0].partitions[0].highWatermark = 1
            let fetched = try await client.fetch(fetch, version: 18)
            #expect(fetched.errorCode == 0 && fetched.highWatermark == 2)
            #expect(try FetchedRecord.all(in: fetched.records).map(\.value) == ["a", "b"])

            func listed(_ timestamp: Int64, version: Int16) async throws -> ListOffsetsResponse.ListOffsetsPartitionResponse? {
                try await client.request(Requests.listOffsets("fresh", timestamp: timestamp), version: version).topics.first?.partitions.first
            }
            // KIP-1023: nothing is pending upload without tiered storage.
            let pending = try await listed(-6, version: 11)
            #expect(pending?.errorCode == 0 && pending?.offset == -1 && pending?.leaderEpoch == -1)
            #expect(try await listed(-6, version: 10)?.errorCode == ErrorCode.unsupportedVersion.rawValue)
            // Each special timestamp needs the version that brought it.
            #expect(try await listed(-3, version: 6)?.errorCode == ErrorCode.unsupportedVersion.rawValue)
            #expect(try await listed(-3, version: 7)?.offset == 1)
            #expect(try await listed(-1, version: 11)?.offset == 2)
            #expect(try await listed(-9, version: 11)?.errorCode == ErrorCode.unsupportedVersion.rawValue)
        }
    }

    @Test func describeGroupsV6SaysAnUnknownGroupIsNotFound() async throws {
        try await TestBroker.with { _, client in
            let old = try await client.request(DescribeGroupsRequest(groups: ["nobody"]), version: 5)
            #expect(old.groups.first?.errorCode == 0 && old.groups.first?.groupState == "Dead")
            let new = try await client.request(DescribeGroupsRequest(groups: ["nobody"]), version: 6)
            #expect(new.groups.first?.errorCode == ErrorCode.groupIdNotFound.rawValue && new.groups.first?.groupState == "Dead")
            #expect(new.groups.first?.errorMessage == "Group nobody not found.")
        }
    }

    @Test func describeClusterV2AndDescribeLogDirsV5() async throws {
        try await TestBroker.with { broker, client in
            _ = try await client.createTopic("dirs")
            let cluster = try await client.request(DescribeClusterRequest(includeFencedBrokers: true), version: 2)
            #expect(cluster.errorCode == 0 && cluster.brokers.map(\.brokerId) == [broker.broker.config.nodeId])
            #expect(cluster.brokers.map(\.isFenced) == [false])
            let dirs = try await client.request(DescribeLogDirsRequest(topics: nil), version: 5)
            #expect(dirs.results.count == 1 && dirs.results.first?.isCordoned == false)
            #expect(dirs.results.first?.topics.map(\.name) == ["dirs"])
        }
    }

    @Test func listTransactionsV2MatchesTheWholeIdAgainstAPattern() async throws {
        try await TestBroker.with { _, client in
            for id in ["app-1", "app-2", "other"] {
                let r = try await client.request(InitProducerIdRequest(transactionalId: id, transactionTimeoutMs: 60_000), version: 4)
                #expect(r.errorCode == 0)
            }
            func list(_ pattern: String?) async throws -> ListTransactionsResponse {
                try await client.request(ListTransactionsRequest(transactionalIdPattern: pattern), version: 2)
            }
            #expect(try await list("app-.*").transactionStates.map(\.transactionalId) == ["app-1", "app-2"])
            #expect(try await list("app").transactionStates.isEmpty)  // a whole match, not a search
            #expect(try await list(nil).transactionStates.count == 3)
            #expect(try await list("").transactionStates.count == 3)
            let bad = try await list("app-(")
            #expect(bad.errorCode == ErrorCode.invalidRegularExpression.rawValue && bad.transactionStates.isEmpty)
        }
    }

    /// KIP-1228: at transaction version 2 a marker must raise the transaction's epoch.
    @Test func writeTxnMarkersV2RefusesAMarkerThatDoesNotBumpTheEpoch() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("tv2")
            let init_ = try await client.request(InitProducerIdRequest(transactionalId: "t", transactionTimeoutMs: 60_000), version: 4)
            let (pid, epoch) = (init_.producerId, init_.producerEpoch)
            let added = try await client.request(AddPartitionsToTxnRequest(
                v3AndBelowTransactionalId: "t", v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch,
                v3AndBelowTopics: [.init(name: "tv2", partitions: [0])]), version: 3)
            #expect(added.resultsByTopicV3AndBelow.first?.resultsByPartition.map(\.partitionErrorCode) == [0])
            var produce = Requests.produce("tv2", records: try BrokerEndToEndTests.transactionalBatch(pid, epoch: epoch, sequence: 0, ["x"]))
            produce.transactionalId = "t"
            #expect(try await client.produce(produce, version: 11).errorCode == 0)
            func marker(epoch: Int16, version: Int8) async throws -> Int16? {
                let r = try await client.request(WriteTxnMarkersRequest(markers: [.init(
                    producerId: pid, producerEpoch: epoch, transactionResult: false, topics: [.init(name: "tv2", partitionIndexes: [0])],
                    coordinatorEpoch: 0, transactionVersion: version)]), version: 2)
                return r.markers.first?.topics.first?.partitions.first?.errorCode
            }
            #expect(try await marker(epoch: epoch, version: 2) == ErrorCode.invalidProducerEpoch.rawValue)
            #expect(try await marker(epoch: epoch + 1, version: 2) == 0)
            // Retried once the transaction is closed: accepted again.
            #expect(try await marker(epoch: epoch + 1, version: 2) == 0)
        }
    }

    /// KIP-516 and KIP-848: Produce v13, OffsetCommit v10 and OffsetFetch v10 name topics by id.
    @Test func produceAndOffsetsByTopicId() async throws {
        try await TestBroker.with { _, client in
            let id = try await client.createTopic("ids")
            let unknown = KafkaUUID(high: 7, low: 7)
            var produce = Requests.produce("", records: try Requests.batch(["a", "b"]))
            produce.topicData = [
                .init(topicId: id, partitionData: [.init(index: 0, records: try Requests.batch(["a", "b"]))]),
                .init(topicId: unknown, partitionData: [.init(index: 0, records: try Requests.batch(["c"]))]),
            ]
            let produced = try await client.request(produce, version: 13)
            #expect(produced.responses.map(\.topicId) == [id, unknown])
            #expect(produced.responses.map { $0.partitionResponses.first?.errorCode } == [0, ErrorCode.unknownTopicId.rawValue])
            #expect(try await client.fetchAll("ids").map(\.value) == ["a", "b"])

            let commit = OffsetCommitRequest(groupId: "g", topics: [
                .init(topicId: id, partitions: [.init(partitionIndex: 0, committedOffset: 2)]),
                .init(topicId: unknown, partitions: [.init(partitionIndex: 0, committedOffset: 1)]),
            ])
            let committed = try await client.request(commit, version: 10)
            #expect(committed.topics.map(\.topicId) == [id, unknown])
            #expect(committed.topics.map { $0.partitions.first?.errorCode } == [0, ErrorCode.unknownTopicId.rawValue])

            let fetch = OffsetFetchRequest(groups: [.init(groupId: "g", topics: [
                .init(topicId: id, partitionIndexes: [0]), .init(topicId: unknown, partitionIndexes: [0])])])
            let fetched = try #require(try await client.request(fetch, version: 10).groups.first)
            #expect(fetched.errorCode == 0 && fetched.topics.map(\.topicId) == [id, unknown])
            #expect(fetched.topics.map { $0.partitions.first?.committedOffset } == [2, -1])
            #expect(fetched.topics.map { $0.partitions.first?.errorCode } == [0, ErrorCode.unknownTopicId.rawValue])
            // All of the group's offsets, by id; the same by name at v9.
            let all = try #require(try await client.request(OffsetFetchRequest(groups: [.init(groupId: "g", topics: nil)]), version: 10).groups.first)
            #expect(all.topics.map(\.topicId) == [id] && all.topics.first?.partitions.first?.committedOffset == 2)
            let byName = try #require(try await client.request(OffsetFetchRequest(groups: [.init(groupId: "g", topics: nil)]), version: 9).groups.first)
            #expect(byName.topics.map(\.name) == ["ids"])
        }
    }
}

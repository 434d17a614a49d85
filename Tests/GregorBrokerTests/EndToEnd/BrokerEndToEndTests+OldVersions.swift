import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension OffsetForLeaderEpochRequest: TestRequest { typealias Response = OffsetForLeaderEpochResponse }
extension DescribeLogDirsRequest: TestRequest { typealias Response = DescribeLogDirsResponse }

/// The versions Kafka 4 removed (KIP-896) and Gregor keeps for clients from before Kafka 2.1.
@Suite struct OldVersionTests {
    /// What Gregor advertised while following the Kafka 4.0 specs: moving the pin loses none of it.
    static let servedBefore4_3: [(ApiKey, ClosedRange<Int16>)] = [
        (.produce, 0...11), (.fetch, 0...17), (.listOffsets, 1...10), (.metadata, 0...12), (.offsetCommit, 0...9),
        (.offsetFetch, 0...9), (.findCoordinator, 0...6), (.joinGroup, 0...9), (.heartbeat, 0...4), (.leaveGroup, 0...5),
        (.syncGroup, 0...5), (.describeGroups, 0...5), (.listGroups, 0...5), (.saslHandshake, 0...1), (.apiVersions, 0...4),
        (.createTopics, 2...7), (.deleteTopics, 1...6), (.deleteRecords, 0...2), (.initProducerId, 0...5),
        (.offsetForLeaderEpoch, 2...4), (.addPartitionsToTxn, 0...5), (.addOffsetsToTxn, 0...4), (.endTxn, 0...5),
        (.writeTxnMarkers, 0...1), (.txnOffsetCommit, 0...4), (.describeAcls, 0...3), (.createAcls, 0...3),
        (.deleteAcls, 0...3), (.describeConfigs, 1...4), (.alterConfigs, 0...2), (.describeLogDirs, 1...4),
        (.saslAuthenticate, 0...2), (.createPartitions, 0...3), (.createDelegationToken, 0...3),
        (.renewDelegationToken, 0...2), (.expireDelegationToken, 0...2), (.describeDelegationToken, 0...3),
        (.deleteGroups, 0...2), (.incrementalAlterConfigs, 0...1), (.offsetDelete, 0...0), (.describeClientQuotas, 0...1),
        (.alterClientQuotas, 0...1), (.describeUserScramCredentials, 0...0), (.alterUserScramCredentials, 0...0),
        (.describeCluster, 0...1), (.describeProducers, 0...0), (.describeTransactions, 0...0), (.listTransactions, 0...1),
        (.consumerGroupHeartbeat, 0...1), (.consumerGroupDescribe, 0...0), (.getTelemetrySubscriptions, 0...0),
        (.pushTelemetry, 0...0), (.describeTopicPartitions, 0...0),
    ]

    @Test func everyVersionServedBeforeIsStillServed() {
        for (key, before) in Self.servedBefore4_3 {
            let now = SupportedApis.all.versions(key)
            #expect(now.map { $0.lowerBound <= before.lowerBound && before.upperBound <= $0.upperBound } == true, "\(key): \(before) -> \(String(describing: now))")
        }
    }

    /// ApiVersions advertises, for every API Gregor serves, the union of the 4.0 and 4.3 specs'
    /// ranges: every version Kafka 4.3 serves and every one Kafka 4 dropped (KIP-896).
    @Test func servedRangesAreTheUnionOfBothPins() {
        for e in SupportedApis.all.entries {
            let specs = e.key.validVersions!
            // A newest version its spec marks unstable is not advertised (InitProducerId v6 in 4.3).
            let top = e.key.latestVersionUnstable ? specs.upperBound - 1 : specs.upperBound
            #expect(e.versions == specs.lowerBound...top, "\(e.key): \(e.versions), specs \(specs)")
        }
    }

    @Test func listOffsetsV0AnswersSegmentStartsNewestFirst() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("old")
            // Timestamps older than segment.ms roll a segment per append: segments start at 0, 2 and 4.
            let old = Broker.wallClock() - 30 * 24 * 3_600_000
            for i in 0..<3 {
                let r = try await client.produce(Requests.produce("old", ["a", "b"], timestamps: [old + Int64(i), old + Int64(i)]))
                #expect(r.errorCode == 0)
            }
            func offsets(_ timestamp: Int64, max: Int32, topic: String = "old") async throws -> (Int16, [Int64]) {
                let request = ListOffsetsRequest(replicaId: -1, topics: [.init(name: topic, partitions: [
                    .init(partitionIndex: 0, timestamp: timestamp, maxNumOffsets: max)])])
                let p = try #require(try await client.request(request, version: 0).topics.first?.partitions.first)
                return (p.errorCode, p.oldStyleOffsets)
            }
            #expect(try await offsets(-1, max: 10) == (0, [6, 4, 2, 0]))
            #expect(try await offsets(-1, max: 2) == (0, [6, 4]))
            #expect(try await offsets(-2, max: 1) == (0, [0]))
            // Nothing was modified before 1970; everything before an hour from now.
            #expect(try await offsets(1000, max: 10) == (0, []))
            #expect(try await offsets(Broker.wallClock() + 3_600_000, max: 10) == (0, [6, 4, 2, 0]))
            #expect(try await offsets(-1, max: 1, topic: "missing") == (ErrorCode.unknownTopicOrPartition.rawValue, []))
            // -3 (max timestamp) came with v7.
            #expect(try await offsets(-3, max: 1) == (ErrorCode.unsupportedVersion.rawValue, []))
        }
    }

    @Test func createAndDeleteTopicsAtVersionZero() async throws {
        try await TestBroker.with { _, client in
            let created = try await client.request(CreateTopicsRequest(topics: [
                .init(name: "v0", numPartitions: 2, replicationFactor: 1),
                .init(name: "v0", numPartitions: 1, replicationFactor: 1),
            ], timeoutMs: 5000), version: 0)
            // A name given twice is refused, both times, as at every version.
            #expect(created.topics.map(\.errorCode) == [ErrorCode.invalidRequest.rawValue, ErrorCode.invalidRequest.rawValue])
            let one = try await client.request(CreateTopicsRequest(topics: [.init(name: "v0", numPartitions: 2, replicationFactor: 1)], timeoutMs: 5000), version: 0)
            #expect(one.topics.map(\.errorCode) == [0])
            let again = try await client.request(CreateTopicsRequest(topics: [.init(name: "v0", numPartitions: 2, replicationFactor: 1)], timeoutMs: 5000, validateOnly: true), version: 1)
            #expect(again.topics.first?.errorCode == ErrorCode.topicAlreadyExists.rawValue)
            #expect(again.topics.first?.errorMessage?.isEmpty == false)
            let deleted = try await client.request(DeleteTopicsRequest(topicNames: ["v0", "nope"], timeoutMs: 5000), version: 0)
            #expect(deleted.responses.map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
        }
    }

    @Test func offsetForLeaderEpochV0AndV1() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("epochs")
            _ = try await client.produce(Requests.produce("epochs", ["a", "b", "c"]))
            let request = OffsetForLeaderEpochRequest(topics: [.init(topic: "epochs", partitions: [.init(partition: 0, leaderEpoch: 0)])])
            for version: Int16 in [0, 1] {
                let p = try #require(try await client.request(request, version: version).topics.first?.partitions.first)
                #expect(p.errorCode == 0 && p.endOffset == 3, "v\(version)")
                // v0 carries no epoch; the decoder leaves its default.
                #expect(p.leaderEpoch == (version == 0 ? -1 : 0), "v\(version)")
            }
        }
    }

    @Test func describeConfigsV0SaysWhichValuesAreDefaults() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("cfg", configs: ["retention.ms": "1000"])
            let response = try await client.request(DescribeConfigsRequest(resources: [
                .init(resourceType: 2, resourceName: "cfg", configurationKeys: ["retention.ms", "cleanup.policy"])]), version: 0)
            let configs = Dictionary(uniqueKeysWithValues: try #require(response.results.first).configs.map { ($0.name, $0) })
            #expect(configs["retention.ms"]?.value == "1000" && configs["retention.ms"]?.isDefault == false)
            #expect(configs["cleanup.policy"]?.value == "delete" && configs["cleanup.policy"]?.isDefault == true)
        }
    }

    @Test func describeLogDirsV0() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("dirs", partitions: 2)
            let response = try await client.request(DescribeLogDirsRequest(topics: [.init(topic: "dirs", partitions: [0, 1])]), version: 0)
            let dir = try #require(response.results.first)
            #expect(dir.errorCode == 0)
            #expect(dir.topics.first?.partitions.map(\.partitionIndex).sorted() == [0, 1])
        }
    }

    /// KIP-724 removed message.format.version from Kafka 4; 3.x-era clients still send it.
    @Test func removedTopicKeysAreAcceptedAsKafka39AcceptedThem() async throws {
        try await TestBroker.with { _, client in
            let created = try await client.request(Requests.createTopics([
                .init(name: "legacy", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "message.format.version", value: "0.10.2")]),
                .init(name: "bad", numPartitions: 1, replicationFactor: 1, configs: [.init(name: "message.format.version", value: "banana")]),
            ]), version: 5)
            #expect(created.topics.map(\.errorCode) == [0, ErrorCode.invalidConfig.rawValue])
            // Records are written in format v2 whatever the key says.
            _ = try await client.produce(Requests.produce("legacy", ["a"]))
            #expect(try await client.fetchAll("legacy").map(\.value) == ["a"])
        }
    }
}

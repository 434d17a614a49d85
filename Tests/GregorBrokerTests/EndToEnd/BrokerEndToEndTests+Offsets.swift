import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension OffsetCommitRequest: TestRequest { typealias Response = OffsetCommitResponse }
extension OffsetFetchRequest: TestRequest { typealias Response = OffsetFetchResponse }
extension OffsetDeleteRequest: TestRequest { typealias Response = OffsetDeleteResponse }

/// Committed offsets over the wire: OffsetCommit, OffsetFetch, OffsetDelete, and their life
/// across DeleteGroups, topic deletion, expiry and a restart.
@Suite struct OffsetsEndToEndTests {
    static func commit(_ group: String, _ topic: String, _ offsets: [Int32: Int64], metadata: String? = "m",
                       generation: Int32 = -1, memberId: String = "") -> OffsetCommitRequest
    {
        OffsetCommitRequest(
            groupId: group, generationIdOrMemberEpoch: generation, memberId: memberId,
            topics: [.init(name: topic, partitions: offsets.sorted { $0.key < $1.key }.map {
                .init(partitionIndex: $0.key, committedOffset: $0.value, committedLeaderEpoch: 3, committedMetadata: metadata)
            })])
    }

    static func codes(_ r: OffsetCommitResponse) -> [Int16] { r.topics.flatMap(\.partitions).map(\.errorCode) }

    /// The group's committed offsets by partition, through OffsetFetch v8 (all topics).
    static func committed(_ client: KafkaTestClient, _ group: String) async throws -> [String: Int64] {
        let r = try await client.request(OffsetFetchRequest(groups: [.init(groupId: group, topics: nil)]), version: 8)
        let g = try #require(r.groups.first)
        #expect(g.errorCode == 0)
        return Dictionary(uniqueKeysWithValues: g.topics.flatMap { t in t.partitions.map { ("\(t.name)-\($0.partitionIndex)", $0.committedOffset) } })
    }

    @Test func commitThenFetchAtEveryVersion() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("t", partitions: 3)
            for v in Int16(0)...9 {
                let group = "g\(v)"
                let r = try await client.request(Self.commit(group, "t", [0: 10, 1: 20]), version: v)
                #expect(Self.codes(r) == [0, 0], "v\(v)")
            }
            // Single-group form (v1-7) names its partitions; partition 2 was never committed.
            for v in Int16(1)...7 {
                let r = try await client.request(
                    OffsetFetchRequest(groupId: "g\(v)", topics: [.init(name: "t", partitionIndexes: [0, 1, 2])]), version: v)
                let parts = r.topics.flatMap(\.partitions)
                #expect(parts.map(\.committedOffset) == [10, 20, -1], "v\(v)")
                #expect(parts.map(\.metadata) == ["m", "m", ""], "v\(v)")
                // Leader epochs exist in commits from v6 and in fetches from v5.
                #expect(parts.map(\.committedLeaderEpoch) == (v >= 6 ? [3, 3, -1] : [-1, -1, -1]), "v\(v)")
            }
            // v8: several groups in one request, one of them unknown (no error, no offsets).
            let multi = try await client.request(OffsetFetchRequest(groups: [
                .init(groupId: "g9", topics: nil), .init(groupId: "nobody", topics: nil),
            ]), version: 9)
            #expect(multi.groups.map(\.groupId) == ["g9", "nobody"])
            #expect(multi.groups[0].topics.flatMap(\.partitions).map(\.committedOffset) == [10, 20])
            #expect(multi.groups[1].topics.isEmpty && multi.groups[1].errorCode == 0)
        }
    }

    /// A null committed metadata is stored as "" (OffsetAndMetadata.fromRequest), so every
    /// version reads back "", never null.
    @Test func nullMetadataIsStoredAsEmpty() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("t")
            #expect(Self.codes(try await client.request(Self.commit("g", "t", [0: 5], metadata: nil), version: 9)) == [0])
            for v: Int16 in [8, 9, 10] {
                let r = try await client.request(OffsetFetchRequest(groups: [.init(groupId: "g", topics: nil)]), version: v)
                #expect(r.groups.first?.topics.first?.partitions.map(\.metadata) == [""], "v\(v)")
            }
            let one = try await client.request(OffsetFetchRequest(groupId: "g", topics: [.init(name: "t", partitionIndexes: [0])]), version: 7)
            #expect(one.topics.first?.partitions.map(\.metadata) == [""])
        }
    }

    @Test func commitErrors() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("t", partitions: 1)
            let mixed = OffsetCommitRequest(groupId: "g", generationIdOrMemberEpoch: -1, topics: [
                .init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 5), .init(partitionIndex: 7, committedOffset: 5)]),
                .init(name: "missing", partitions: [.init(partitionIndex: 0, committedOffset: 5)]),
            ])
            #expect(Self.codes(try await client.request(mixed, version: 8)) == [0, 3, 3])
            let long = Self.commit("g", "t", [0: 6], metadata: String(repeating: "x", count: 4097))
            #expect(Self.codes(try await client.request(long, version: 8)) == [ErrorCode.offsetMetadataTooLarge.rawValue])
            #expect(try await Self.committed(client, "g") == ["t-0": 5])
            #expect(Self.codes(try await client.request(Self.commit("", "t", [0: 1]), version: 8)) == [ErrorCode.invalidGroupId.rawValue])
            // A generation for a group that does not exist: ILLEGAL_GENERATION, from v9 GROUP_ID_NOT_FOUND.
            let stale = Self.commit("ghost", "t", [0: 1], generation: 4, memberId: "m")
            #expect(Self.codes(try await client.request(stale, version: 8)) == [ErrorCode.illegalGeneration.rawValue])
            #expect(Self.codes(try await client.request(stale, version: 9)) == [ErrorCode.groupIdNotFound.rawValue])
        }
    }

    @Test func offsetDeleteAndDeleteGroupsAndTopicDeletionRemoveOffsets() async throws {
        try await TestBroker.with { broker, client in
            _ = try await client.createTopic("t", partitions: 2)
            _ = try await client.createTopic("u", partitions: 1)
            _ = try await client.request(Self.commit("g", "t", [0: 1, 1: 2]), version: 8)
            _ = try await client.request(Self.commit("g", "u", [0: 3]), version: 8)

            let unknownGroup = try await client.request(OffsetDeleteRequest(groupId: "nope", topics: []), version: 0)
            #expect(unknownGroup.errorCode == ErrorCode.groupIdNotFound.rawValue)
            let deleted = try await client.request(OffsetDeleteRequest(groupId: "g", topics: [
                .init(name: "t", partitions: [.init(partitionIndex: 1)]), .init(name: "zzz", partitions: [.init(partitionIndex: 0)]),
            ]), version: 0)
            #expect(deleted.errorCode == 0)
            #expect(deleted.topics.flatMap(\.partitions).map(\.errorCode) == [0, ErrorCode.unknownTopicOrPartition.rawValue])
            #expect(try await Self.committed(client, "g") == ["t-0": 1, "u-0": 3])

            _ = try await client.request(DeleteTopicsRequest(topicNames: ["u"], timeoutMs: 5000), version: 4)
            #expect(try await Self.committed(client, "g") == ["t-0": 1])

            let gone = try await client.request(DeleteGroupsRequest(groupsNames: ["g"]), version: 2)
            #expect(gone.results.map(\.errorCode) == [0])
            #expect(try await Self.committed(client, "g") == [:])
            #expect(broker.broker.offsets.groups.isEmpty)
        }
    }

    @Test func offsetsOfAnEmptyGroupExpire() async throws {
        try await TestBroker.with({ $0.offsets.retentionMs = 1 }) { broker, client in
            _ = try await client.createTopic("t", partitions: 1)
            _ = try await client.request(Self.commit("g", "t", [0: 1]), version: 8)
            try await Task.sleep(for: .milliseconds(20))
            await broker.broker.expireOffsets()
            #expect(try await Self.committed(client, "g") == [:])
            let groups = try await client.request(ListGroupsRequest(), version: 4)
            #expect(!groups.groups.map(\.groupId).contains("g"))
        }
    }

    @Test func commitsSurviveARestartAndTheGroupIsKnownAgain() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gregor-offsets-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try await TestBroker.with({ $0.logDirs = [dir] }) { _, client in
            _ = try await client.createTopic("t", partitions: 2)
            let r = try await client.request(Self.commit("keeper", "t", [0: 42, 1: 7], metadata: "meta"), version: 9)
            #expect(Self.codes(r) == [0, 0])
        }
        try await TestBroker.with({ $0.logDirs = [dir] }) { broker, client in
            #expect(try await Self.committed(client, "keeper") == ["t-0": 42, "t-1": 7])
            let r = try await client.request(
                OffsetFetchRequest(groupId: "keeper", topics: [.init(name: "t", partitionIndexes: [0])]), version: 7)
            #expect(r.topics.first?.partitions.first?.metadata == "meta")
            let listed = try await client.request(ListGroupsRequest(), version: 4)
            #expect(listed.groups.map(\.groupId) == ["keeper"])
            #expect(listed.groups.first?.groupState == "Empty")
            // The internal topic is described as internal.
            let meta = try await client.request(Requests.metadata(["__consumer_offsets"]), version: 12)
            #expect(meta.topics.first?.isInternal == true)
            #expect(meta.topics.first?.partitions.count == Int(broker.broker.offsets.config.numPartitions))
        }
    }
}

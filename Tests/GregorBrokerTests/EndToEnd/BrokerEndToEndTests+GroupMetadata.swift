import Foundation
import KafkaProtocol
import Testing

@testable import GregorBroker

/// Classic groups' GroupMetadata records in `__consumer_offsets`: after a restart a group comes
/// back at its generation (Stable with its members, or Empty) and the next rebalance continues it.
extension BrokerEndToEndTests {
    /// Joins a lone member (KIP-394 round first), answers its generation after the leader's sync.
    static func joinAlone(_ client: KafkaTestClient, group: String) async throws -> (memberId: String, generation: Int32) {
        let memberId = try await client.request(Self.join(group: group), version: 5).memberId
        let joined = try await client.request(Self.join(memberId, group: group), version: 5)
        #expect(joined.errorCode == 0)
        let synced = try await client.request(
            SyncGroupRequest(groupId: group, generationId: joined.generationId, memberId: memberId,
                             assignments: [.init(memberId: memberId, assignment: [9])]), version: 3)
        #expect(synced.errorCode == 0 && synced.assignment == [9])
        return (memberId, joined.generationId)
    }

    @Test func classicGroupsComeBackAtTheirGenerationAfterARestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gregor-groups-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let configure: (inout BrokerConfig) -> Void = {
            $0.logDirs = [dir]
            $0.groupInitialRebalanceDelayMs = 0
        }
        let stayer = try await TestBroker.with(configure) { _, client in
            let stayer = try await Self.joinAlone(client, group: "stays")
            #expect(stayer.generation == 1)
            // A second rebalance: the generation to continue from is 2.
            let rejoined = try await client.request(Self.join(stayer.memberId, group: "stays"), version: 5)
            #expect(rejoined.generationId == 2)
            #expect(try await client.request(
                SyncGroupRequest(groupId: "stays", generationId: 2, memberId: stayer.memberId,
                                 assignments: [.init(memberId: stayer.memberId, assignment: [9])]), version: 3).errorCode == 0)
            let leaver = try await Self.joinAlone(client, group: "empties")
            #expect(try await client.request(LeaveGroupRequest(groupId: "empties", memberId: leaver.memberId), version: 1).errorCode == 0)
            return stayer.memberId
        }
        try await TestBroker.with(configure) { _, client in
            // The Stable group is back with its member, which heartbeats on at generation 2.
            let described = try await client.request(DescribeGroupsRequest(groups: ["stays", "empties"]), version: 5).groups
            #expect(described.map(\.groupState) == ["Stable", "Empty"])
            #expect(described.first?.members.map(\.memberId) == [stayer])
            #expect(described.first?.members.first?.memberAssignment == [9])
            #expect(described.first?.protocolData == "range")
            #expect(try await client.request(HeartbeatRequest(groupId: "stays", generationId: 2, memberId: stayer), version: 4).errorCode == 0)
            // Its next rebalance is generation 3; the emptied group (generation 2) goes on at 3.
            #expect(try await client.request(Self.join(stayer, group: "stays"), version: 5).generationId == 3)
            #expect(try await Self.joinAlone(client, group: "empties").generation == 3)
        }
    }
}

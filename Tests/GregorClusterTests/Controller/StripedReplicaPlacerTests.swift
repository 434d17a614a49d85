import Testing
@testable import GregorCluster

@Suite struct StripedReplicaPlacerTests {
    /// Racks A, B, C with brokers 10-12, 20-22, 30-32.
    let nineBrokers: [UsableBroker] = ["A", "B", "C"].enumerated().flatMap { rack, name in
        (0..<3).map { UsableBroker(id: Int32((rack + 1) * 10 + $0), rack: name) }
    }

    @Test func withEveryRandomStartAtZeroThePartitionsFormKafkasStripes() throws {
        var lowest = LowestGenerator()
        // The example in StripedReplicaPlacer's documentation: A0 B0 C0, B1 C1 A1, C2 A2 B2.
        #expect(try StripedReplicaPlacer.place(partitions: 3, replicationFactor: 3, brokers: nineBrokers, using: &lowest) == [
            [10, 20, 30], [21, 31, 11], [32, 12, 22],
        ])
    }

    @Test func sixBrokersOnThreeRacksGetEveryPartitionOnThreeRacksAndEvenLeaders() throws {
        let brokers = ["r1", "r2", "r3"].enumerated().flatMap { rack, name in
            [UsableBroker(id: Int32(rack * 2 + 1), rack: name), UsableBroker(id: Int32(rack * 2 + 2), rack: name)]
        }
        let rackOf = Dictionary(uniqueKeysWithValues: brokers.map { ($0.id, $0.rack!) })
        var generator = SeededGenerator(seed: 7)
        let placements = try StripedReplicaPlacer.place(partitions: 12, replicationFactor: 3, brokers: brokers, using: &generator)

        #expect(placements.allSatisfy { Set($0.map { rackOf[$0]! }).count == 3 })
        #expect(Dictionary(grouping: placements.map(\.[0]), by: { $0 }).mapValues(\.count) == [1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2])
        #expect(Dictionary(grouping: placements.flatMap { $0 }, by: { $0 }).mapValues(\.count) == [1: 6, 2: 6, 3: 6, 4: 6, 5: 6, 6: 6])
    }

    @Test func consecutivePartitionsRotateTheRacks() throws {
        let rackOf = Dictionary(uniqueKeysWithValues: nineBrokers.map { ($0.id, $0.rack!) })
        var generator = SeededGenerator(seed: 3)
        let racks = try StripedReplicaPlacer.place(partitions: 9, replicationFactor: 3, brokers: nineBrokers, using: &generator)
            .map { $0.map { rackOf[$0]! } }
        for (previous, next) in zip(racks, racks.dropFirst()) {
            #expect(next == Array(previous.dropFirst()) + [previous[0]])
        }
    }

    @Test func withoutRacksReplicasAreDistinctAndLeadersEven() throws {
        let brokers = (1...4).map { UsableBroker(id: Int32($0)) }
        var generator = SeededGenerator(seed: 11)
        let placements = try StripedReplicaPlacer.place(partitions: 8, replicationFactor: 2, brokers: brokers, using: &generator)
        #expect(placements.allSatisfy { Set($0).count == 2 })
        #expect(Dictionary(grouping: placements.map(\.[0]), by: { $0 }).mapValues(\.count) == [1: 2, 2: 2, 3: 2, 4: 2])
    }

    @Test func aRackShortOfBrokersStillGivesDistinctReplicas() throws {
        let brokers = [UsableBroker(id: 1, rack: "a"), UsableBroker(id: 2, rack: "a"), UsableBroker(id: 3, rack: "b")]
        var generator = SeededGenerator(seed: 5)
        let placements = try StripedReplicaPlacer.place(partitions: 6, replicationFactor: 3, brokers: brokers, using: &generator)
        #expect(placements.allSatisfy { Set($0) == [1, 2, 3] })
    }

    @Test func fencedBrokersFollowButNeverLead() throws {
        let brokers = [UsableBroker(id: 1), UsableBroker(id: 2), UsableBroker(id: 3, fenced: true)]
        var generator = SeededGenerator(seed: 9)
        let placements = try StripedReplicaPlacer.place(partitions: 6, replicationFactor: 3, brokers: brokers, using: &generator)
        #expect(placements.allSatisfy { $0[0] != 3 && Set($0) == [1, 2, 3] })
    }

    @Test func theSameSeedPlacesTheSameWay() throws {
        var first = SeededGenerator(seed: 1234)
        var second = SeededGenerator(seed: 1234)
        #expect(try StripedReplicaPlacer.place(partitions: 20, replicationFactor: 3, brokers: nineBrokers, using: &first)
            == StripedReplicaPlacer.place(partitions: 20, replicationFactor: 3, brokers: nineBrokers, using: &second))
    }

    @Test func impossibleReplicationFactorsAreRefusedWithKafkasMessages() {
        var generator = SeededGenerator(seed: 1)
        let two = [UsableBroker(id: 1), UsableBroker(id: 2)]
        #expect(throws: PlacementError(message: "The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.")) {
            try StripedReplicaPlacer.place(partitions: 1, replicationFactor: 3, brokers: two, using: &generator)
        }
        #expect(throws: PlacementError(message: "Invalid replication factor 0: the replication factor must be positive.")) {
            try StripedReplicaPlacer.place(partitions: 1, replicationFactor: 0, brokers: two, using: &generator)
        }
        #expect(throws: PlacementError(message: "All brokers are currently fenced.")) {
            try StripedReplicaPlacer.place(partitions: 1, replicationFactor: 1, brokers: [UsableBroker(id: 1, fenced: true)], using: &generator)
        }
        #expect(throws: PlacementError(message: "All brokers are currently fenced.")) {
            try StripedReplicaPlacer.place(partitions: 1, replicationFactor: 1, brokers: [], using: &generator)
        }
    }
}

/// Always draws the lowest value, so every random start is 0 (Swift's bounded draw turns a 1 into 0).
private struct LowestGenerator: RandomNumberGenerator {
    mutating func next() -> UInt64 { 1 }
}

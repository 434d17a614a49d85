import KafkaProtocol

/// A broker new replicas may go to (Kafka's UsableBroker). Brokers in controlled shutdown are
/// left out by the caller, as Kafka's BrokerHeartbeatManager.usableBrokers does.
public struct UsableBroker: Hashable, Sendable {
    public var id: Int32
    public var rack: String?
    /// May hold a follower replica but never a new partition's first replica (its leader).
    public var fenced: Bool

    public init(id: Int32, rack: String? = nil, fenced: Bool = false) {
        self.id = id
        self.rack = rack
        self.fenced = fenced
    }
}

/// Why replicas could not be placed; Kafka's InvalidReplicationFactorException.
public struct PlacementError: Error, Hashable, Sendable {
    public var message: String
}

/// Kafka's StripedReplicaPlacer (KIP-500 controller; the same stripes as the ZooKeeper-era
/// AdminUtils, with fenced brokers kept off leadership).
///
/// Racks are visited round-robin from a random start that moves by one per partition, so the
/// racks of consecutive partitions form stripes (A B C, B C A, C A B); inside a rack brokers are
/// taken round-robin too, from a random start. The first replica always comes from an unfenced
/// broker. After as many partitions as there are unfenced brokers the rack and broker orders are
/// reshuffled so the next round does not repeat the same replica sets.
public enum StripedReplicaPlacer {
    /// One replica list per partition, preferred leader first.
    public static func place<G: RandomNumberGenerator>(
        partitions: Int, replicationFactor: Int, brokers: [UsableBroker], using generator: inout G
    ) throws(PlacementError) -> [[Int32]] {
        var racks = RackList(brokers, using: &generator)
        try check(replicationFactor, racks)
        return (0..<max(partitions, 0)).map { _ in racks.place(replicationFactor, using: &generator) }
    }

    private static func check(_ replicationFactor: Int, _ racks: RackList) throws(PlacementError) {
        if replicationFactor <= 0 {
            throw PlacementError(message: "Invalid replication factor \(replicationFactor): the replication factor must be positive.")
        }
        if racks.unfencedCount == 0 {
            throw PlacementError(message: "All brokers are currently fenced.")
        }
        if replicationFactor > racks.totalCount {
            throw PlacementError(message: "The target replication factor of \(replicationFactor) cannot be reached because only \(racks.totalCount) broker(s) are registered.")
        }
    }
}

/// Brokers handed out round-robin; each iteration epoch (one partition) hands each out at most once
/// and starts one further along than the previous epoch did.
private struct BrokerCycle {
    var brokers: [Int32] = []
    private var index = 0
    private var offset = 0
    private var epoch = 0

    mutating func start<G: RandomNumberGenerator>(using generator: inout G) {
        guard !brokers.isEmpty else { return }
        brokers.sort()
        offset = Int.random(in: 0..<brokers.count, using: &generator)
    }

    mutating func shuffle<G: RandomNumberGenerator>(using generator: inout G) {
        brokers.shuffle(using: &generator)
    }

    mutating func next(epoch: Int) -> Int32? {
        guard !brokers.isEmpty else { return nil }
        if self.epoch != epoch {
            self.epoch = epoch
            index = 0
            offset = (offset + 1) % brokers.count
        }
        guard index < brokers.count else { return nil }
        defer { index += 1 }
        return brokers[(index + offset) % brokers.count]
    }
}

private struct Rack {
    var unfenced = BrokerCycle()
    var fenced = BrokerCycle()

    /// Unfenced brokers first; fenced ones only once the unfenced are used up.
    mutating func next(epoch: Int) -> Int32? {
        unfenced.next(epoch: epoch) ?? fenced.next(epoch: epoch)
    }
}

private struct RackList {
    /// In rack-name order (no rack first), so the generator is consumed in the same order every run.
    private var racks: [Rack]
    /// The visiting order, as indexes into `racks`; reshuffled after each round.
    private var order: [Int]
    let totalCount: Int
    let unfencedCount: Int
    private var epoch = 0
    private var offset: Int

    init<G: RandomNumberGenerator>(_ brokers: [UsableBroker], using generator: inout G) {
        var byName: [String?: Rack] = [:]
        for broker in brokers {
            if broker.fenced {
                byName[broker.rack, default: Rack()].fenced.brokers.append(broker.id)
            } else {
                byName[broker.rack, default: Rack()].unfenced.brokers.append(broker.id)
            }
        }
        let names = byName.keys.sorted { a, b in
            switch (a, b) {
            case (nil, nil): false
            case (nil, _): true
            case (_, nil): false
            case (let a?, let b?): a < b
            }
        }
        racks = names.map { byName[$0]! }
        for i in racks.indices {
            racks[i].fenced.start(using: &generator)
            racks[i].unfenced.start(using: &generator)
        }
        order = Array(racks.indices)
        totalCount = brokers.count
        unfencedCount = brokers.count(where: { !$0.fenced })
        offset = racks.isEmpty ? 0 : Int.random(in: 0..<racks.count, using: &generator)
    }

    mutating func place<G: RandomNumberGenerator>(_ replicationFactor: Int, using generator: inout G) -> [Int32] {
        // A single unfenced broker must not reset the epoch: it would hand itself out forever.
        if epoch == unfencedCount && unfencedCount > 1 {
            order.shuffle(using: &generator)
            for i in racks.indices {
                racks[i].fenced.shuffle(using: &generator)
                racks[i].unfenced.shuffle(using: &generator)
            }
            epoch = 0
        }
        if offset == order.count { offset = 0 }
        var replicas: [Int32] = []
        replicas.reserveCapacity(replicationFactor)
        var leaderRack = offset
        while true {
            if let leader = racks[order[leaderRack]].unfenced.next(epoch: epoch) {
                replicas.append(leader)
                break
            }
            leaderRack = (leaderRack + 1) % order.count
        }
        // The followers start at the same rack, passing over the leader's rack the first time round.
        var rackIndex = offset
        var passOver: Int? = leaderRack
        while replicas.count < replicationFactor {
            var picked: Int32?
            repeat {
                if rackIndex == passOver {
                    passOver = nil
                } else {
                    picked = racks[order[rackIndex]].next(epoch: epoch)
                }
                rackIndex = (rackIndex + 1) % order.count
            } while picked == nil
            replicas.append(picked!)
        }
        epoch += 1
        offset += 1
        return replicas
    }
}

import Foundation
import GregorCluster
import KafkaProtocol
import Logging
import NIOCore
import Testing

@testable import GregorBroker
@testable import GregorStorage

/// A partition led by broker 1 with followers 2 and 3, on real logs: the leader's side of Kafka's
/// replication (Partition and ReplicaManager) as the Fetch and Produce handlers drive it.
@Suite struct ReplicaManagerTests {
    let tp = TopicPartition("t", 0)
    /// Times are wall-clock milliseconds: 0 is "never caught up", as in Kafka.
    let T: Int64 = 1_700_000_000_000

    final class Logs {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("replica-manager-\(UUID().uuidString)").path
        func open(_ node: Int32) throws -> PartitionLog {
            try PartitionLog.open(
                TopicPartition("t", 0), directory: "\(root)/\(node)/t-0", config: LogConfig(), cache: FileCache(capacity: 16),
                logger: Logger(label: "test"), cleanShutdown: true, highWatermarkMode: .replicated, now: 0
            ).0
        }
        deinit { try? FileManager.default.removeItem(atPath: root) }
    }

    func batch(_ count: Int) throws -> ByteBuffer {
        var builder = RecordBatchBuilder()
        for i in 0..<count { builder.append(timestamp: 0, key: nil, value: ByteBuffer(string: "r\(i)")) }
        return try builder.build()
    }

    func state(isr: [Int32] = [1, 2, 3], leader: Int32 = 1, leaderEpoch: Int32 = 3, partitionEpoch: Int32 = 5) -> PartitionState {
        PartitionState(replicas: [1, 2, 3], isr: isr, leader: leader, leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch)
    }

    func manager(_ node: Int32 = 1, lagMaxMs: Int64 = 10_000) -> ReplicaManager {
        let m = ReplicaManager(nodeId: node, lagMaxMs: lagMaxMs)
        m.setEligible([1, 2, 3])
        return m
    }

    @Test func becomingLeaderStartsTheEpochAtTheLogEnd() throws {
        let logs = Logs()
        let log = try logs.open(1)
        _ = try log.appendFromClient(try batch(4), now: T + 0, leaderEpoch: 2)
        let m = manager()
        #expect(m.apply(tp, state(), log: { log }, now: T + 1000) == .becameLeader)
        #expect(log.leaderEpochEntries.last == EpochEntry(epoch: 3, startOffset: 4))
        #expect(m.apply(tp, state(), log: { log }, now: T + 1001) == .none)
        #expect(m.leaderCheck(tp, currentLeaderEpoch: 2) == .fencedLeaderEpoch)
        #expect(m.leaderCheck(tp, currentLeaderEpoch: 4) == .unknownLeaderEpoch)
        guard case .leader(let leader) = m.leaderCheck(tp, currentLeaderEpoch: 3) else {
            Issue.record("broker 1 leads at epoch 3")
            return
        }
        #expect(leader.leaderEpoch == 3 && leader.epochStartOffset == 4)
    }

    @Test func aFollowerIsToldTheLeader() throws {
        let logs = Logs()
        let log = try logs.open(2)
        let m = manager(2)
        #expect(m.apply(tp, state(), log: { log }, now: T + 0) == .becameFollower)
        #expect(m.leaderCheck(tp) == .notLeader(leaderId: 1, leaderEpoch: 3))
        #expect(m.followed == [1: [tp: 3]])
        #expect(m.apply(tp, nil, log: { log }, now: T + 0) == .stopped)
        #expect(m.followed.isEmpty)
    }

    @Test func theHighWatermarkWaitsForEveryIsrMemberThenAcksAllCompletes() async throws {
        let logs = Logs()
        let log = try logs.open(1)
        let m = manager()
        _ = m.apply(tp, state(), log: { log }, now: T + 1000)
        _ = try log.appendFromClient(try batch(10), now: T + 1000, leaderEpoch: 3)
        m.leaderAppended(tp, log: log, minInsyncReplicas: 2, now: T + 1000)
        #expect(log.highWatermark == 0)
        #expect(m.followerFetched(tp, replicaId: 2, fetchOffset: 10, log: log, minInsyncReplicas: 2, now: T + 1100) == nil)
        #expect(log.highWatermark == 0)
        _ = m.followerFetched(tp, replicaId: 3, fetchOffset: 6, log: log, minInsyncReplicas: 2, now: T + 1100)
        #expect(log.highWatermark == 6)
        let soon = ContinuousClock.now + .milliseconds(50)
        #expect(await m.awaitReplication(tp, log: log, requiredOffset: 10, minInsyncReplicas: 2, deadline: soon) == .requestTimedOut)
        _ = m.followerFetched(tp, replicaId: 3, fetchOffset: 10, log: log, minInsyncReplicas: 2, now: T + 1200)
        #expect(log.highWatermark == 10)
        #expect(await m.awaitReplication(tp, log: log, requiredOffset: 10, minInsyncReplicas: 2, deadline: soon) == .none)
        #expect(await m.awaitReplication(tp, log: log, requiredOffset: 10, minInsyncReplicas: 4, deadline: soon) == .notEnoughReplicasAfterAppend)
    }

    @Test func aLaggingFollowerLeavesTheIsrAndTheHighWatermarkMovesWithoutIt() throws {
        let logs = Logs()
        let log = try logs.open(1)
        let m = manager(lagMaxMs: 10_000)
        _ = m.apply(tp, state(), log: { log }, now: T + 1000)
        _ = try log.appendFromClient(try batch(5), now: T + 1000, leaderEpoch: 3)
        _ = m.followerFetched(tp, replicaId: 2, fetchOffset: 5, log: log, minInsyncReplicas: 1, now: T + 2000)
        #expect(m.isrShrinks(now: T + 5000, logEnd: { _ in 5 }).isEmpty)
        _ = m.followerFetched(tp, replicaId: 2, fetchOffset: 5, log: log, minInsyncReplicas: 1, now: T + 11_500)
        let shrinks = m.isrShrinks(now: T + 11_500, logEnd: { _ in 5 })
        #expect(shrinks == [.init(partition: tp, state: state(isr: [1, 2], partitionEpoch: 6), expectedPartitionEpoch: 5)])
        // One change at a time, until etcd's answer comes back through the watch.
        #expect(m.isrShrinks(now: T + 12_000, logEnd: { _ in 5 }).isEmpty)
        #expect(m.refusesAcksAll(tp, minInsyncReplicas: 3) == nil)
        _ = m.apply(tp, state(isr: [1, 2], partitionEpoch: 6), log: { log }, now: T + 12_000)
        #expect(m.refusesAcksAll(tp, minInsyncReplicas: 3) == .notEnoughReplicas)
        m.leaderAppended(tp, log: log, minInsyncReplicas: 2, now: T + 12_000)
        #expect(log.highWatermark == 5)
    }

    @Test func aCaughtUpFollowerIsProposedBackIntoTheIsr() throws {
        let logs = Logs()
        let log = try logs.open(1)
        let m = manager()
        _ = m.apply(tp, state(isr: [1, 2]), log: { log }, now: T + 1000)
        _ = try log.appendFromClient(try batch(5), now: T + 1000, leaderEpoch: 3)
        _ = m.followerFetched(tp, replicaId: 2, fetchOffset: 5, log: log, minInsyncReplicas: 1, now: T + 1100)
        #expect(log.highWatermark == 5)
        #expect(m.followerFetched(tp, replicaId: 3, fetchOffset: 2, log: log, minInsyncReplicas: 1, now: T + 1100) == nil)
        let change = m.followerFetched(tp, replicaId: 3, fetchOffset: 5, log: log, minInsyncReplicas: 1, now: T + 1200)
        #expect(change == .init(partition: tp, state: state(isr: [1, 2, 3], partitionEpoch: 6), expectedPartitionEpoch: 5))
        m.isrChangeFailed(tp)
        #expect(m.followerFetched(tp, replicaId: 3, fetchOffset: 5, log: log, minInsyncReplicas: 1, now: T + 1300) != nil)
    }

    @Test func leadershipLostFailsAWaitingAcksAll() async throws {
        let logs = Logs()
        let log = try logs.open(1)
        let m = manager()
        _ = m.apply(tp, state(), log: { log }, now: T + 1000)
        _ = try log.appendFromClient(try batch(1), now: T + 1000, leaderEpoch: 3)
        _ = m.apply(tp, state(leader: 2, leaderEpoch: 4, partitionEpoch: 6), log: { log }, now: T + 1100)
        let soon = ContinuousClock.now + .milliseconds(50)
        #expect(await m.awaitReplication(tp, log: log, requiredOffset: 1, minInsyncReplicas: 1, deadline: soon) == .notLeaderOrFollower)
    }

    /// KIP-392: the leader points a consumer at an in-sync follower of its rack that has the
    /// offset; a follower serves consumers at its own epoch.
    @Test func aConsumerIsPointedAtTheInSyncReplicaOfItsRack() throws {
        let logs = Logs()
        let log = try logs.open(1)
        let m = manager()
        _ = m.apply(tp, state(isr: [1, 2]), log: { log }, now: T + 1000)
        _ = try log.appendFromClient(try batch(5), now: T + 1000, leaderEpoch: 3)
        _ = m.followerFetched(tp, replicaId: 2, fetchOffset: 5, log: log, minInsyncReplicas: 1, now: T + 1100)
        _ = m.followerFetched(tp, replicaId: 3, fetchOffset: 5, log: log, minInsyncReplicas: 1, now: T + 1100)
        let racks: [Int32: String] = [1: "a", 2: "b", 3: "c"]
        #expect(m.preferredReadReplica(tp, rack: "b", fetchOffset: 5, racks: racks) == 2)
        #expect(m.preferredReadReplica(tp, rack: "b", fetchOffset: 6, racks: racks) == nil)  // not there yet
        #expect(m.preferredReadReplica(tp, rack: "a", fetchOffset: 0, racks: racks) == nil)  // the leader's own rack
        #expect(m.preferredReadReplica(tp, rack: "c", fetchOffset: 0, racks: racks) == nil)  // 3 is not in the ISR

        let follower = manager(2)
        _ = follower.apply(tp, state(isr: [1, 2]), log: { log }, now: T)
        #expect(follower.followerReadCheck(tp, currentLeaderEpoch: 3) == nil)
        #expect(follower.followerReadCheck(tp, currentLeaderEpoch: -1) == nil)
        #expect(follower.followerReadCheck(tp, currentLeaderEpoch: 2) == .fencedLeaderEpoch)
        #expect(follower.followerReadCheck(tp, currentLeaderEpoch: 4) == .unknownLeaderEpoch)
        #expect(m.followerReadCheck(tp, currentLeaderEpoch: 3) == .notLeaderOrFollower)
    }
}

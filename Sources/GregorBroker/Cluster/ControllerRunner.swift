import Foundation
import GregorCluster
import GregorStorage
import KafkaProtocol
import Logging
import Synchronization

/// The controller role: held by one broker at a time through a key under its lease (a new one
/// takes over within the lease's TTL of the holder's death). While held, every change the watch
/// brings is reconciled: partitions whose leader is gone or shutting down get a new leader,
/// ISRs lose dead brokers, leaderless partitions take back a returning ISR member.
final class ControllerRunner: Sendable {
    struct State: Sendable {
        var epoch: Int32?
        var campaigning = false
        var reconciling = false
        var again = false
        /// The decisions, on the controller's own image (ahead of etcd by its own writes).
        var machine: ControllerStateMachine?
        /// Watch events not yet handed to the machine.
        var pending: [MetadataEvent] = []
        /// A write failed: reload the image from the watch's and check everything.
        var resync = true
    }

    let nodeId: Int32
    let logger: Logger
    let state = Mutex(State())

    init(nodeId: Int32, logger: Logger) {
        self.nodeId = nodeId
        self.logger = logger
    }

    var isController: Bool { state.withLock { $0.epoch != nil } }

    /// Tries to take the controller key, if nobody holds it. The next epoch is taken from the
    /// epoch key in the same transaction, so two terms never share an epoch.
    func campaign(_ member: ClusterMember) async {
        guard state.withLock({ s in
            if s.campaigning || s.epoch != nil { return false }
            s.campaigning = true
            return true
        }) else { return }
        defer { state.withLock { $0.campaigning = false } }
        let keys = member.keys
        do {
            let current = try await member.etcd.get(keys.controllerEpoch)
            let epoch = (current.flatMap { Int32(String(decoding: $0.value, as: UTF8.self)) } ?? 0) + 1
            let record = try JSONEncoder.sorted.encode(ControllerRecord(brokerId: nodeId, epoch: epoch))
            let lease = member.state.withLock { $0.lease }
            let result = try await member.etcd.txn(
                if: [.createRevision(key: keys.controller, equals: 0), .modRevision(key: keys.controllerEpoch, equals: current?.modRevision ?? 0)],
                then: [.put(key: keys.controller, value: Array(record), lease: lease), .put(key: keys.controllerEpoch, value: Array("\(epoch)".utf8), lease: 0)])
            guard result.succeeded else { return }
            let machine = ControllerStateMachine(image: member.image, config: member.controllerConfig, seed: UInt64.random(in: 0...UInt64.max))
            state.withLock { s in
                s.epoch = epoch
                s.machine = machine
                s.pending = []
                s.resync = true
            }
            logger.info("node \(nodeId) is the controller, epoch \(epoch)")
            await member.waitForRevision(result.revision)
            reconcileSoon(member)
            if member.settings.autoLeaderRebalance { Task { await rebalanceLeaders(member, epoch: epoch) } }
        } catch {
            logger.warning("controller campaign failed: \(error)")
        }
    }

    /// Gives the role up (controlled shutdown), so another broker takes it at once.
    func resign(_ member: ClusterMember) async {
        guard let epoch = state.withLock({ s -> Int32? in defer { s.epoch = nil; s.machine = nil }; return s.epoch }) else { return }
        let keys = member.keys
        let record = (try? JSONEncoder.sorted.encode(ControllerRecord(brokerId: nodeId, epoch: epoch))).map(Array.init) ?? []
        _ = try? await member.etcd.txn(if: [.value(key: keys.controller, equals: record)], then: [.delete(key: keys.controller)])
    }

    /// Called after every applied revision, with its events.
    func changed(_ member: ClusterMember, events: [MetadataEvent], controllerGone: Bool) {
        let holder = member.state.withLock { $0.controller }
        guard let holder else {
            state.withLock { s in
                s.epoch = nil
                s.machine = nil
            }
            Task { await campaign(member) }
            return
        }
        let stillHeld = state.withLock { s -> Bool in
            guard let epoch = s.epoch else { return false }
            if holder.brokerId != nodeId || holder.epoch != epoch {
                // Another broker holds the key now (this one's lease expired): step down.
                s.epoch = nil
                s.machine = nil
                return false
            }
            s.pending += events
            return true
        }
        if stillHeld { reconcileSoon(member) }
    }

    /// Hands the pending events to the machine and makes its writes; after a failed write (or
    /// on taking office) reloads the image and runs every check KRaft's controller runs on
    /// activation: dead brokers out of leadership and ISRs, leaderless partitions elected,
    /// brokers in controlled shutdown relieved.
    func reconcile(_ member: ClusterMember) async {
        let image = member.image
        let step = state.withLock { s -> (ControllerRecord, [ControllerWrite])? in
            guard var machine = s.machine, let epoch = s.epoch else { return nil }
            var writes: [ControllerWrite] = []
            if s.resync {
                machine.reload(image)
                s.pending = []
                s.resync = false
                writes += Self.fullCheck(&machine, image)
            } else {
                for event in s.pending { writes += machine.handle(event) }
                s.pending = []
            }
            s.machine = machine
            return (ControllerRecord(brokerId: nodeId, epoch: epoch), writes)
        }
        guard let (record, writes) = step, !writes.isEmpty else { return }
        // One transaction per partition: a lost compare on one must not hold back the others.
        var failed = false
        for group in Self.byPartition(writes) {
            if case .failure(let failure) = await member.execute(group, controller: record) {
                logger.info("controller write failed (\(failure)); re-reading the metadata")
                failed = true
            }
        }
        if failed {
            state.withLock { s in
                s.resync = true
                s.again = true
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    static func fullCheck(_ machine: inout ControllerStateMachine, _ image: ClusterImage) -> [ControllerWrite] {
        var writes: [ControllerWrite] = []
        var referenced = Set<Int32>()
        for p in image.partitions.values {
            referenced.formUnion(p.isr)
            if p.leader >= 0 { referenced.insert(p.leader) }
        }
        for id in referenced.subtracting(image.brokers.keys).sorted() { writes += machine.brokerGone(id) }
        for registration in image.brokers.values.sorted(by: { $0.id < $1.id }) {
            if registration.inControlledShutdown {
                writes += machine.controlledShutdown(registration.id).writes
            } else {
                writes += machine.brokerRegistered(registration)
            }
        }
        return writes
    }

    /// The writes grouped so that a topic's creation stays whole and each partition change stands alone.
    static func byPartition(_ writes: [ControllerWrite]) -> [[ControllerWrite]] {
        var groups: [[ControllerWrite]] = []
        var topicGroup: [ControllerWrite] = []
        for write in writes {
            switch write {
            case .updatePartition: groups.append([write])
            default: topicGroup.append(write)
            }
        }
        if !topicGroup.isEmpty { groups.insert(topicGroup, at: 0) }
        return groups
    }

    /// Runs `reconcile` once now and once more if changes arrived meanwhile, never twice at once.
    func reconcileSoon(_ member: ClusterMember) {
        let start = state.withLock { s -> Bool in
            if s.reconciling { s.again = true; return false }
            s.reconciling = true
            return true
        }
        guard start else { return }
        Task {
            while true {
                await reconcile(member)
                let more = state.withLock { s -> Bool in
                    if s.again { s.again = false; return true }
                    s.reconciling = false
                    return false
                }
                if !more { return }
            }
        }
    }

    /// QuorumController's leader-balancing task (`auto.leader.rebalance.enable`): every
    /// `leader.imbalance.check.interval.seconds` leadership goes back to each partition's
    /// preferred replica where that replica is live and in the ISR, for as long as this term lasts.
    func rebalanceLeaders(_ member: ClusterMember, epoch: Int32) async {
        let interval = Duration.seconds(member.settings.leaderImbalanceCheckIntervalSeconds)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let writes = state.withLock { s -> [ControllerWrite]? in
                guard s.epoch == epoch, var machine = s.machine else { return nil }
                defer { s.machine = machine }
                return machine.balancePartitionLeaders()
            }
            guard let writes else { return }
            for group in Self.byPartition(writes) {
                if case .failure = await member.execute(group, controller: ControllerRecord(brokerId: nodeId, epoch: epoch)) {
                    state.withLock { $0.resync = true }
                }
            }
        }
    }
}

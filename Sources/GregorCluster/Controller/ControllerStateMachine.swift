import KafkaProtocol

/// The controller's decisions: KRaft's ReplicationControlManager and ClusterControlManager as a
/// value type. Each event returns the writes to make in etcd; the machine does no I/O.
///
/// The machine applies its own writes to its image as it returns them, so consecutive decisions
/// build on each other the way KRaft's controller replays its own records before they commit. Feed
/// it every watch event through `handle(_:)`; the echoes of its own writes change nothing. When a
/// write fails (a compare lost, or the controller lease lost) the image is ahead of etcd: read
/// etcd again and `reload(_:)`.
///
/// A broker is alive while its registration is in etcd. Kafka's "fenced" (heartbeats stopped) is
/// the registration disappearing here, and a broker restarting under a new incarnation id is
/// treated as gone and back, since the new life must earn its ISR places again.
public struct ControllerStateMachine: Sendable {
    public private(set) var image: ClusterImage
    public var config: ControllerConfig
    var generator: SeededGenerator

    /// - Parameter seed: for replica placement; the broker passes a random one, tests a fixed one.
    public init(image: ClusterImage = ClusterImage(), config: ControllerConfig = ControllerConfig(), seed: UInt64) {
        self.image = image
        self.config = config
        self.generator = SeededGenerator(seed: seed)
    }

    /// Replaces the image with one read afresh from etcd, after a write failed.
    public mutating func reload(_ image: ClusterImage) {
        self.image = image
    }

    /// One watch event, in revision order: folds it in and returns what the controller does about it.
    public mutating func handle(_ event: MetadataEvent) -> [ControllerWrite] {
        switch event {
        case .brokerPut(let registration):
            return brokerRegistered(registration)
        case .brokerDeleted(let id):
            return brokerGone(id)
        case .topicPut(let topic):
            let wasUnclean = uncleanLeaderElectionEnabled(for: topic.name)
            image.apply(event)
            // Turning unclean election on for a topic revives its offline partitions at once;
            // KRaft leaves them to its next periodic pass (`unclean.leader.election.interval.ms`).
            guard !wasUnclean, uncleanLeaderElectionEnabled(for: topic.name) else { return [] }
            return electUncleanLeaders(topic: topic.name)
        case .topicDeleted, .partitionPut, .partitionDeleted:
            image.apply(event)
            return []
        }
    }

    /// A broker registered, or changed its registration. A broker that is (back) in service may lead
    /// the partitions left without a leader (ReplicationControlManager.handleBrokerUnfenced): a
    /// partition whose last ISR member returns gets it back as leader. A registration marked
    /// in controlled shutdown starts that shutdown instead.
    public mutating func brokerRegistered(_ registration: BrokerRegistration) -> [ControllerWrite] {
        var writes: [ControllerWrite] = []
        if let previous = image.brokers[registration.id], previous.incarnationId != registration.incarnationId {
            writes += brokerGone(registration.id)
        }
        image.apply(.brokerPut(registration))
        if registration.inControlledShutdown {
            return writes + controlledShutdown(registration.id).writes
        }
        let leaderless = image.partitions.filter { $0.value.leader == PartitionState.noLeader }.map(\.key)
        let changes = leaderAndIsrUpdates(leaderless, removing: nil, adding: registration.id)
        commit(changes)
        return writes + changes
    }

    /// A broker's lease expired (ReplicationControlManager.handleBrokerFenced): it leaves every ISR
    /// and its leaderships pass to the first other live ISR member in replica order. The last ISR
    /// member is never removed: its partition goes without a leader (-1), keeping it as the ISR, so
    /// that only it may lead when it comes back, unless unclean election is enabled for the topic,
    /// which elects any live replica and makes it the whole ISR.
    public mutating func brokerGone(_ brokerId: Int32) -> [ControllerWrite] {
        image.apply(.brokerDeleted(brokerId))
        let inIsr = image.partitions.filter { $0.value.isr.contains(brokerId) }.map(\.key)
        let changes = leaderAndIsrUpdates(inIsr, removing: brokerId, adding: nil)
        commit(changes)
        return changes
    }

    /// What a controlled shutdown changed, and what the broker still leads.
    public struct ControlledShutdown: Hashable, Sendable {
        public var writes: [ControllerWrite]
        /// The broker may stop once this is empty, as the image every broker holds shows it.
        public var remainingLeaderships: [PartitionKey]
    }

    /// A broker announced a controlled shutdown (its registration re-put with
    /// `inControlledShutdown`). As KRaft's handleBrokerInControlledShutdown, it is treated as gone
    /// from every ISR at once: leaderships move to another live ISR member, and where it was the
    /// only one the partition goes leaderless with it kept as the ISR, since a broker shutting down
    /// is no acceptable leader. So it leads nothing afterwards; the ZooKeeper-era controller
    /// instead left it the leaderships nobody else could take.
    public mutating func controlledShutdown(_ brokerId: Int32) -> ControlledShutdown {
        if var registration = image.brokers[brokerId], !registration.inControlledShutdown {
            registration.inControlledShutdown = true
            image.apply(.brokerPut(registration))
        }
        let inIsr = image.partitions.filter { $0.value.isr.contains(brokerId) }.map(\.key)
        let changes = leaderAndIsrUpdates(inIsr, removing: brokerId, adding: nil)
        commit(changes)
        return ControlledShutdown(writes: changes, remainingLeaderships: image.partitionsLed(by: brokerId))
    }

    func uncleanLeaderElectionEnabled(for topic: String) -> Bool {
        image.uncleanLeaderElectionEnabled(for: topic, default: config.uncleanLeaderElectionEnable)
    }

    mutating func commit(_ writes: [ControllerWrite]) {
        for write in writes { image.apply(write.event) }
    }

    /// ReplicationControlManager.generateLeaderAndIsrUpdates: `removing` leaves the ISR and may not
    /// lead; `adding` may lead even before the image shows it active.
    func leaderAndIsrUpdates(_ keys: [PartitionKey], removing: Int32?, adding: Int32?) -> [ControllerWrite] {
        let image = self.image
        let acceptable: (Int32) -> Bool = { $0 != removing && ($0 == adding || image.isActive($0)) }
        return keys.sorted().compactMap { key in
            guard let state = image.partitions[key] else { return nil }
            var change = PartitionChange(state, isAcceptableLeader: acceptable)
            if uncleanLeaderElectionEnabled(for: key.topic) { change.election = .unclean }
            if let removing { change.targetIsr = state.isr.filter { $0 != removing } }
            return change.build().map { .updatePartition(key, $0, expectedPartitionEpoch: state.partitionEpoch) }
        }
    }
}

import Foundation
import GregorClient
import GregorCluster
import GregorStorage
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// This broker as a member of a cluster kept in etcd: its registration under a lease, the
/// cluster's metadata as the watch delivers it (in revision order), the partitions it leads or
/// follows, and, while it holds the controller lease, the controller.
final class ClusterMember: Sendable {
    struct State: Sendable {
        /// Brokers, topics and partitions, folded from the watch in revision order.
        var image = ClusterImage()
        var controller: ControllerRecord?
        /// Each key's mod revision, for compare-and-swap writes.
        var revisions: [String: Int64] = [:]
        /// The revision applied last.
        var revision: Int64 = 0
        var lease: Int64 = 0
        var incarnationId = ""
        /// The endpoints this broker registered with.
        var endpoints: [BrokerEndpoint] = []
        var fetchers: [Int32: Task<Void, Never>] = [:]
        var tasks: [Task<Void, Never>] = []
        var shuttingDown = false
    }

    /// The broker settings the controller's decisions use.
    struct Defaults: Sendable {
        var partitions: Int32
        var replicationFactor: Int16
        var uncleanLeaderElection: Bool
    }

    let nodeId: Int32
    let settings: ClusterSettings
    let defaults: Defaults
    let keys: MetadataKeys
    let etcd: EtcdClient
    let replicas: ReplicaManager
    let logger: Logger
    let state = Mutex(State())
    let controller: ControllerRunner
    /// Connections to the other brokers (transaction markers).
    let peers: BrokerClients
    /// How connections to the other brokers are secured (`inter.broker.listener.name`).
    let security: ClientSecurity
    let interBrokerListener: String

    init(nodeId: Int32, settings: ClusterSettings, defaults: Defaults, security: ClientSecurity, interBrokerListener: String, logger: Logger) {
        self.nodeId = nodeId
        self.settings = settings
        self.defaults = defaults
        self.keys = settings.keys
        self.logger = logger
        self.etcd = EtcdClient(endpoints: settings.endpoints, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        self.replicas = ReplicaManager(nodeId: nodeId, lagMaxMs: settings.replicaLagTimeMaxMs)
        self.controller = ControllerRunner(nodeId: nodeId, logger: logger)
        self.peers = BrokerClients(nodeId: nodeId, security: security)
        self.security = security
        self.interBrokerListener = interBrokerListener
    }

    /// The cluster id kept in etcd; the first broker to ask writes its own (or a new one).
    static func clusterId(_ settings: ClusterSettings, proposed: String?, logger: Logger) async throws -> String {
        let etcd = EtcdClient(endpoints: settings.endpoints, group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        let key = settings.keys.clusterId
        let id = proposed ?? ClusterMetadataStore.randomId().description
        let result = try await etcd.txn(if: [.createRevision(key: key, equals: 0)], then: [.put(key: key, value: Array(id.utf8))], else: [.get(key)])
        if result.succeeded { return id }
        guard let stored = result.responses.first?.kvs?.first else { throw ReplicationError("etcd has no cluster id at \(key)") }
        let existing = String(decoding: stored.value, as: UTF8.self)
        if let proposed, proposed != existing {
            throw ReplicationError("cluster.id \(proposed) differs from the cluster's \(existing) in etcd at \(key)")
        }
        return existing
    }

    // MARK: - The view every handler reads

    /// Live brokers, by id.
    var brokers: [Int32: BrokerRegistration] { state.withLock { $0.image.brokers } }
    var image: ClusterImage { state.withLock { $0.image } }
    var controllerId: Int32 { state.withLock { $0.controller?.brokerId ?? -1 } }
    var ownEndpoints: [BrokerEndpoint] { state.withLock { $0.endpoints } }
    /// This broker's registration as it writes it to etcd.
    func ownRegistration(incarnation: String) -> BrokerRegistration {
        BrokerRegistration(id: nodeId, incarnationId: incarnation, rack: settings.rack, endpoints: ownEndpoints)
    }
    func partition(_ tp: TopicPartition) -> PartitionState? { state.withLock { $0.image.partitions[PartitionKey(tp.topic, tp.partition)] } }

    /// A broker's endpoint for `listener` (or its first), as clients must reach it.
    func endpoint(of id: Int32, listener: String) -> BrokerEndpoint? {
        guard let b = state.withLock({ $0.image.brokers[id] }) else { return nil }
        return b.endpoints.first { $0.listener == listener } ?? b.endpoints.first
    }
}

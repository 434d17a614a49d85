import Foundation
import GregorCluster
import GregorStorage
import KafkaProtocol

extension ClusterMember {
    /// Registers this broker, loads the cluster's metadata, and starts the watch, the lease
    /// renewal, the controller campaign and the ISR checks.
    func start(broker: Broker, endpoints: [BrokerEndpoint]) async throws {
        let incarnation = UUID().uuidString
        state.withLock { s in
            s.incarnationId = incarnation
            s.endpoints = endpoints
        }
        try await register(ownRegistration(incarnation: incarnation))
        await grantProducerIds(to: broker.producerIds)
        let (kvs, revision) = try await etcd.range(prefix: keys.all)
        apply(kvs.map { EtcdEvent(kind: .put, kv: $0) }, revision: revision, broker: broker)
        let tasks: [Task<Void, Never>] = [
            Task { await self.watch(from: revision + 1, broker: broker) },
            Task { await self.renewLease() },
            Task { await self.checkIsrs(broker: broker) },
        ]
        state.withLock { $0.tasks = tasks }
        await controller.campaign(self)
        logger.info("node \(nodeId) joined the cluster at etcd revision \(revision): \(brokers.count) live broker(s), controller \(controllerId)")
    }

    /// Writes the registration under a new lease. A registration left by this node's previous
    /// life is waited out, as KRaft refuses a second registration of a live broker id
    /// (DUPLICATE_BROKER_REGISTRATION) until the old session times out.
    ///
    /// A fenced broker registers again from two places at once: the lease renewal (its lease is
    /// gone) and the watch (its key is gone). The registration one of them wrote, under the
    /// lease this broker now renews, is this broker's own: the other returns instead of waiting
    /// for it to expire. (Waiting was a loop: the renewal, stuck here, renewed nothing, so the
    /// registration expired every session timeout and the watch wrote another, for good.)
    func register(_ registration: BrokerRegistration) async throws {
        let ttl = max(1, (settings.sessionTimeoutMs + 999) / 1000)
        let key = keys.broker(nodeId)
        let value = try JSONEncoder.sorted.encode(registration)
        var warned = false
        while true {
            let lease = try await etcd.grantLease(ttlSeconds: ttl).id
            let result = try await etcd.txn(
                if: [.createRevision(key: key, equals: 0)], then: [.put(key: key, value: Array(value), lease: lease)],
                else: [.get(key)])
            if result.succeeded {
                state.withLock { $0.lease = lease }
                return
            }
            try? await etcd.revoke(lease: lease)
            if let held = result.responses.first?.kvs?.first, Self.isOwn(held, lease: state.withLock { $0.lease }) { return }
            if !warned {
                logger.warning("node \(nodeId) is still registered in etcd (a previous run?); waiting up to broker.session.timeout.ms for it to expire")
                warned = true
            }
            try await Task.sleep(for: .milliseconds(settings.heartbeatIntervalMs / 2))
        }
    }

    /// Whether the registration etcd holds is the one this broker wrote under `lease`, the lease
    /// it renews (0: none yet).
    static func isOwn(_ held: EtcdKeyValue, lease: Int64) -> Bool {
        lease != 0 && held.lease == lease
    }

    /// Renews the lease every `broker.heartbeat.interval.ms`. A lease that expired (the broker
    /// was paused or cut off longer than the session timeout) means the controller has fenced
    /// this broker: it registers again, as a fenced KRaft broker does.
    func renewLease() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(settings.heartbeatIntervalMs))
            let (lease, incarnation, stopping) = state.withLock { ($0.lease, $0.incarnationId, $0.shuttingDown) }
            if stopping { return }
            do {
                _ = try await etcd.keepAlive(lease: lease)
            } catch let error as EtcdError where error.code == .leaseNotFound {
                logger.warning("node \(nodeId)'s etcd lease expired: fenced; registering again")
                let registration = ownRegistration(incarnation: incarnation)
                do { try await register(registration) } catch { logger.error("registering again failed: \(error)") }
            } catch {
                logger.warning("renewing the etcd lease failed: \(error)")
            }
        }
    }

    /// Controlled shutdown: asks the controller to move this broker's leaderships away, waits
    /// (up to the session timeout) until it leads nothing, then revokes the lease.
    func stop() async {
        let lease = state.withLock { s in
            s.shuttingDown = true
            return s.lease
        }
        if var registration = state.withLock({ $0.image.brokers[nodeId] }) {
            registration.inControlledShutdown = true
            if let value = try? JSONEncoder.sorted.encode(registration) {
                _ = try? await etcd.put(keys.broker(nodeId), Array(value), lease: lease)
            }
            let deadline = ContinuousClock.now + .milliseconds(settings.sessionTimeoutMs)
            while ContinuousClock.now < deadline, replicas.ledPartitionCount > 0 {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let tasks = state.withLock { s in
            defer { s.tasks = []; s.fetchers = [:] }
            return s.tasks + Array(s.fetchers.values)
        }
        for t in tasks { t.cancel() }
        await controller.resign(self)
        await peers.closeAll()
        try? await etcd.revoke(lease: lease)
    }
}

extension JSONEncoder {
    /// Sorted keys, so the same value is the same bytes (and a put of an unchanged value is visible as such).
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}

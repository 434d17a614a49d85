extension ServerProperties {
    /// `metadata.store` and the replication keys. Without `metadata.store` only the two topic
    /// defaults apply (a single broker has no follower to wait for).
    func configureCluster(_ c: inout BrokerConfig) throws(InvalidValue) {
        if let v = try int32("min.insync.replicas") { c.minInsyncReplicas = v }
        if let v = try bool("unclean.leader.election.enable") { c.uncleanLeaderElection = v }
        if let v = try int32("offsets.topic.replication.factor") { c.offsetsTopicReplicationFactor = Int16(clamping: v) }
        if let v = try int32("transaction.state.log.replication.factor") { c.transactionStateReplicationFactor = Int16(clamping: v) }
        guard let store = raw("metadata.store") else { return }
        var s: ClusterSettings
        do { s = try ClusterSettings(store: store) } catch {
            throw InvalidValue(key: "metadata.store", value: store, reason: "\(error)")
        }
        if let v = raw("metadata.store.prefix") {
            guard v.hasPrefix("/"), v.count > 1 else { throw InvalidValue(key: "metadata.store.prefix", value: v, reason: "must start with / and name a folder") }
            s.prefix = v
        }
        if let v = raw("broker.rack"), !v.isEmpty { s.rack = v }
        if let v = try int64("broker.session.timeout.ms") { s.sessionTimeoutMs = v }
        if let v = try int64("broker.heartbeat.interval.ms") { s.heartbeatIntervalMs = v }
        guard s.heartbeatIntervalMs < s.sessionTimeoutMs else {
            throw InvalidValue(key: "broker.heartbeat.interval.ms", value: "\(s.heartbeatIntervalMs)",
                               reason: "must be less than broker.session.timeout.ms (\(s.sessionTimeoutMs))")
        }
        if let v = try int64("replica.lag.time.max.ms") { s.replicaLagTimeMaxMs = v }
        if let v = try bool("auto.leader.rebalance.enable") { s.autoLeaderRebalance = v }
        if let v = try int64("leader.imbalance.check.interval.seconds") { s.leaderImbalanceCheckIntervalSeconds = v }
        if let v = try int32("replica.fetch.wait.max.ms") { s.replicaFetchWaitMaxMs = v }
        if let v = try int32("replica.fetch.max.bytes") { s.replicaFetchMaxBytes = v }
        if let v = try int32("replica.fetch.response.max.bytes") { s.replicaFetchResponseMaxBytes = v }
        if let v = raw("replica.selector.class"), !v.isEmpty {
            // Kafka loads the class by name; the rack-aware one is the only selector it ships
            // (unset, consumers read from the leader).
            guard v == ClusterSettings.rackAwareSelector else {
                throw InvalidValue(key: "replica.selector.class", value: v, reason: "Gregor knows \(ClusterSettings.rackAwareSelector) only")
            }
            s.rackAwareReads = true
        }
        c.cluster = s
        c.interBroker = try interBrokerSecurity(c)
    }
}

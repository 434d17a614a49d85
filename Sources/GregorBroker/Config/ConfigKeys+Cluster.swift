// The keys of a cluster of brokers: where the metadata store is, the broker's rack, and Kafka's
// replication settings (ReplicationConfigs, KRaftConfigs' broker session). Without
// `metadata.store` a broker is a cluster of one and these keys change nothing.
extension ConfigKeys {
    static let cluster: [ConfigKey] = [
        .broker("metadata.store", .string, nil,
                "Where the cluster's metadata lives: etcd://host:port[,host:port] makes this broker a member of a cluster kept in etcd; unset, the broker keeps its metadata itself.")
            .current { $0.cluster?.store },
        .broker("metadata.store.prefix", .string, "/gregor", "The etcd key prefix under which the cluster's metadata lives.")
            .current { ($0.cluster ?? .defaults).prefix },
        .broker("broker.rack", .string, nil, "The rack of the broker, used by rack-aware replica assignment and by follower fetching (KIP-392).")
            .current { $0.cluster?.rack },
        .broker("broker.session.timeout.ms", .int, "9000", .atLeast(1000),
                "How long a broker stays registered without renewing its etcd lease; after that it is fenced and its partitions get new leaders.")
            .current { "\(($0.cluster ?? .defaults).sessionTimeoutMs)" },
        .broker("broker.heartbeat.interval.ms", .int, "2000", .atLeast(100), "How often a broker renews its etcd lease.")
            .current { "\(($0.cluster ?? .defaults).heartbeatIntervalMs)" },
        .broker("replica.lag.time.max.ms", .long, "30000", .atLeast(1),
                "A follower that has not caught up to the leader's log end for this long is removed from the ISR.")
            .current { "\(($0.cluster ?? .defaults).replicaLagTimeMaxMs)" },
        .broker("replica.fetch.wait.max.ms", .int, "500", .atLeast(0), "The longest a follower's fetch waits at the leader for new data.")
            .current { "\(($0.cluster ?? .defaults).replicaFetchWaitMaxMs)" },
        .broker("replica.fetch.max.bytes", .int, "1048576", .atLeast(0), "The bytes a follower asks for per partition.")
            .current { "\(($0.cluster ?? .defaults).replicaFetchMaxBytes)" },
        .broker("replica.fetch.response.max.bytes", .int, "10485760", .atLeast(0), "The bytes a follower asks for per fetch.")
            .current { "\(($0.cluster ?? .defaults).replicaFetchResponseMaxBytes)" },
        .broker("replica.selector.class", .string, nil,
                "The ReplicaSelector that picks a consumer's preferred read replica (KIP-392): unset, consumers are pointed at the leader; org.apache.kafka.common.replica.RackAwareReplicaSelector points them at an in-sync replica in their rack.")
            .current { $0.cluster?.rackAwareReads == true ? ClusterSettings.rackAwareSelector : nil },
        .broker("auto.leader.rebalance.enable", .boolean, "true",
                "Whether the controller moves leadership back to each partition's preferred replica, checked every leader.imbalance.check.interval.seconds.")
            .current { "\(($0.cluster ?? .defaults).autoLeaderRebalance)" },
        .broker("leader.imbalance.check.interval.seconds", .long, "300", .atLeast(1),
                "How often the controller checks whether leadership is balanced over the preferred replicas.")
            .current { "\(($0.cluster ?? .defaults).leaderImbalanceCheckIntervalSeconds)" },
        .broker("min.insync.replicas", .int, "1", .atLeast(1), "The broker default of min.insync.replicas.")
            .current { "\($0.minInsyncReplicas)" },
        .broker("unclean.leader.election.enable", .boolean, "false", "The broker default of unclean.leader.election.enable.")
            .current { "\($0.uncleanLeaderElection)" },
    ]
}

import GregorCluster
import GregorStorage
import KafkaProtocol

extension Broker {
    /// The controller's state machine for the admin APIs that KRaft forwards to the controller
    /// (ElectLeaders, AlterPartitionReassignments, ListPartitionReassignments). In a cluster it
    /// works on this broker's image of etcd, as `ClusterMember.plan` does; alone, on the image of
    /// a cluster of one (`loneImage`), so both modes give the controller's answers.
    func controllerMachine() -> ControllerStateMachine {
        if let cluster {
            return ControllerStateMachine(image: cluster.image, config: cluster.controllerConfig, seed: UInt64.random(in: 0...UInt64.max))
        }
        return ControllerStateMachine(image: loneImage, config: ControllerConfig(uncleanLeaderElectionEnable: config.uncleanLeaderElection), seed: 0)
    }

    /// A broker alone as KRaft would register it: the only broker, and the only replica, the whole
    /// ISR and the leader of every partition. The machine finds nothing to change in such an
    /// image (every leader is the preferred one, every assignment names registered brokers only
    /// when it is this one), so alone there is never a write to make.
    var loneImage: ClusterImage {
        let node = config.nodeId
        var image = ClusterImage(brokers: [BrokerRegistration(id: node, incarnationId: "", endpoints: registeredEndpoints)])
        for topic in metadata.topics {
            image.apply(.topicPut(TopicRecord(name: topic.name, topicId: topic.topicId.description, partitionCount: topic.partitionCount,
                                              configs: topic.configs)))
            for partition in 0..<topic.partitionCount {
                image.apply(.partitionPut(PartitionKey(topic.name, partition), PartitionState(replicas: [node], isr: [node], leader: node)))
            }
        }
        return image
    }

    /// Makes the machine's writes, one etcd transaction per partition so that a lost
    /// compare-and-swap fails only its own partition (the controller runner groups the same way),
    /// and returns the failures by partition. Alone there are none to make.
    func makeControllerWrites(_ writes: [ControllerWrite]) async -> [PartitionKey: ControllerFailure] {
        guard let cluster else { return [:] }
        var failures: [PartitionKey: ControllerFailure] = [:]
        for write in writes {
            guard case .updatePartition(let key, _, _) = write else { continue }
            if case .failure(let failure) = await cluster.execute([write]) { failures[key] = failure }
        }
        return failures
    }
}

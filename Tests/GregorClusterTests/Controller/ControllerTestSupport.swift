@testable import GregorCluster

/// A controller over `brokers` and one topic "t" whose partitions 0, 1, ... are `partitions`.
func controller(brokers: [Int32] = [1, 2, 3], partitions: [PartitionState] = [], topicConfigs: [String: String] = [:],
                config: ControllerConfig = ControllerConfig()) -> ControllerStateMachine {
    var image = ClusterImage(brokers: brokers.map { broker($0) })
    if !partitions.isEmpty {
        image.apply(.topicPut(TopicRecord(name: "t", topicId: "T", partitionCount: Int32(partitions.count), configs: topicConfigs)))
        for (index, partition) in partitions.enumerated() { image.apply(.partitionPut(PartitionKey("t", Int32(index)), partition)) }
    }
    return ControllerStateMachine(image: image, config: config, seed: 42)
}

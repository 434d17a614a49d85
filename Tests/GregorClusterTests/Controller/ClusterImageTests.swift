import Testing
@testable import GregorCluster

@Suite struct ClusterImageTests {
    @Test func watchEventsFoldIntoTheImage() {
        var image = ClusterImage()
        image.apply(.brokerPut(broker(1, rack: "a")))
        image.apply(.brokerPut(broker(2, shuttingDown: true)))
        image.apply(.topicPut(TopicRecord(name: "t", topicId: "T", partitionCount: 2)))
        image.apply(.partitionPut(t0, state([1, 2], isr: [1, 2], leader: 1)))
        image.apply(.partitionPut(t1, state([2, 1], isr: [2, 1], leader: 2)))
        #expect(image.isActive(1) && !image.isActive(2) && !image.isActive(3))
        #expect(image.partitions(of: "t").map(\.key) == [t0, t1])
        #expect(image.partitionsLed(by: 1) == [t0])

        image.apply(.brokerDeleted(1))
        #expect(image.brokers.keys.sorted() == [2])
        image.apply(.partitionDeleted(t1))
        #expect(image.partitions.keys.sorted() == [t0])
        image.apply(.topicDeleted("t"))
        #expect(image.topics.isEmpty && image.partitions.isEmpty)
    }

    @Test func olderPartitionAndTopicVersionsAreDropped() {
        var image = ClusterImage()
        image.apply(.topicPut(TopicRecord(name: "t", topicId: "T", partitionCount: 3)))
        image.apply(.topicPut(TopicRecord(name: "t", topicId: "T", partitionCount: 2)))
        #expect(image.topics["t"]?.partitionCount == 3)
        image.apply(.partitionPut(t0, state([1], isr: [1], leader: 1, partitionEpoch: 4)))
        image.apply(.partitionPut(t0, state([1], isr: [1], leader: -1, partitionEpoch: 3)))
        #expect(image.partitions[t0]?.partitionEpoch == 4)

        // A topic deleted and created again starts over at epoch 0.
        image.apply(.topicDeleted("t"))
        image.apply(.topicPut(TopicRecord(name: "t", topicId: "U", partitionCount: 1)))
        image.apply(.partitionPut(t0, state([1], isr: [1], leader: 1)))
        #expect(image.partitions[t0]?.partitionEpoch == 0)
    }

    @Test func uncleanElectionFollowsTheTopicOverrideElseTheDefault() {
        let image = ClusterImage(topics: [
            TopicRecord(name: "on", topicId: "A", partitionCount: 1, configs: ["unclean.leader.election.enable": "TRUE"]),
            TopicRecord(name: "off", topicId: "B", partitionCount: 1, configs: ["unclean.leader.election.enable": "false"]),
            TopicRecord(name: "unset", topicId: "C", partitionCount: 1),
        ])
        #expect(image.uncleanLeaderElectionEnabled(for: "on", default: false))
        #expect(!image.uncleanLeaderElectionEnabled(for: "off", default: true))
        #expect(image.uncleanLeaderElectionEnabled(for: "unset", default: true))
    }
}

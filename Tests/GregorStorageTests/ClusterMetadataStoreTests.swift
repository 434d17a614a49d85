import Foundation
import KafkaProtocol
import Testing
@testable import GregorStorage

private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

private func write(_ text: String, to path: String) throws { try text.write(toFile: path, atomically: false, encoding: .utf8) }

private func code(_ body: () throws -> Void) -> ClusterMetadataError.Code? {
    do { try body() } catch let error as ClusterMetadataError { return error.code } catch { return nil }
    return nil
}

@Suite struct ClusterMetadataStoreTests {
    @Test func initialisesThenRoundTripsAcrossReopen() throws {
        let root = TempDir()
        let dirs = [root.path + "/a", root.path + "/b"]
        let clusterId: String
        let expected: [TopicMetadata]
        do {
            let store = try ClusterMetadataStore(directory: dirs[0], logDirs: dirs, nodeId: 3)
            clusterId = store.clusterId
            #expect(clusterId.count == 22 && KafkaUUID(clusterId) != nil && !clusterId.hasPrefix("-"))
            #expect(store.topics.isEmpty)
            let orders = try store.createTopic("orders", partitions: 3, configs: ["retention.ms": "3600000"])
            #expect(orders.partitionCount == 3 && orders.topicId != .zero)
            let fixedId = KafkaUUID(high: 0x1234_5678_9ABC_4DEF, low: 0x8000_0000_0000_0042)
            try store.createTopic("audit.log", partitions: 1, topicId: fixedId)
            try store.createTopic("scratch", partitions: 1)
            try store.setPartitions("orders", count: 6)
            try store.alterConfigs("orders", set: ["cleanup.policy": "compact", "segment.bytes": "1048576"], remove: ["retention.ms"])
            try store.replaceConfigs("audit.log", with: ["retention.bytes": "1000"])
            let deleted = try store.deleteTopic("scratch")
            #expect(deleted.name == "scratch" && store.topic("scratch") == nil)
            #expect(store.topic(id: fixedId)?.name == "audit.log")
            #expect(store.topic("orders")?.configs == ["cleanup.policy": "compact", "segment.bytes": "1048576"])
            expected = store.topics
            #expect(expected.map(\.name) == ["audit.log", "orders"])
        }
        // Each dir carries Kafka's meta.properties.
        for dir in dirs {
            let properties = try read(dir + "/meta.properties")
            #expect(properties.contains("\nversion=1\n") && properties.contains("\nnode.id=3\n") && properties.contains("\ncluster.id=\(clusterId)\n"))
        }
        // The metadata file is readable by a person.
        let json = try read(dirs[0] + "/" + ClusterMetadataStore.fileName)
        #expect(json.contains("\"orders\"") && json.contains("\"cleanup.policy\" : \"compact\"") && !json.contains("scratch"))
        #expect(!FileManager.default.fileExists(atPath: dirs[0] + "/" + ClusterMetadataStore.fileName + ".tmp"))

        let reopened = try ClusterMetadataStore(directory: dirs[0], logDirs: dirs, nodeId: 3)
        #expect(reopened.clusterId == clusterId && reopened.nodeId == 3)
        #expect(reopened.topics == expected)
        // Giving the cluster id it already has is fine.
        #expect(try ClusterMetadataStore(directory: dirs[0], logDirs: dirs, nodeId: 3, clusterId: clusterId).topics == expected)
    }

    @Test func refusedMutationsChangeNothing() throws {
        let root = TempDir()
        let store = try ClusterMetadataStore(directory: root.path, logDirs: [root.path], nodeId: 1)
        try store.createTopic("a.b", partitions: 2)
        let before = try read(root.path + "/" + ClusterMetadataStore.fileName)
        #expect(code { try store.createTopic("a.b", partitions: 1) } == .topicAlreadyExists)
        #expect(code { try store.createTopic("a_b", partitions: 1) } == .invalidTopic)
        for name in ["", ".", "..", "has space", "slash/y", String(repeating: "x", count: 250)] {
            #expect(code { try store.createTopic(name, partitions: 1) } == .invalidTopic, "\(name)")
        }
        #expect(code { try store.createTopic("zero", partitions: 0) } == .invalidPartitions)
        #expect(code { try store.createTopic("dup-id", partitions: 1, topicId: store.topic("a.b")!.topicId) } == .topicAlreadyExists)
        #expect(code { try store.setPartitions("a.b", count: 2) } == .invalidPartitions)
        #expect(code { try store.setPartitions("a.b", count: 1) } == .invalidPartitions)
        #expect(code { try store.setPartitions("nope", count: 5) } == .unknownTopic)
        #expect(code { try store.alterConfigs("nope", set: ["x": "y"]) } == .unknownTopic)
        #expect(code { try store.deleteTopic("nope") } == .unknownTopic)
        #expect(store.topics.map(\.name) == ["a.b"] && store.topic("a.b")?.partitionCount == 2)
        #expect(try read(root.path + "/" + ClusterMetadataStore.fileName) == before)
        #expect(ClusterMetadataError(.topicAlreadyExists, "").errorCode == .topicAlreadyExists)
        #expect(ClusterMetadataError(.inconsistentClusterId, "").errorCode == .inconsistentClusterId)
        // A name of 249 legal characters is the longest allowed.
        try store.createTopic(String(repeating: "x", count: 249), partitions: 1)
    }

    @Test func aLeftoverTemporaryFileIsIgnored() throws {
        let root = TempDir()
        let path = root.path + "/" + ClusterMetadataStore.fileName
        // A crash during the very first write: only the temporary file exists.
        try write("{\"version\": 1, \"clusterId\": \"half-writ", to: path + ".tmp")
        let first = try ClusterMetadataStore(directory: root.path, logDirs: [root.path], nodeId: 1)
        try first.createTopic("kept", partitions: 4)
        let clusterId = first.clusterId
        // A crash during a later write: the committed file still holds the last complete state.
        try write("garbage that never got renamed", to: path + ".tmp")
        let second = try ClusterMetadataStore(directory: root.path, logDirs: [root.path], nodeId: 1)
        #expect(second.clusterId == clusterId && second.topics.map(\.name) == ["kept"] && second.topic("kept")?.partitionCount == 4)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        // A damaged committed file refuses the start instead of starting a new, empty cluster.
        try write("{ not json", to: path)
        #expect(code { _ = try ClusterMetadataStore(directory: root.path, logDirs: [root.path], nodeId: 1) } == .corrupt)
    }

    @Test func mismatchedMetaPropertiesAreRefused() throws {
        let root = TempDir()
        let dirs = [root.path + "/a", root.path + "/b"]
        let store = try ClusterMetadataStore(directory: dirs[0], logDirs: dirs, nodeId: 1)
        let otherCluster = ClusterMetadataStore.randomId().description

        // Another node id: in the metadata file, or in a log dir.
        #expect(code { _ = try ClusterMetadataStore(directory: dirs[0], logDirs: dirs, nodeId: 2) } == .inconsistentNodeId)
        #expect(code { _ = try ClusterMetadataStore(directory: root.path + "/fresh", logDirs: dirs, nodeId: 2) } == .inconsistentNodeId)
        // A configured cluster id that differs from the recorded one, or is not a UUID.
        #expect(code { _ = try ClusterMetadataStore(directory: dirs[0], logDirs: dirs, nodeId: 1, clusterId: otherCluster) } == .inconsistentClusterId)
        #expect(code { _ = try ClusterMetadataStore(directory: root.path + "/x", logDirs: [root.path + "/x"], nodeId: 1, clusterId: "my-cluster") } == .invalidClusterId)

        // A log dir from another cluster, in the form Kafka's storage tool writes.
        try write("#\n#Tue Oct 10 10:00:00 UTC 2023\nnode.id=1\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAA\nversion=1\ncluster.id=\(otherCluster)\n",
                  to: dirs[1] + "/meta.properties")
        #expect(code { _ = try ClusterMetadataStore(directory: dirs[0], logDirs: dirs, nodeId: 1) } == .inconsistentClusterId)
        // The same, once it names this cluster, is accepted and kept as written.
        let kafkaWritten = "#\n#Tue Oct 10 10:00:00 UTC 2023\nnode.id=1\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAA\nversion=1\ncluster.id=\(store.clusterId)\n"
        try write(kafkaWritten, to: dirs[1] + "/meta.properties")
        _ = try ClusterMetadataStore(directory: dirs[0], logDirs: dirs, nodeId: 1)
        #expect(try read(dirs[1] + "/meta.properties") == kafkaWritten)

        // A new, empty log dir joins and gets its meta.properties.
        let third = root.path + "/c"
        let grown = try ClusterMetadataStore(directory: dirs[0], logDirs: dirs + [third], nodeId: 1)
        #expect(try read(third + "/meta.properties").contains("cluster.id=\(grown.clusterId)\n"))

        // With no metadata file yet, the cluster id comes from the log dirs (a formatted dir).
        let formatted = TempDir()
        try write("version=1\nnode.id=7\ncluster.id=\(otherCluster)\n", to: formatted.path + "/meta.properties")
        #expect(try ClusterMetadataStore(directory: formatted.path, logDirs: [formatted.path], nodeId: 7).clusterId == otherCluster)
    }

    @Test func concurrentMutationsAllReachTheFile() async throws {
        let root = TempDir()
        let store = try ClusterMetadataStore(directory: root.path, logDirs: [root.path], nodeId: 1)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask {
                    try store.createTopic("t\(i)", partitions: 1)
                    try store.alterConfigs("t\(i)", set: ["n": "\(i)"])
                }
            }
            try await group.waitForAll()
        }
        let reopened = try ClusterMetadataStore(directory: root.path, logDirs: [root.path], nodeId: 1)
        #expect(reopened.topics.count == 40)
        #expect(reopened.topics == store.topics)
        #expect(Set(reopened.topics.map(\.topicId)).count == 40)
    }
}

import Foundation
import KafkaProtocol
import Testing
@testable import GregorStorage

/// CreateTopics of many topics: one durable write for the batch, per-topic results.
@Suite struct ClusterMetadataStoreBatchTests {
    @Test func aBatchIsCheckedTopicByTopicAndWrittenOnce() throws {
        let root = TempDir()
        let store = try ClusterMetadataStore(directory: root.path, logDirs: [root.path], nodeId: 1)
        try store.createTopic("existing", partitions: 1)
        let fixed = KafkaUUID(high: 0x1234_5678_9ABC_4DEF, low: 0x8000_0000_0000_0042)
        let results = try store.createTopics([
            NewTopic(name: "a", partitions: 2, configs: ["retention.ms": "1000"]),
            NewTopic(name: "existing", partitions: 1),
            NewTopic(name: "a", partitions: 1),  // the batch's own earlier topic
            NewTopic(name: "b.c", partitions: 1),
            NewTopic(name: "b_c", partitions: 1),  // collides with the previous one
            NewTopic(name: "zero", partitions: 0),
            NewTopic(name: "bad name", partitions: 1),
            NewTopic(name: "fixed", partitions: 3, topicId: fixed),
        ])
        let codes = results.map { r -> ClusterMetadataError.Code? in
            if case .failure(let e) = r { return e.code } else { return nil }
        }
        #expect(codes == [nil, .topicAlreadyExists, .topicAlreadyExists, nil, .invalidTopic, .invalidPartitions, .invalidTopic, nil])
        #expect(try results[7].get().topicId == fixed)
        #expect(store.topics.map(\.name) == ["a", "b.c", "existing", "fixed"])

        // Durable: a reopened store has the same topics, ids and configs.
        let before = store.topics
        let reopened = try ClusterMetadataStore(directory: root.path, logDirs: [root.path], nodeId: 1)
        #expect(reopened.topics == before)
        #expect(reopened.topic("a")?.configs == ["retention.ms": "1000"])
    }

    @Test func aFailedWriteRecordsNoneOfTheBatch() throws {
        let root = TempDir()
        let store = try ClusterMetadataStore(directory: root.path, logDirs: [root.path], nodeId: 1)
        // The atomic write goes through path + ".tmp": a directory there makes it fail.
        try FileManager.default.createDirectory(atPath: store.path + ".tmp/x", withIntermediateDirectories: true)
        #expect(throws: ClusterMetadataError.self) { try store.createTopics([NewTopic(name: "x", partitions: 1), NewTopic(name: "y", partitions: 1)]) }
        #expect(store.topics.isEmpty)
        try FileManager.default.removeItem(atPath: store.path + ".tmp")
        #expect(try store.createTopics([NewTopic(name: "x", partitions: 1)]).count == 1)
        #expect(store.topic("x") != nil)
    }

    /// A thousand topics cost one durable write, not a thousand (10-18 s of fsyncs here).
    @Test func aThousandTopicsInOneWrite() throws {
        let n = 1000
        let dir = TempDir()
        let store = try ClusterMetadataStore(directory: dir.path, logDirs: [dir.path], nodeId: 1)
        let before = store.writes
        let results = try store.createTopics((0..<n).map { NewTopic(name: "topic-\($0)", partitions: 1) })
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        #expect(store.topics.count == n)
        #expect(store.writes == before + 1)
        // And they are durable: a store reopened on the directory knows them all.
        let reopened = try ClusterMetadataStore(directory: dir.path, logDirs: [dir.path], nodeId: 1)
        #expect(reopened.topics.count == n)
    }
}

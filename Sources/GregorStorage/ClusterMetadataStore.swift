#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import KafkaProtocol
import NIOCore
import Synchronization

/// A topic as the cluster knows it.
public struct TopicMetadata: Hashable, Sendable {
    public var name: String
    public var topicId: KafkaUUID
    public var partitionCount: Int32
    /// Topic-level overrides by Kafka name (`retention.ms`: `"3600000"`); broker defaults apply to the rest.
    public var configs: [String: String]

    public init(name: String, topicId: KafkaUUID, partitionCount: Int32, configs: [String: String] = [:]) {
        self.name = name
        self.topicId = topicId
        self.partitionCount = partitionCount
        self.configs = configs
    }
}

/// A topic to create: what a CreateTopics entry asks for.
public struct NewTopic: Hashable, Sendable {
    public var name: String
    public var partitions: Int32
    public var configs: [String: String]
    /// Given when a topic is re-created from a snapshot; otherwise a random id is drawn.
    public var topicId: KafkaUUID?

    public init(name: String, partitions: Int32, configs: [String: String] = [:], topicId: KafkaUUID? = nil) {
        self.name = name
        self.partitions = partitions
        self.configs = configs
        self.topicId = topicId
    }
}

/// Why the cluster metadata could not be loaded or changed.
public struct ClusterMetadataError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case inconsistentClusterId, inconsistentNodeId, invalidClusterId, topicAlreadyExists, unknownTopic,
                invalidTopic, invalidPartitions, corrupt, io
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A log dir's `meta.properties` or the metadata file names another cluster (Kafka's InconsistentClusterIdException).
        public static let inconsistentClusterId = Code(.inconsistentClusterId)
        /// A log dir's `meta.properties` or the metadata file belongs to another node id.
        public static let inconsistentNodeId = Code(.inconsistentNodeId)
        /// A configured cluster id that is not Kafka's 22-character base64 UUID.
        public static let invalidClusterId = Code(.invalidClusterId)
        public static let topicAlreadyExists = Code(.topicAlreadyExists)
        public static let unknownTopic = Code(.unknownTopic)
        /// An illegal topic name, or one colliding with another once '.' and '_' are confused.
        public static let invalidTopic = Code(.invalidTopic)
        /// A partition count below one, or not above the current one.
        public static let invalidPartitions = Code(.invalidPartitions)
        /// The metadata file or a `meta.properties` cannot be parsed.
        public static let corrupt = Code(.corrupt)
        /// Reading or writing failed.
        public static let io = Code(.io)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The error code a client should see when a request caused this.
    public var errorCode: ErrorCode {
        switch code {
        case .inconsistentClusterId: return .inconsistentClusterId
        case .topicAlreadyExists: return .topicAlreadyExists
        case .unknownTopic: return .unknownTopicOrPartition
        case .invalidTopic: return .invalidTopicException
        case .invalidPartitions: return .invalidPartitions
        case .io, .corrupt: return .kafkaStorageError
        default: return .unknownServerError
        }
    }

    public var description: String { "\(code): \(message)" }
}

/// The cluster's durable metadata: its id, this node's id and the topics (ids, partition counts,
/// config overrides), kept in one human-readable JSON file. Every mutation is on disk (temporary
/// file, fsync, rename, fsync of the directory) before it returns, and the in-memory state never
/// runs ahead of the file. Each log dir also gets Kafka's `meta.properties`, so a dir from another
/// cluster or node is refused at startup rather than mixed in.
public final class ClusterMetadataStore: Sendable {
    private let writeCount = Atomic<Int>(0)
    /// Durable writes of the metadata file so far (each rewrites and fsyncs the whole file).
    public var writes: Int { writeCount.load(ordering: .relaxed) }

    public static let fileName = "gregor-cluster-metadata.json"
    public static let metaPropertiesFile = "meta.properties"
    /// The version of the metadata file's format.
    static let formatVersion = 1

    /// The metadata file.
    public let path: String
    public let clusterId: String
    public let nodeId: Int32
    let topicsByName: Mutex<[String: TopicMetadata]>
    /// Topic names by id (Fetch v13+ and Metadata v12 ask by id), rebuilt with every change.
    private let namesById: Mutex<[KafkaUUID: String]>
    /// Client metrics subscriptions (KIP-714) by name, each its stored config keys. Changed only
    /// while `topicsByName` is locked, so every write of the file sees both.
    let clientMetrics: Mutex<[String: [String: String]]>

    /// Loads the metadata kept in `directory`, or initialises it. The cluster id is the one already
    /// recorded (in the file or in any log dir's `meta.properties`), else `clusterId`, else a new
    /// random one; a `meta.properties` naming another cluster or node id refuses the start.
    public init(directory: String, logDirs: [String], nodeId: Int32, clusterId: String? = nil) throws(ClusterMetadataError) {
        path = directory + "/" + Self.fileName
        let dirs = Self.unique(logDirs + [directory])
        do {
            for dir in dirs { try FS.mkdirs(dir) }
            // A crash mid-write leaves the temporary file; the committed file is the truth.
            try FS.remove(path + ".tmp")
        } catch {
            throw ClusterMetadataError(.io, "\(error)")
        }
        let stored = try Self.load(path)
        var properties: [(dir: String, values: [String: String])] = []
        for dir in dirs {
            if let values = try Self.readProperties(dir + "/" + Self.metaPropertiesFile) { properties.append((dir, values)) }
        }
        let recorded = stored?.clusterId ?? properties.lazy.compactMap { $0.values["cluster.id"] }.first
        if let clusterId {
            guard KafkaUUID(clusterId) != nil else {
                throw ClusterMetadataError(.invalidClusterId, "cluster id \(clusterId) is not a 22-character base64 UUID")
            }
            if let recorded, recorded != clusterId {
                throw ClusterMetadataError(.inconsistentClusterId, "configured cluster id \(clusterId) but the data directories belong to \(recorded)")
            }
        }
        let id = recorded ?? clusterId ?? Self.randomId().description
        if let stored, stored.nodeId != nodeId {
            throw ClusterMetadataError(.inconsistentNodeId, "\(path) belongs to node \(stored.nodeId), not \(nodeId)")
        }
        for (dir, values) in properties {
            let file = dir + "/" + Self.metaPropertiesFile
            if let other = values["cluster.id"], other != id {
                throw ClusterMetadataError(.inconsistentClusterId, "\(file) has cluster.id \(other), expected \(id)")
            }
            // Version 0 (ZooKeeper era) calls it broker.id.
            if let other = values["node.id"] ?? values["broker.id"], Int32(other) != nodeId {
                throw ClusterMetadataError(.inconsistentNodeId, "\(file) has node.id \(other), expected \(nodeId)")
            }
        }
        self.clusterId = id
        self.nodeId = nodeId
        let topics = stored?.topics ?? [:]
        self.topicsByName = Mutex(topics)
        self.namesById = Mutex(Self.index(topics))
        self.clientMetrics = Mutex(stored?.clientMetrics ?? [:])
        if stored == nil { try persist(topics) }
        let written = Set(properties.map(\.dir))
        for dir in dirs where !written.contains(dir) {
            let text = "#Written by Gregor\nversion=1\nnode.id=\(nodeId)\ncluster.id=\(id)\n"
            do { try FS.writeAtomically(ByteBuffer(string: text), to: dir + "/" + Self.metaPropertiesFile) } catch {
                throw ClusterMetadataError(.io, "\(error)")
            }
        }
    }

    // MARK: reading

    /// Every topic, by name.
    public var topics: [TopicMetadata] { topicsByName.withLock { $0.values.sorted { $0.name < $1.name } } }

    public func topic(_ name: String) -> TopicMetadata? { topicsByName.withLock { $0[name] } }

    public func topic(id: KafkaUUID) -> TopicMetadata? {
        // Two locks, never held together: a topic replaced in between has another id.
        guard let name = namesById.withLock({ $0[id] }), let topic = topic(name), topic.topicId == id else { return nil }
        return topic
    }

    private static func index(_ topics: [String: TopicMetadata]) -> [KafkaUUID: String] {
        Dictionary(topics.values.map { ($0.topicId, $0.name) }, uniquingKeysWith: { first, _ in first })
    }

    // MARK: mutations

    /// Records a new topic; its id is random unless given (a topic re-created from a snapshot).
    @discardableResult
    public func createTopic(_ name: String, partitions: Int32, configs: [String: String] = [:], topicId: KafkaUUID? = nil)
        throws(ClusterMetadataError) -> TopicMetadata
    {
        try mutate { (topics: inout [String: TopicMetadata]) throws(ClusterMetadataError) -> TopicMetadata in
            var index = NameIndex(topics)
            return try Self.add(NewTopic(name: name, partitions: partitions, configs: configs, topicId: topicId), to: &topics, &index)
        }
    }

    /// Records several topics with one durable write (one CreateTopics request). Each topic is
    /// checked as `createTopic` checks it, against the existing topics and the earlier ones of
    /// the batch; the results are in the order given. Throws, recording none, when the write fails.
    public func createTopics(_ batch: [NewTopic]) throws(ClusterMetadataError) -> [Result<TopicMetadata, ClusterMetadataError>] {
        try mutate { (topics: inout [String: TopicMetadata]) throws(ClusterMetadataError) -> [Result<TopicMetadata, ClusterMetadataError>] in
            var index = NameIndex(topics)
            return batch.map { new in
                do throws(ClusterMetadataError) { return .success(try Self.add(new, to: &topics, &index)) } catch { return .failure(error) }
            }
        }
    }

    /// The names (with '.' read as '_') and ids in use, so a batch checks each topic in O(1).
    private struct NameIndex {
        var collisionNames: [String: String] = [:]
        var ids: Set<KafkaUUID> = []

        init(_ topics: [String: TopicMetadata]) {
            for topic in topics.values { insert(topic) }
        }

        mutating func insert(_ topic: TopicMetadata) {
            collisionNames[ClusterMetadataStore.collisionName(topic.name)] = topic.name
            ids.insert(topic.topicId)
        }
    }

    /// Kafka's Topic.hasCollision: '.' and '_' collide in metric names.
    private static func collisionName(_ name: String) -> String { name.replacing(".", with: "_") }

    private static func add(_ new: NewTopic, to topics: inout [String: TopicMetadata], _ index: inout NameIndex)
        throws(ClusterMetadataError) -> TopicMetadata
    {
        let name = new.name
        try validate(name)
        guard topics[name] == nil else { throw ClusterMetadataError(.topicAlreadyExists, "topic \(name) already exists") }
        if let other = index.collisionNames[collisionName(name)] {
            throw ClusterMetadataError(.invalidTopic, "topic \(name) collides with existing topic \(other)")
        }
        guard new.partitions >= 1 else { throw ClusterMetadataError(.invalidPartitions, "\(new.partitions) partitions; at least one is needed") }
        var id = new.topicId ?? randomId()
        while new.topicId == nil && index.ids.contains(id) { id = randomId() }
        if index.ids.contains(id), let existing = topics.values.first(where: { $0.topicId == id }) {
            throw ClusterMetadataError(.topicAlreadyExists, "topic id \(id) is already used by \(existing.name)")
        }
        let topic = TopicMetadata(name: name, topicId: id, partitionCount: new.partitions, configs: new.configs)
        topics[name] = topic
        index.insert(topic)
        return topic
    }

    /// Forgets a topic; returns what it was, so the caller can delete its partitions.
    @discardableResult
    public func deleteTopic(_ name: String) throws(ClusterMetadataError) -> TopicMetadata {
        try mutate { (topics: inout [String: TopicMetadata]) throws(ClusterMetadataError) -> TopicMetadata in
            guard let topic = topics.removeValue(forKey: name) else { throw ClusterMetadataError(.unknownTopic, "no topic \(name)") }
            return topic
        }
    }

    /// CreatePartitions: partitions can only be added, as in Kafka.
    @discardableResult
    public func setPartitions(_ name: String, count: Int32) throws(ClusterMetadataError) -> TopicMetadata {
        try update(name) { (topic: inout TopicMetadata) throws(ClusterMetadataError) in
            guard count > topic.partitionCount else {
                throw ClusterMetadataError(.invalidPartitions, "topic \(name) has \(topic.partitionCount) partitions; \(count) would not add any")
            }
            topic.partitionCount = count
        }
    }

    /// IncrementalAlterConfigs: sets some overrides and removes others (back to the broker default).
    @discardableResult
    public func alterConfigs(_ name: String, set: [String: String] = [:], remove: Set<String> = []) throws(ClusterMetadataError) -> TopicMetadata {
        try update(name) { topic in
            for key in remove { topic.configs[key] = nil }
            topic.configs.merge(set) { _, new in new }
        }
    }

    /// AlterConfigs (the legacy request): the given overrides replace all of them.
    @discardableResult
    public func replaceConfigs(_ name: String, with configs: [String: String]) throws(ClusterMetadataError) -> TopicMetadata {
        try update(name) { $0.configs = configs }
    }

    private func update(_ name: String, _ change: (inout TopicMetadata) throws(ClusterMetadataError) -> Void)
        throws(ClusterMetadataError) -> TopicMetadata
    {
        try mutate { (topics: inout [String: TopicMetadata]) throws(ClusterMetadataError) -> TopicMetadata in
            guard var topic = topics[name] else { throw ClusterMetadataError(.unknownTopic, "no topic \(name)") }
            try change(&topic)
            topics[name] = topic
            return topic
        }
    }

    /// Applies `change` to a copy, writes the copy, and only then makes it current; the lock is held
    /// throughout so concurrent mutations reach the file in the order they take effect.
    private func mutate<T: Sendable>(_ change: (inout [String: TopicMetadata]) throws(ClusterMetadataError) -> T)
        throws(ClusterMetadataError) -> T
    {
        try topicsByName.withLock { (current: inout [String: TopicMetadata]) throws(ClusterMetadataError) -> T in
            var next = current
            let result = try change(&next)
            try persist(next, clientMetrics: clientMetrics.withLock { $0 })
            current = next
            namesById.withLock { $0 = Self.index(next) }
            return result
        }
    }

    // MARK: the file

    private struct File: Codable {
        struct Topic: Codable {
            var name: String
            var topicId: String
            var partitions: Int32
            var configs: [String: String]
        }
        var version: Int
        var clusterId: String
        var nodeId: Int32
        var topics: [Topic]
        /// Absent in files written before client metrics were stored.
        var clientMetrics: [String: [String: String]]?
    }

    func persist(_ topics: [String: TopicMetadata], clientMetrics: [String: [String: String]] = [:]) throws(ClusterMetadataError) {
        let file = File(
            version: Self.formatVersion, clusterId: clusterId, nodeId: nodeId,
            topics: topics.values.sorted { $0.name < $1.name }.map {
                .init(name: $0.name, topicId: $0.topicId.description, partitions: $0.partitionCount, configs: $0.configs)
            },
            clientMetrics: clientMetrics.isEmpty ? nil : clientMetrics)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            var bytes = ByteBuffer(bytes: try encoder.encode(file))
            bytes.writeString("\n")
            try FS.writeAtomically(bytes, to: path)
            writeCount.add(1, ordering: .relaxed)
        } catch {
            throw ClusterMetadataError(.io, "writing \(path): \(error)")
        }
    }

    private static func load(_ path: String) throws(ClusterMetadataError)
        -> (clusterId: String, nodeId: Int32, topics: [String: TopicMetadata], clientMetrics: [String: [String: String]])?
    {
        guard let bytes = try read(path) else { return nil }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: Data(bytes.readableBytesView)) } catch {
            throw ClusterMetadataError(.corrupt, "\(path): \(error)")
        }
        guard file.version == formatVersion else { throw ClusterMetadataError(.corrupt, "\(path): unknown version \(file.version)") }
        var topics: [String: TopicMetadata] = [:]
        for t in file.topics {
            guard let id = KafkaUUID(t.topicId) else { throw ClusterMetadataError(.corrupt, "\(path): bad topic id \(t.topicId)") }
            topics[t.name] = TopicMetadata(name: t.name, topicId: id, partitionCount: t.partitions, configs: t.configs)
        }
        return (file.clusterId, file.nodeId, topics, file.clientMetrics ?? [:])
    }

    /// Java properties as Kafka writes them (PropertiesText); a line without a separator is corrupt.
    static func readProperties(_ path: String) throws(ClusterMetadataError) -> [String: String]? {
        guard let bytes = try read(path) else { return nil }
        var values: [String: String] = [:]
        for line in PropertiesText.lines(String(buffer: bytes)) {
            switch line {
            case .entry(let key, let value): values[key] = value
            case .malformed(let text): throw ClusterMetadataError(.corrupt, "\(path): cannot parse \(text)")
            }
        }
        return values
    }

    private static func read(_ path: String) throws(ClusterMetadataError) -> ByteBuffer? {
        guard FS.exists(path) else { return nil }
        do {
            let file = try OpenFile(path: path, create: false)
            return try file.read(at: 0, length: Int(try file.size()))
        } catch {
            throw ClusterMetadataError(.io, "reading \(path): \(error)")
        }
    }

    /// Kafka's `Uuid.randomUuid()`: never an id whose text starts with '-' (command lines would
    /// take it for an option).
    public static func randomId() -> KafkaUUID {
        while true {
            let id = KafkaUUID.random()
            if !id.description.hasPrefix("-") { return id }
        }
    }

    /// Kafka's Topic.validate: 1 to 249 characters of [a-zA-Z0-9._-], and neither "." nor "..".
    static func validate(_ name: String) throws(ClusterMetadataError) {
        let legal = name.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5F || c == 0x2D
        }
        guard !name.isEmpty, name.utf8.count <= 249, name != ".", name != "..", legal else {
            throw ClusterMetadataError(.invalidTopic, "illegal topic name '\(name)'")
        }
    }

    private static func unique(_ dirs: [String]) -> [String] {
        var seen = Set<String>()
        return dirs.filter { seen.insert($0).inserted }
    }
}

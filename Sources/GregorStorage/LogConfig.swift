import KafkaProtocol

/// The topic-level settings the log obeys, with Kafka's names and defaults.
public struct LogConfig: Hashable, Sendable {
    /// `segment.bytes`: roll to a new segment past this size.
    public var segmentBytes: Int64 = 1 << 30
    /// `segment.ms`: roll a segment this old (by its first batch's timestamp or creation time).
    public var segmentMs: Int64 = 7 * 24 * 3_600_000
    /// `segment.index.bytes`: an index this large is full, which also rolls the segment.
    public var segmentIndexBytes: Int = 10 * 1024 * 1024
    /// `index.interval.bytes`: bytes of log between two sparse index entries.
    public var indexIntervalBytes: Int = 4096
    /// `max.message.bytes`: the largest batch accepted.
    public var maxMessageBytes: Int = 1_048_588
    /// `flush.messages`: fsync after this many records (1: before every append is acknowledged).
    public var flushMessages: Int64 = Int64.max
    /// `flush.ms`: fsync a log whose oldest unflushed append is this old.
    public var flushMs: Int64 = Int64.max
    /// `retention.ms`: delete segments whose newest record is older; -1 keeps forever.
    public var retentionMs: Int64 = 7 * 24 * 3_600_000
    /// `retention.bytes`: delete the oldest segments while the log is larger; -1 for no limit.
    public var retentionBytes: Int64 = -1
    /// `cleanup.policy`.
    public var cleanupPolicy: CleanupPolicy = .delete
    /// `delete.retention.ms`: how long a compacted log keeps tombstones.
    public var deleteRetentionMs: Int64 = 24 * 3_600_000
    /// `min.cleanable.dirty.ratio`.
    public var minCleanableDirtyRatio: Double = 0.5
    /// `message.timestamp.type`: LogAppendTime stamps each batch with the broker's clock.
    public var logAppendTime: Bool = false
    /// `message.timestamp.before.max.ms` (KIP-937): under CreateTime, the furthest a record's
    /// timestamp may lie behind the broker's clock.
    public var messageTimestampBeforeMaxMs: Int64 = Int64.max
    /// `message.timestamp.after.max.ms` (KIP-937): the furthest it may lie ahead; one hour
    /// since Kafka 4.0 (KIP-1030).
    public var messageTimestampAfterMaxMs: Int64 = 3_600_000
    /// `compression.type`: the codec the leader stores client batches with.
    public var compressionType: CompressionType = .producer
    /// `compression.gzip.level` (KIP-390): 1-9, or -1 for zlib's default.
    public var compressionGzipLevel: Int32 = -1
    /// `compression.lz4.level` (KIP-390): 1-17; 9 is lz4's fast mode, as in Kafka.
    public var compressionLz4Level: Int32 = 9
    /// `compression.zstd.level` (KIP-390).
    public var compressionZstdLevel: Int32 = 3

    public init() {}

    /// `compression.type`: `producer` keeps each batch's codec; anything else is the codec a
    /// batch is stored with, recompressed on the leader when it differs (`uncompressed` is `.none`).
    public enum CompressionType: Hashable, Sendable, CustomStringConvertible {
        case producer
        case codec(CompressionCodec)

        /// Parses Kafka's names: producer, uncompressed, gzip, snappy, lz4, zstd.
        public init?(kafka text: String) {
            switch text {
            case "producer": self = .producer
            case "uncompressed": self = .codec(.none)
            case "gzip": self = .codec(.gzip)
            case "snappy": self = .codec(.snappy)
            case "lz4": self = .codec(.lz4)
            case "zstd": self = .codec(.zstd)
            default: return nil
            }
        }

        /// The name Kafka describes it by.
        public var description: String {
            switch self {
            case .producer: return "producer"
            case .codec(.none): return "uncompressed"
            case .codec(let codec): return codec.description
            }
        }
    }

    /// The codec and level a batch sent with `source` is stored with (Kafka's
    /// `BrokerCompressionType.targetCompression`: the topic's codec, else the producer's at its
    /// default level). A nil level is the codec's default in `Compression.compress`.
    func targetCompression(source: CompressionCodec) -> (codec: CompressionCodec, level: Int32?) {
        guard case .codec(let codec) = compressionType else { return (source, nil) }
        switch codec {
        case .gzip: return (codec, compressionGzipLevel == -1 ? nil : compressionGzipLevel)
        // Kafka's Lz4BlockOutputStream uses lz4's fast compressor at the default level 9 and the
        // high-compression one at any other.
        case .lz4: return (codec, compressionLz4Level == 9 ? nil : compressionLz4Level)
        case .zstd: return (codec, compressionZstdLevel)
        case .none, .snappy: return (codec, nil)
        }
    }

    /// `cleanup.policy`: delete, compact, or both.
    public struct CleanupPolicy: OptionSet, Hashable, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let delete = CleanupPolicy(rawValue: 1)
        public static let compact = CleanupPolicy(rawValue: 2)

        /// Parses Kafka's comma-separated form, e.g. `compact,delete`.
        public init?(kafka text: String) {
            var p: CleanupPolicy = []
            for part in text.split(separator: ",") {
                switch part.filter({ $0 != " " }) {
                case "delete": p.insert(.delete)
                case "compact": p.insert(.compact)
                default: return nil
                }
            }
            guard !p.isEmpty else { return nil }
            self = p
        }
    }

    /// Entries of `kind` that fit in `segment.index.bytes`.
    func maxIndexEntries(_ kind: SparseIndex.Kind) -> Int { max(1, segmentIndexBytes / kind.entrySize) }
}

/// A topic partition; its directory in a log dir is `<topic>-<partition>`.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var directoryName: String { "\(topic)-\(partition)" }
    public var description: String { directoryName }

    /// Parses a partition directory name (topics may contain '-'; the partition is after the last).
    public init?(directoryName name: String) {
        guard let dash = name.lastIndex(of: "-"), let p = Int32(name[name.index(after: dash)...]), p >= 0,
            dash != name.startIndex
        else { return nil }
        self.init(String(name[..<dash]), p)
    }

    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
}

import KafkaProtocol
import NIOCore

/// A record read back, with where it came from.
public struct ConsumedRecord: Hashable, Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var timestamp: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [RecordHeader]

    public init(
        topic: String, partition: Int32, offset: Int64, timestamp: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [RecordHeader]
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
    }
}

/// Where consumption starts in each partition.
public enum StartPosition: Hashable, Sendable {
    case beginning
    case end
    case offset(Int64)
}

/// kcat-style output format: %t topic, %p partition, %o offset, %k key, %v value,
/// %h headers (k=v,k=v), %T timestamp, %% a percent; \n, \t, \r and \\ are escapes.
public struct RecordFormatter: Sendable {
    enum Piece: Sendable {
        case literal(String)
        case topic, partition, offset, key, value, headers, timestamp
    }

    let pieces: [Piece]

    public init(_ format: String) throws(GregorClientError) {
        var pieces: [Piece] = []
        var literal = ""
        var iterator = format.makeIterator()
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = ""
        }
        while let c = iterator.next() {
            switch c {
            case "\\":
                switch iterator.next() {
                case "n": literal.append("\n")
                case "t": literal.append("\t")
                case "r": literal.append("\r")
                case "\\": literal.append("\\")
                case let other?: literal.append("\\"); literal.append(other)
                case nil: literal.append("\\")
                }
            case "%":
                let piece: Piece
                switch iterator.next() {
                case "t": piece = .topic
                case "p": piece = .partition
                case "o": piece = .offset
                case "k": piece = .key
                case "v": piece = .value
                case "h": piece = .headers
                case "T": piece = .timestamp
                case "%": literal.append("%"); continue
                case let other?: throw .invalidArgument("unknown format token %\(other) (use %t %p %o %k %v %h %T %%)")
                case nil: throw .invalidArgument("format ends with a lone %")
                }
                flush()
                pieces.append(piece)
            default:
                literal.append(c)
            }
        }
        flush()
        self.pieces = pieces
    }

    public func format(_ record: ConsumedRecord) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let s): out += s
            case .topic: out += record.topic
            case .partition: out += String(record.partition)
            case .offset: out += String(record.offset)
            case .key: out += record.key.map { String(buffer: $0) } ?? ""
            case .value: out += record.value.map { String(buffer: $0) } ?? ""
            case .timestamp: out += String(record.timestamp)
            case .headers:
                out += record.headers.map { "\($0.key)=\($0.value.map { String(buffer: $0) } ?? "")" }.joined(separator: ",")
            }
        }
        return out
    }
}

/// How `consume` reads.
public struct ConsumeOptions: Sendable {
    public var partition: Int32?
    public var start: StartPosition
    /// Keep waiting for new records at the end of the log instead of stopping at the high watermark.
    public var follow: Bool
    /// Stop after this many records.
    public var count: Int?
    public var maxWaitMs: Int32
    public var maxBytes: Int32

    public init(
        partition: Int32? = nil, start: StartPosition = .end, follow: Bool = false, count: Int? = nil, maxWaitMs: Int32 = 500,
        maxBytes: Int32 = 1 << 20
    ) {
        self.partition = partition
        self.start = start
        self.follow = follow
        self.count = count
        self.maxWaitMs = maxWaitMs
        self.maxBytes = maxBytes
    }
}

extension KafkaClient {
    /// Reads `topic` from `options.start` and calls `handle` for each record in offset order per
    /// partition. Without `follow`, stops once every partition reaches the high watermark it had
    /// when consumption started. Returns the number of records handled.
    @discardableResult
    public func consume(
        topic: String, options: ConsumeOptions, handle: (ConsumedRecord) async throws -> Void
    ) async throws -> Int {
        let metadata = try await topicMetadata(topic)
        var partitions = metadata.partitions.map(\.partitionIndex).sorted()
        if let only = options.partition {
            guard partitions.contains(only) else {
                throw GregorClientError.broker(.unknownTopicOrPartition, nil, context: "partition \(topic)-\(only)")
            }
            partitions = [only]
        }
        let earliest = try await listOffsets(topic: topic, partitions: partitions, timestamp: -2)
        let latest = try await listOffsets(topic: topic, partitions: partitions, timestamp: -1)
        var position: [Int32: Int64] = [:]
        for p in partitions {
            switch options.start {
            case .beginning: position[p] = earliest[p] ?? 0
            case .end: position[p] = latest[p] ?? 0
            case .offset(let o): position[p] = o >= 0 ? o : max(earliest[p] ?? 0, (latest[p] ?? 0) + o)
            }
        }
        let topicId = metadata.topicId
        var handled = 0
        // Each leader is fetched from in turn (Fetch is answered by leaders), with a short wait
        // when there are several, so one idle leader does not hold the others back.
        return try await withLeaders(topic: topic, partitions: partitions) { leaders in
            var turn = 0
            var idleTurns = 0
            var progressed = false
            while true {
                if let count = options.count, handled >= count { return handled }
                let active = partitions.filter { options.follow || position[$0]! < latest[$0] ?? 0 }
                if active.isEmpty { return handled }
                let (client, led) = leaders.groups[turn % leaders.groups.count]
                turn += 1
                let mine = active.filter(led.contains)
                if mine.isEmpty { continue }
                let fetchVersion = try client.version(of: FetchRequest.self)
                let waitMs = options.follow ? (leaders.groups.count > 1 ? min(options.maxWaitMs, 100) : options.maxWaitMs) : 0
                let request = FetchRequest(
                    replicaId: -1, maxWaitMs: waitMs, minBytes: 1, maxBytes: options.maxBytes,
                    topics: [
                        .init(
                            topic: topic, topicId: topicId,
                            partitions: mine.map { .init(partition: $0, fetchOffset: position[$0]!, partitionMaxBytes: options.maxBytes) })
                    ])
                let timeout = Duration.milliseconds(Int64(request.maxWaitMs)) + timeouts.request
                let response = try await client.send(request, version: fetchVersion, timeout: timeout)
                try GregorClientError.check(response.errorCode, nil, "Fetch \(topic)")
                progressed = false
                for t in response.responses {
                    for p in t.partitions {
                        let code = ErrorCode(rawValue: p.errorCode)
                        if code == .offsetOutOfRange {
                            // Deleted or truncated under us: continue from the log start, as auto.offset.reset=earliest.
                            let reset = try await listOffsets(topic: topic, partitions: [p.partitionIndex], timestamp: -2)
                            position[p.partitionIndex] = reset[p.partitionIndex] ?? 0
                            progressed = true
                            continue
                        }
                        try GregorClientError.check(p.errorCode, nil, "Fetch \(topic)-\(p.partitionIndex)")
                        guard let records = p.records, records.readableBytes > 0 else { continue }
                        var reader = RecordBatchReader(records, allowPartialTrailingBatch: true)
                        while let entry = try reader.nextEntry() {
                            guard case .batch(let batch) = entry else { continue }
                            let fetchOffset = position[p.partitionIndex]!
                            if batch.nextOffset <= fetchOffset { continue }
                            if !batch.isControl {
                                for record in try batch.records() where record.offset >= fetchOffset {
                                    if let count = options.count, handled >= count { return handled }
                                    try await handle(
                                        ConsumedRecord(
                                            topic: topic, partition: p.partitionIndex, offset: record.offset, timestamp: record.timestamp,
                                            key: record.key, value: record.value, headers: record.headers))
                                    handled += 1
                                }
                            }
                            position[p.partitionIndex] = batch.nextOffset
                            progressed = true
                        }
                    }
                }
                if progressed { idleTurns = 0 } else { idleTurns += 1 }
                if idleTurns >= leaders.groups.count && !options.follow {
                    // Nothing came back from any leader though records remain below the high watermark
                    // we started with (they may have been deleted, or are all in an aborted
                    // transaction): stop rather than spin.
                    return handled
                }
            }
        }
    }
}

import NIOCore

/// The type in a control record's key (Kafka's `ControlRecordType`). Control batches carry
/// transaction markers (KIP-98) and, in KRaft logs, metadata about the log itself.
public enum ControlRecordType: Hashable, Sendable {
    case abort
    case commit
    /// KIP-595 leader change message.
    case leaderChange
    /// KIP-630 snapshot header and footer.
    case snapshotHeader
    case snapshotFooter
    /// KIP-853 KRaft version and voter set.
    case kraftVersion
    case kraftVoters
    /// A type this code does not know; Kafka reads these as UNKNOWN rather than failing.
    case unknown(Int16)

    public init(rawValue: Int16) {
        switch rawValue {
        case 0: self = .abort
        case 1: self = .commit
        case 2: self = .leaderChange
        case 3: self = .snapshotHeader
        case 4: self = .snapshotFooter
        case 5: self = .kraftVersion
        case 6: self = .kraftVoters
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: Int16 {
        switch self {
        case .abort: return 0
        case .commit: return 1
        case .leaderChange: return 2
        case .snapshotHeader: return 3
        case .snapshotFooter: return 4
        case .kraftVersion: return 5
        case .kraftVoters: return 6
        case .unknown(let value): return value
        }
    }

    /// The current key version.
    public static let keyVersion: Int16 = 0

    /// Reads the key of a control record: version int16, type int16. Later key versions are
    /// accepted (Kafka only warns), a negative one is not.
    public init(key: ByteBuffer) throws(RecordsError) {
        guard key.readableBytes >= 4 else {
            throw .invalidRecord("control record key has \(key.readableBytes) bytes, needs 4")
        }
        let version = key.getInteger(at: key.readerIndex, as: Int16.self)!
        guard version >= 0 else { throw .invalidRecord("control record key version \(version)") }
        self.init(rawValue: key.getInteger(at: key.readerIndex + 2, as: Int16.self)!)
    }

    /// The key of a control record of this type.
    public func key(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 4)
        buffer.writeInteger(Self.keyVersion)
        buffer.writeInteger(rawValue)
        return buffer
    }
}

/// The commit or abort marker a transaction coordinator writes to each partition of a finished
/// transaction (KIP-98): a control batch with one record whose key is the type and whose value
/// is version int16 (0) and coordinatorEpoch int32.
public struct EndTransactionMarker: Hashable, Sendable {
    /// `.commit` or `.abort`.
    public var type: ControlRecordType
    public var coordinatorEpoch: Int32

    public static let valueVersion: Int16 = 0
    static let valueSize = 6

    public init(type: ControlRecordType, coordinatorEpoch: Int32) {
        precondition(type == .commit || type == .abort, "an end transaction marker is a commit or an abort")
        self.type = type
        self.coordinatorEpoch = coordinatorEpoch
    }

    /// Reads the marker from the record of a control batch.
    public init(record: Record) throws(RecordsError) {
        guard let key = record.key else { throw .invalidRecord("control record without a key") }
        let type = try ControlRecordType(key: key)
        guard type == .commit || type == .abort else {
            throw .invalidRecord("control record type \(type.rawValue) is not a transaction marker")
        }
        guard let value = record.value, value.readableBytes >= Self.valueSize else {
            throw .invalidRecord("end transaction marker value too short")
        }
        let version = value.getInteger(at: value.readerIndex, as: Int16.self)!
        guard version >= 0 else { throw .invalidRecord("end transaction marker version \(version)") }
        self.type = type
        self.coordinatorEpoch = value.getInteger(at: value.readerIndex + 2, as: Int32.self)!
    }

    /// The marker's record value.
    public func value(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: Self.valueSize)
        buffer.writeInteger(Self.valueVersion)
        buffer.writeInteger(coordinatorEpoch)
        return buffer
    }
}

extension RecordBatchBuilder {
    /// A transactional control batch holding one end transaction marker, as the partition
    /// leader writes when the coordinator sends WriteTxnMarkers.
    public static func endTransactionMarkerBatch(
        _ marker: EndTransactionMarker,
        producerId: Int64,
        producerEpoch: Int16,
        baseOffset: Int64 = 0,
        timestamp: Int64,
        partitionLeaderEpoch: Int32 = -1,
        allocator: ByteBufferAllocator = ByteBufferAllocator()
    ) -> ByteBuffer {
        var builder = RecordBatchBuilder(
            baseOffset: baseOffset, producerId: producerId, producerEpoch: producerEpoch,
            isTransactional: true, isControl: true, partitionLeaderEpoch: partitionLeaderEpoch,
            allocator: allocator)
        builder.append(
            timestamp: timestamp, key: marker.type.key(allocator: allocator),
            value: marker.value(allocator: allocator))
        // Uncompressed, so building cannot fail.
        return try! builder.build()
    }
}

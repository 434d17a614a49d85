import KafkaProtocol

/// Failures of the log store, each mapping onto the Kafka error a client should see.
public struct StorageError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// A system call failed; `errno` and what was being done.
        case io(errno: Int32, operation: String)
        /// A fetch or lookup below the log start or above the log end offset.
        case offsetOutOfRange(requested: Int64, logStart: Int64, logEnd: Int64)
        /// A batch larger than `max.message.bytes`.
        case recordTooLarge(size: Int, limit: Int)
        /// A batch that fails validation (CRC, length, magic).
        case corruptRecord(String)
        /// A batch whose timestamp is outside `message.timestamp.*.max.ms`.
        case invalidTimestamp(Int64)
        /// The partition does not exist.
        case unknownPartition
        /// The log has been closed or deleted.
        case closed
        /// Any other invalid argument.
        case invalid(String)
        /// A coordinator's transactional write refused by the partition's producer state.
        case producerState(ProducerStateError)
        /// A follower's append starting below its log end (Kafka's `UnexpectedAppendOffsetException`):
        /// `firstOffset` and `lastOffset` span the append. Internal to replication, never sent.
        case unexpectedAppendOffset(firstOffset: Int64, lastOffset: Int64, logEndOffset: Int64)
    }

    public var kind: Kind
    public var path: String

    public init(_ kind: Kind, path: String = "") {
        self.kind = kind
        self.path = path
    }

    /// The error code Kafka returns for this failure.
    public var errorCode: ErrorCode {
        switch kind {
        case .io: return .kafkaStorageError
        case .offsetOutOfRange: return .offsetOutOfRange
        case .recordTooLarge: return .messageTooLarge
        case .corruptRecord: return .corruptMessage
        case .invalidTimestamp: return .invalidTimestamp
        case .unknownPartition: return .unknownTopicOrPartition
        case .closed: return .notLeaderOrFollower
        case .invalid: return .invalidRequest
        case .producerState(let e): return e.errorCode
        case .unexpectedAppendOffset: return .unknownServerError
        }
    }

    public var description: String {
        path.isEmpty ? "\(kind)" : "\(path): \(kind)"
    }
}

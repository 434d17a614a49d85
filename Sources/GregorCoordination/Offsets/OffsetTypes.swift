import GregorStorage
import KafkaProtocol

/// One committed offset as `__consumer_offsets` keeps it (Kafka's `OffsetAndMetadata`).
public struct CommittedOffset: Hashable, Sendable {
    public var offset: Int64
    /// The leader epoch the consumer saw at `offset`; nil for Kafka's -1 sentinel.
    public var leaderEpoch: Int32?
    /// The client's metadata string; Kafka stores a null one as "".
    public var metadata: String
    public var commitTimestamp: Int64
    /// Only from OffsetCommit v1-v4 with a `retentionTimeMs`: the offset then expires at this
    /// time whatever the group's state (stored with OffsetCommitValue v1, which has no epoch).
    public var expireTimestamp: Int64?

    public init(offset: Int64, leaderEpoch: Int32? = nil, metadata: String = "", commitTimestamp: Int64, expireTimestamp: Int64? = nil) {
        self.offset = offset
        self.leaderEpoch = leaderEpoch
        self.metadata = metadata
        self.commitTimestamp = commitTimestamp
        self.expireTimestamp = expireTimestamp
    }
}

/// One partition of an OffsetCommit.
public struct OffsetCommitEntry: Hashable, Sendable {
    public var topicPartition: TopicPartition
    public var committed: CommittedOffset

    public init(_ topicPartition: TopicPartition, _ committed: CommittedOffset) {
        self.topicPartition = topicPartition
        self.committed = committed
    }

    public init(topic: String, partition: Int32, offset: Int64, leaderEpoch: Int32? = nil, metadata: String = "",
                commitTimestamp: Int64, expireTimestamp: Int64? = nil) {
        self.init(TopicPartition(topic, partition),
                  CommittedOffset(offset: offset, leaderEpoch: leaderEpoch, metadata: metadata,
                                  commitTimestamp: commitTimestamp, expireTimestamp: expireTimestamp))
    }
}

/// One partition of an OffsetFetch answer; `committed` is nil when the group has no offset
/// there (Kafka then answers offset -1, leader epoch -1, metadata "", error NONE).
public struct FetchedOffset: Hashable, Sendable {
    public var topicPartition: TopicPartition
    public var committed: CommittedOffset?

    public init(_ topicPartition: TopicPartition, _ committed: CommittedOffset?) {
        self.topicPartition = topicPartition
        self.committed = committed
    }
}

/// How a group's offsets age, from the group's state: Kafka's `Group.offsetExpirationCondition`
/// (see `ClassicGroup.offsetExpirationCondition` and `OffsetExpirationConditionImpl`). An
/// offset with an explicit `expireTimestamp` expires at that time under every condition but
/// `never`.
public enum OffsetExpiration: Hashable, Sendable {
    /// The group has members (KIP-211): nothing expires.
    case never
    /// Standalone consumers (no protocol type), or a consumer-protocol group's topics it is not
    /// subscribed to: retention counts from each offset's commit timestamp.
    case fromCommit
    /// An Empty group: retention counts from when it became Empty (its state timestamp), or from
    /// the commit timestamp when that is unknown.
    case fromEmptySince(Int64?)
}

/// Failures of the offset store, each with the error Kafka's group coordinator answers for it.
public struct OffsetStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        /// Appending to or reading `__consumer_offsets` failed.
        case storage(StorageError)
        /// A group id or topic name too long for a non-flexible string (32767 UTF-8 bytes).
        case fieldTooLong(String)
        /// The coordinator runtime refused or failed the operation.
        case coordinator(CoordinatorError)
    }

    public var kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    /// As Kafka's `CoordinatorOperationExceptionHelper.handleOperationException` maps a failed
    /// write: storage and leadership errors become NOT_COORDINATOR (the client looks the
    /// coordinator up again), oversized batches UNKNOWN_SERVER_ERROR.
    public var errorCode: ErrorCode {
        switch kind {
        case .coordinator(.storage(let e)):
            return OffsetStoreError(.storage(e)).errorCode
        case .coordinator(let e):
            return e.errorCode
        case .storage(let e):
            switch e.errorCode {
            case .notLeaderOrFollower, .kafkaStorageError: return .notCoordinator
            case .unknownTopicOrPartition: return .coordinatorNotAvailable
            case .messageTooLarge, .recordListTooLarge: return .unknownServerError
            default: return e.errorCode
            }
        case .fieldTooLong: return .unknownServerError
        }
    }

    public var description: String {
        switch kind {
        case .storage(let e): return "offset store: \(e)"
        case .fieldTooLong(let field): return "offset store: \(field) too long to serialize"
        case .coordinator(.encoding(let detail)): return detail
        case .coordinator(let e): return "offset store: \(e)"
        }
    }
}

/// A record of `__consumer_offsets` that could not be decoded.
public struct OffsetRecordError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

import GregorStorage
import KafkaProtocol
import NIOCore

/// The state of one partition of a coordinator's internal topic (`__consumer_offsets-N`,
/// `__transaction_state-N`), as Kafka 4's `CoordinatorShard`: a pure state machine that the
/// ``CoordinatorRuntime`` loads by replaying the partition's records and then drives with
/// operations and timers, applying each operation's records only once they are written.
///
/// An operation may change transient state (a rebalance in progress, a session deadline) in
/// place; everything that must survive a restart or a move to another broker is a record, and
/// changes the state only through ``replay(_:offset:producerId:producerEpoch:)``.
public protocol CoordinatorShard: Sendable {
    /// A record of the internal topic, decoded.
    associatedtype Record: Sendable
    /// Something the shard tells the world once its records are written, such as the answer
    /// to a request that waited for a rebalance.
    associatedtype Event: Sendable

    /// Applies one record: at load, in log order, and after each append.
    /// `producerId` and `producerEpoch` are -1 unless the record was written in a transaction.
    mutating func replay(_ record: Record, offset: Int64, producerId: Int64, producerEpoch: Int16)

    /// A transaction marker for what `producerId` wrote in a transaction (KIP-98).
    mutating func replayEndTransaction(producerId: Int64, producerEpoch: Int16, committed: Bool)

    /// Once the load has replayed every record (Kafka's `onLoaded`): the timers to arm.
    mutating func loaded(now: Int64) -> [CoordinatorTimerChange]

    /// When the partition moves away or the broker stops (Kafka's `onUnloaded`): what to tell
    /// requests still waiting.
    mutating func unloaded() -> [Event]

    /// A timer the shard set has come due.
    mutating func timerFired(_ key: String, now: Int64) -> CoordinatorResult<Self, Void>

    /// The key and value (nil: a tombstone) a record is written as.
    static func encode(_ record: Record) throws -> CoordinatorRecordBytes
    /// The record read back; nil for a record type this shard does not keep (Kafka skips those).
    static func decode(_ bytes: CoordinatorRecordBytes) throws -> Record?
}

extension CoordinatorShard {
    public mutating func replayEndTransaction(producerId: Int64, producerEpoch: Int16, committed: Bool) {}
    public mutating func loaded(now: Int64) -> [CoordinatorTimerChange] { [] }
    public mutating func unloaded() -> [Event] { [] }
}

/// A record as the internal topic holds it.
public struct CoordinatorRecordBytes: Sendable, Hashable {
    public var key: ByteBuffer
    /// Nil for a tombstone, which compaction eventually removes with its key.
    public var value: ByteBuffer?

    public init(key: ByteBuffer, value: ByteBuffer?) {
        self.key = key
        self.value = value
    }
}

/// What an operation or a timer decided (Kafka's `CoordinatorResult`): the records to write, in
/// one batch, then the response to return and the events and timer changes to carry out, all
/// only once the records are written.
public struct CoordinatorResult<Shard: CoordinatorShard, Response> {
    public var records: [Shard.Record]
    public var response: Response
    public var events: [Shard.Event]
    public var timers: [CoordinatorTimerChange]
    /// False when the operation already changed the state its records describe, as Kafka's
    /// classic-group operations do (`CoordinatorResult.replayRecords`): they are written, not
    /// replayed.
    public var replayRecords: Bool
    /// True when the operation changed the shard in place and its events must go out even if
    /// the write fails: a classic group has moved on in memory, and requests it answered would
    /// otherwise wait for ever (the write's failure is logged, as Gregor's group coordinator
    /// always did). The operation's caller still gets the error.
    public var deliverEventsIfWriteFails: Bool
    /// Set for records written in a producer's transaction (TxnOffsetCommit): they are written
    /// as a transactional batch and replayed with the producer's id and epoch.
    public var producer: CoordinatorProducer?

    public init(
        records: [Shard.Record] = [], response: Response, events: [Shard.Event] = [], timers: [CoordinatorTimerChange] = [],
        replayRecords: Bool = true, deliverEventsIfWriteFails: Bool = false, producer: CoordinatorProducer? = nil
    ) {
        self.producer = producer
        self.records = records
        self.response = response
        self.events = events
        self.timers = timers
        self.replayRecords = replayRecords
        self.deliverEventsIfWriteFails = deliverEventsIfWriteFails
    }
}

extension CoordinatorResult where Response == Void {
    public init(
        records: [Shard.Record] = [], events: [Shard.Event] = [], timers: [CoordinatorTimerChange] = [], replayRecords: Bool = true,
        deliverEventsIfWriteFails: Bool = false
    ) {
        self.init(records: records, response: (), events: events, timers: timers, replayRecords: replayRecords,
                  deliverEventsIfWriteFails: deliverEventsIfWriteFails)
    }
}

/// A change to a shard's timers, keyed as Kafka's `CoordinatorTimer` keys them (one per
/// member session, rebalance, transaction...): scheduling a key again moves its deadline.
public enum CoordinatorTimerChange: Sendable, Hashable {
    case schedule(key: String, deadline: Int64)
    case cancel(key: String)
}

/// Why the runtime did not run an operation, or could not write or load its records.
public enum CoordinatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The partition is not loaded on this broker: the client must find the coordinator again.
    case notCoordinator
    /// The partition is being loaded: the client retries.
    case loadInProgress
    /// The log refused the records, or could not be read; the state did not change.
    case storage(StorageError)
    /// A record could not be encoded (a name too long for its field); nothing was written.
    case encoding(String)

    /// The error as the log or the state said it; each coordinator maps it to what its APIs
    /// answer (Kafka's `CoordinatorOperationExceptionHelper` for groups).
    public var errorCode: ErrorCode {
        switch self {
        case .notCoordinator: .notCoordinator
        case .loadInProgress: .coordinatorLoadInProgress
        case .storage(let error): error.errorCode
        case .encoding: .unknownServerError
        }
    }

    public var description: String {
        switch self {
        case .notCoordinator: "not the coordinator of this partition"
        case .loadInProgress: "the partition is being loaded"
        case .storage(let error): "\(error)"
        case .encoding(let detail): "a record could not be encoded: \(detail)"
        }
    }

    static func failed(_ error: any Error) -> CoordinatorError {
        CoordinatorError.storage(error as? StorageError ?? StorageError(.invalid("\(error)")))
    }
}

import GregorStorage

/// Where a transactional id's transaction stands (Kafka's `TransactionState`); the raw value is
/// the id written in `TransactionLogValue.TransactionStatus` and the name is what
/// DescribeTransactions and ListTransactions show.
public enum TransactionState: Int8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// No transaction: after InitProducerId, or never started. AddPartitionsToTxn and
    /// AddOffsetsToTxn move it to Ongoing.
    case empty = 0
    /// Partitions were added; EndTxn moves it to PrepareCommit or PrepareAbort, a timeout or a
    /// successor's InitProducerId to PrepareEpochFence then PrepareAbort.
    case ongoing = 1
    /// The commit is decided and written; markers are being written to every partition.
    case prepareCommit = 2
    /// The abort is decided and written; markers are being written to every partition.
    case prepareAbort = 3
    /// Every commit marker is written.
    case completeCommit = 4
    /// Every abort marker is written.
    case completeAbort = 5
    /// The transactional id expired (`transactional.id.expiration.ms`); never written, it is
    /// removed by a tombstone.
    case dead = 6
    /// The producer's epoch is being bumped to fence it before its transaction is aborted
    /// (KIP-360); never written: the abort that follows is.
    case prepareEpochFence = 7

    /// The name Kafka's admin APIs use.
    public var name: String {
        switch self {
        case .empty: "Empty"
        case .ongoing: "Ongoing"
        case .prepareCommit: "PrepareCommit"
        case .prepareAbort: "PrepareAbort"
        case .completeCommit: "CompleteCommit"
        case .completeAbort: "CompleteAbort"
        case .dead: "Dead"
        case .prepareEpochFence: "PrepareEpochFence"
        }
    }

    public var description: String { name }

    /// The state with Kafka's name, for ListTransactions' state filter.
    public init?(name: String) {
        guard let state = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = state
    }

    /// The states this one may be entered from, as Kafka checks every transition.
    public var validPreviousStates: Set<TransactionState> {
        switch self {
        case .empty: [.empty, .completeCommit, .completeAbort]
        case .ongoing: [.ongoing, .empty, .completeCommit, .completeAbort]
        case .prepareCommit: [.ongoing]
        // KIP-890 part 2: a TV2 client may abort an Empty transaction, as it cannot know
        // whether one of its produce requests implicitly added a partition.
        case .prepareAbort: [.ongoing, .prepareEpochFence, .empty]
        case .completeCommit: [.prepareCommit]
        case .completeAbort: [.prepareAbort]
        case .dead: [.empty, .completeAbort, .completeCommit]
        case .prepareEpochFence: [.ongoing]
        }
    }

    /// Whether an idle transactional id in this state may expire.
    public var isExpirationAllowed: Bool { self == .empty || self == .completeCommit || self == .completeAbort }

    /// PrepareCommit or PrepareAbort: the outcome is written and markers are due. Kafka sets the
    /// pending Complete* transition as soon as the Prepare* record is written (and at load), so
    /// these states also count as "a transition in progress".
    public var isPrepare: Bool { self == .prepareCommit || self == .prepareAbort }
}

/// What the coordinator knows of one transactional id (Kafka's `TransactionMetadata`), as it
/// stands after its last written record.
public struct TransactionMetadata: Sendable, Hashable {
    public var transactionalId: String
    public var producerId: Int64
    /// The producer id before the last rotation; -1 if none.
    public var previousProducerId: Int64 = -1
    /// KIP-890 TV2: the producer id a commit or abort at an exhausted epoch rolls over to.
    public var nextProducerId: Int64 = -1
    public var producerEpoch: Int16
    /// KIP-360: the epoch before the last InitProducerId bump, so a retried InitProducerId is
    /// answered with the same result. Not written to the log: -1 after a load, as in Kafka.
    public var lastProducerEpoch: Int16 = -1
    public var timeoutMs: Int32
    public var state: TransactionState
    public var partitions: Set<TopicPartition> = []
    /// When the first partition of the current transaction was added; -1 when none.
    public var startTimestamp: Int64 = -1
    public var lastUpdateTimestamp: Int64
    /// The `transaction.version` of the client that made the last transition (KIP-890).
    public var clientTransactionVersion: Int16 = 0

    public init(
        transactionalId: String, producerId: Int64, previousProducerId: Int64 = -1, nextProducerId: Int64 = -1,
        producerEpoch: Int16, lastProducerEpoch: Int16 = -1, timeoutMs: Int32, state: TransactionState,
        partitions: Set<TopicPartition> = [], startTimestamp: Int64 = -1, lastUpdateTimestamp: Int64, clientTransactionVersion: Int16 = 0
    ) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.previousProducerId = previousProducerId
        self.nextProducerId = nextProducerId
        self.producerEpoch = producerEpoch
        self.lastProducerEpoch = lastProducerEpoch
        self.timeoutMs = timeoutMs
        self.state = state
        self.partitions = partitions
        self.startTimestamp = startTimestamp
        self.lastUpdateTimestamp = lastUpdateTimestamp
        self.clientTransactionVersion = clientTransactionVersion
    }

    /// Kafka never lets a client hold `Int16.max`, so the coordinator can always fence it.
    public static func isEpochExhausted(_ epoch: Int16) -> Bool { epoch >= Int16.max - 1 }

    public var isEpochExhausted: Bool { Self.isEpochExhausted(producerEpoch) }

    /// Whether the client's transaction version bumps the epoch at every commit and abort.
    var supportsEpochBump: Bool { clientTransactionVersion >= 2 }

    /// The record value; Empty records carry no partition list.
    var logValue: TransactionLogValue {
        TransactionLogValue(
            producerId: producerId, previousProducerId: previousProducerId, nextProducerId: nextProducerId,
            producerEpoch: producerEpoch, transactionTimeoutMs: timeoutMs, transactionStatus: state.rawValue,
            partitions: state == .empty ? nil : partitions.sorted(), lastUpdateTimestampMs: lastUpdateTimestamp,
            startTimestampMs: startTimestamp, clientTransactionVersion: clientTransactionVersion)
    }

    /// The metadata a record value describes; partitions of an Empty record are ignored, as
    /// Kafka's loader ignores them.
    init(transactionalId: String, _ value: TransactionLogValue) throws(TransactionRecordError) {
        guard let state = TransactionState(rawValue: value.transactionStatus) else {
            throw TransactionRecordError.unknownState(value.transactionStatus)
        }
        self.init(
            transactionalId: transactionalId, producerId: value.producerId, previousProducerId: value.previousProducerId,
            nextProducerId: value.nextProducerId, producerEpoch: value.producerEpoch, timeoutMs: value.transactionTimeoutMs,
            state: state, partitions: state == .empty ? [] : Set(value.partitions ?? []), startTimestamp: value.startTimestampMs,
            lastUpdateTimestamp: value.lastUpdateTimestampMs, clientTransactionVersion: value.clientTransactionVersion)
    }
}

/// A `__transaction_state` record that cannot be read.
public enum TransactionRecordError: Error, Sendable, Hashable {
    /// A TransactionStatus id Kafka does not define (Kafka fails the load with an
    /// IllegalStateException; Gregor's runtime skips the record).
    case unknownState(Int8)
}

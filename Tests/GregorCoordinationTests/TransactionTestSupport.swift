import GregorStorage
import KafkaProtocol
import Synchronization

@testable import GregorCoordination

/// Producer ids handed out in order from `first`.
final class ProducerIds: Sendable {
    let next: Mutex<Int64>
    init(first: Int64 = 1000) { next = Mutex(first) }
    func take() -> Int64 {
        next.withLock { id in
            defer { id += 1 }
            return id
        }
    }
}

/// A transaction shard driven as the runtime drives it: each operation's records are replayed
/// once "written", and the timers it sets are kept, so tests read like transcripts.
struct TransactionHarness {
    var shard: TransactionShard
    var written: [TransactionShard.Record] = []
    var timers: [String: Int64] = [:]
    var events: [TransactionShard.Event] = []

    init(config: TransactionConfig = TransactionConfig(), ids: ProducerIds = ProducerIds()) {
        shard = TransactionShard(partition: 0, coordinatorEpoch: 3, config: config) { ids.take() }
    }

    mutating func run<R>(_ operation: (inout TransactionShard) -> CoordinatorResult<TransactionShard, R>) -> R {
        let result = operation(&shard)
        for record in result.records { shard.replay(record, offset: 0, producerId: -1, producerEpoch: -1) }
        written += result.records
        events += result.events
        CoordinatorRuntime<TransactionShard>.apply(result.timers, to: &timers)
        return result.response
    }

    /// Fires every timer due at `now`, earliest first.
    mutating func fire(now: Int64) {
        for (key, _) in timers.filter({ $0.value <= now }).sorted(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
            timers[key] = nil
            _ = run { $0.timerFired(key, now: now) }
        }
    }

    mutating func initPid(_ id: String, timeout: Int32 = 60_000, _ current: (Int64, Int16)? = nil, now: Int64 = 0) -> InitProducerIdResult {
        run { $0.initProducerId(transactionalId: id, transactionTimeoutMs: timeout, producerIdAndEpoch: current, now: now) }
    }

    mutating func initPid(timeout: Int32 = 60_000, _ current: (Int64, Int16)? = nil, now: Int64 = 0) -> InitProducerIdResult {
        initPid("t", timeout: timeout, current, now: now)
    }

    mutating func add(_ id: String, _ pid: Int64, _ epoch: Int16, _ partitions: [TopicPartition], clientTransactionVersion: Int16 = 0,
                      now: Int64 = 0) -> ErrorCode {
        run {
            $0.addPartitions(transactionalId: id, producerId: pid, epoch: epoch, partitions: partitions,
                             clientTransactionVersion: clientTransactionVersion, now: now)
        }
    }

    mutating func add(_ pid: Int64, _ epoch: Int16, _ partitions: [TopicPartition], clientTransactionVersion: Int16 = 0, now: Int64 = 0) -> ErrorCode {
        add("t", pid, epoch, partitions, clientTransactionVersion: clientTransactionVersion, now: now)
    }

    mutating func end(_ id: String, _ pid: Int64, _ epoch: Int16, commit: Bool, tv: Int16 = 0, now: Int64 = 0) -> EndTransactionResult {
        run { $0.endTransaction(transactionalId: id, producerId: pid, epoch: epoch, commit: commit, clientTransactionVersion: tv, now: now) }
    }

    mutating func end(_ pid: Int64, _ epoch: Int16, commit: Bool, tv: Int16 = 0, now: Int64 = 0) -> EndTransactionResult {
        end("t", pid, epoch, commit: commit, tv: tv, now: now)
    }

    mutating func complete(_ pid: Int64, _ epoch: Int16, now: Int64 = 0) -> ErrorCode {
        run { $0.completeTransaction(transactionalId: "t", producerId: pid, epoch: epoch, now: now) }
    }

    /// The metadata of each record written, nil for a tombstone.
    var writtenMetadata: [TransactionMetadata?] {
        written.map { record -> TransactionMetadata? in
            if case .metadata(let metadata) = record { return metadata }
            return nil
        }
    }

    func state(_ id: String = "t") -> TransactionState? { shard.transactions[id]?.state }
    func metadata(_ id: String = "t") -> TransactionMetadata? { shard.transactions[id] }
}

let ordersP0 = TopicPartition("orders", 0)
let ordersP1 = TopicPartition("orders", 1)
let offsetsTp = TopicPartition("__consumer_offsets", 7)

/// The events a runtime delivered, in order.
final class TransactionEvents: Sendable {
    private let events = Mutex<[TransactionShard.Event]>([])
    func append(_ new: [TransactionShard.Event]) { events.withLock { $0 += new } }
    var all: [TransactionShard.Event] { events.withLock { $0 } }
}

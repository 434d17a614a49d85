import GregorStorage
import KafkaProtocol
import Logging
import Synchronization

/// Kafka 4's `CoordinatorRuntime` for one internal topic: each partition this broker
/// coordinates is a shard (a ``CoordinatorShard``), loaded by replaying the partition's records
/// and unloaded when the partition moves away. Operations on a shard run one at a time; their
/// records are appended as one batch and replayed into the shard, and only then do their
/// response, events and timer changes take effect, so nothing is answered that is not written
/// and a failed write changes no durable state.
///
/// Appends, loads and timers run on `executor` (the broker's I/O threads), never on Swift's
/// cooperative pool: they block on file I/O.
public final class CoordinatorRuntime<Shard: CoordinatorShard>: Sendable {
    /// The internal topic, e.g. `__consumer_offsets`.
    public let topic: String
    let log: any CoordinatorLog
    let clock: any CoordinatorClock
    let executor: (any TaskExecutor)?
    let logger: Logger
    /// Receives each operation's and timer's events once their records are written.
    let deliver: @Sendable ([Shard.Event]) -> Void
    let makeShard: @Sendable (Int32) -> Shard
    let slots = Mutex<[Int32: Slot]>([:])
    let nextTimerId = Atomic<UInt64>(0)

    /// How long a timer whose records could not be written waits before it runs again
    /// (Kafka's `CoordinatorTimer` retries after 500 ms).
    public static var timerRetryMs: Int64 { 500 }

    public init(
        topic: String, log: any CoordinatorLog, clock: any CoordinatorClock, executor: (any TaskExecutor)? = nil,
        logger: Logger = Logger(label: "gregor.coordinator"), deliver: @escaping @Sendable ([Shard.Event]) -> Void = { _ in },
        makeShard: @escaping @Sendable (Int32) -> Shard
    ) {
        self.topic = topic
        self.log = log
        self.clock = clock
        self.executor = executor
        self.logger = logger
        self.deliver = deliver
        self.makeShard = makeShard
    }

    /// One partition's shard and its timers.
    final class Slot: Sendable {
        struct State: Sendable {
            var loading = true
            var unloaded = false
            var shard: Shard
            /// Deadline of each timer key the shard set.
            var timers: [String: Int64] = [:]
            /// The task sleeping until the earliest of `timers`.
            var timerTask: (id: UInt64, deadline: Int64, task: Task<Void, Never>)?
        }

        let partition: TopicPartition
        let state: Mutex<State>

        init(partition: TopicPartition, shard: Shard) {
            self.partition = partition
            self.state = Mutex(State(shard: shard))
        }
    }

    /// The partitions loaded (or loading) here, sorted.
    public var partitions: [Int32] { slots.withLock { $0.keys.sorted() } }

    // MARK: Operations

    /// Runs `operation` on the partition's shard and writes its records; returns its response
    /// once they are written. Throws ``CoordinatorError/notCoordinator`` if the partition is not
    /// loaded here, ``CoordinatorError/loadInProgress`` while it loads, and
    /// ``CoordinatorError/storage(_:)`` if the records could not be written.
    public func write<Response: Sendable>(
        _ partition: Int32, _ operation: @escaping @Sendable (inout Shard, Int64) -> CoordinatorResult<Shard, Response>
    ) async throws(CoordinatorError) -> Response {
        let (response, end) = try await onExecutor { () throws(CoordinatorError) in try self.writeRecording(partition, nil, operation) }
        if let end { try await log.awaitReplicated(TopicPartition(topic, partition), upTo: end) }
        return response
    }

    /// ``write(_:_:)`` on the calling thread, for callers already on an I/O thread. `now`, if
    /// given, is the operation's time instead of the clock's.
    public func writeNow<Response>(
        _ partition: Int32, now: Int64? = nil, _ operation: (inout Shard, Int64) -> CoordinatorResult<Shard, Response>
    ) throws(CoordinatorError) -> Response {
        try writeRecording(partition, now, operation).0
    }

    /// ``writeNow(_:now:_:)``, with the log end offset after its records (nil when it wrote none).
    func writeRecording<Response>(
        _ partition: Int32, _ now: Int64?, _ operation: (inout Shard, Int64) -> CoordinatorResult<Shard, Response>
    ) throws(CoordinatorError) -> (Response, Int64?) {
        let slot = try slot(partition)
        let outcome = try slot.state.withLock { (state: inout Slot.State) throws(CoordinatorError) -> (Result<(Response, Int64?), CoordinatorError>, [Shard.Event]) in
            try Self.checkActive(state)
            let now = now ?? clock.now()
            let result = operation(&state.shard, now)
            defer { rearm(slot, &state) }
            let end: Int64?
            do throws(CoordinatorError) {
                end = try commit(result, slot.partition, &state, now: now)
            } catch {
                guard result.deliverEventsIfWriteFails else { return (.failure(error), []) }
                Self.apply(result.timers, to: &state.timers)
                return (.failure(error), result.events)
            }
            return (.success((result.response, end)), result.events)
        }
        if !outcome.1.isEmpty { deliver(outcome.1) }
        return try outcome.0.get()
    }

    /// Writes a transaction's marker to the partition and replays it into the shard (Kafka's
    /// `CoordinatorRuntime.scheduleTransactionCompletion`): a TxnOffsetCommit's offsets become
    /// visible on commit and are dropped on abort.
    public func writeMarker(
        _ partition: Int32, producer: CoordinatorProducer, committed: Bool, coordinatorEpoch: Int32
    ) async throws(CoordinatorError) {
        let end = try await onExecutor { () throws(CoordinatorError) -> Int64 in
            let slot = try self.slot(partition)
            return try slot.state.withLock { (state: inout Slot.State) throws(CoordinatorError) -> Int64 in
                try Self.checkActive(state)
                let offset: Int64
                do {
                    offset = try self.log.appendMarker(slot.partition, producer, committed: committed, coordinatorEpoch: coordinatorEpoch,
                                                       now: self.clock.now())
                } catch {
                    throw .failed(error)
                }
                state.shard.replayEndTransaction(producerId: producer.id, producerEpoch: producer.epoch, committed: committed)
                return offset + 1
            }
        }
        try await log.awaitReplicated(TopicPartition(topic, partition), upTo: end)
    }

    /// Reads the partition's shard as the last written operation left it.
    public func read<Value>(_ partition: Int32, _ body: (Shard) -> Value) throws(CoordinatorError) -> Value {
        let slot = try slot(partition)
        return try slot.state.withLock { (state: inout Slot.State) throws(CoordinatorError) in
            try Self.checkActive(state)
            return body(state.shard)
        }
    }

    func slot(_ partition: Int32) throws(CoordinatorError) -> Slot {
        guard let slot = slots.withLock({ $0[partition] }) else { throw .notCoordinator }
        return slot
    }

    static func checkActive(_ state: Slot.State) throws(CoordinatorError) {
        if state.unloaded { throw .notCoordinator }
        if state.loading { throw .loadInProgress }
    }

    /// Writes a result's records, replays them, applies its timer changes. On a failed write
    /// nothing is replayed and the timers stay as they were.
    @discardableResult
    func commit<Response>(
        _ result: CoordinatorResult<Shard, Response>, _ partition: TopicPartition, _ state: inout Slot.State, now: Int64
    ) throws(CoordinatorError) -> Int64? {
        var end: Int64?
        if !result.records.isEmpty {
            let bytes: [CoordinatorRecordBytes]
            let first: Int64
            do {
                bytes = try result.records.map(Shard.encode)
            } catch {
                throw .encoding("\(error)")
            }
            do {
                first = try log.append(partition, bytes, now: now, producer: result.producer)
            } catch {
                logger.warning("coordinator append failed", metadata: ["partition": "\(partition)", "error": "\(error)"])
                throw .failed(error)
            }
            for (i, record) in result.records.enumerated() where result.replayRecords {
                state.shard.replay(record, offset: first + Int64(i), producerId: result.producer?.id ?? -1,
                                   producerEpoch: result.producer?.epoch ?? -1)
            }
            end = first + Int64(result.records.count)
        }
        Self.apply(result.timers, to: &state.timers)
        return end
    }

    static func apply(_ changes: [CoordinatorTimerChange], to timers: inout [String: Int64]) {
        for change in changes {
            switch change {
            case .schedule(let key, let deadline): timers[key] = deadline
            case .cancel(let key): timers[key] = nil
            }
        }
    }

    /// Runs `body` on the executor and returns what it returned or threw.
    func onExecutor<T: Sendable>(_ body: @escaping @Sendable () throws(CoordinatorError) -> T) async throws(CoordinatorError) -> T {
        let result = await withTaskExecutorPreference(executor) {
            Result { () throws(CoordinatorError) -> T in try body() }
        }
        return try result.get()
    }
}

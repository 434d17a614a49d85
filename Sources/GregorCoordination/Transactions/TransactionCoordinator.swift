import GregorStorage
import KafkaProtocol
import Logging
import Synchronization

/// Kafka's transaction coordinator on the ``CoordinatorRuntime``: one ``TransactionShard`` per
/// partition of `__transaction_state`, the transactional id hashed to its partition as Kafka
/// hashes it (`TransactionStateManager.partitionFor`). When a transaction is prepared, its
/// markers are written to every partition of it (KIP-98, Kafka's `TransactionMarkerChannelManager`
/// without the network: this broker leads every partition), then the transaction is completed.
public final class TransactionCoordinator: Sendable {
    public static let topic = "__transaction_state"

    /// Writes one marker. Throws ``MarkerFailure/retry`` when the partition cannot take it now;
    /// returns when it is written or will never be needed (the partition is gone, or a newer
    /// epoch or coordinator got there first, as Kafka's marker handler drops those).
    public typealias MarkerWriter = @Sendable (TopicPartition, CoordinatorProducer, _ committed: Bool, _ coordinatorEpoch: Int32)
        async throws(MarkerFailure) -> Void

    public enum MarkerFailure: Error, Sendable { case retry(String) }

    public let runtime: CoordinatorRuntime<TransactionShard>
    public let numPartitions: Int32
    let clock: any CoordinatorClock
    let logger: Logger
    let executor: (any TaskExecutor)?
    let markerWriter: Mutex<MarkerWriter?> = Mutex(nil)
    /// Marker writes under way, so tests and shutdown can wait for them.
    let inFlight = Mutex<[UInt64: Task<Void, Never>]>([:])
    let nextTask = Atomic<UInt64>(0)

    /// How long a marker that could not be written waits before the next try (Kafka's
    /// `retry.backoff.ms` for WriteTxnMarkers).
    static let markerRetryMs: Int64 = 100

    public init(
        config: TransactionConfig = TransactionConfig(), numPartitions: Int32 = 50, log: (any CoordinatorLog)? = nil,
        clock: any CoordinatorClock, executor: (any TaskExecutor)? = nil, logger: Logger = Logger(label: "gregor.transactions"),
        newProducerId: @escaping @Sendable () throws -> Int64
    ) {
        self.numPartitions = numPartitions
        self.clock = clock
        self.logger = logger
        self.executor = executor
        let box = WeakCoordinator()
        runtime = CoordinatorRuntime(
            topic: Self.topic, log: log ?? MemoryCoordinatorLog(), clock: clock, executor: executor, logger: logger,
            deliver: { events in box.coordinator?.handle(events) }
        ) { partition in TransactionShard(partition: partition, config: config, newProducerId: newProducerId) }
        box.coordinator = self
        if log == nil {
            for partition in 0..<numPartitions { _ = try? runtime.loadNow(partition) }
        }
    }

    /// Sets where markers go; until then prepared transactions wait.
    public func setMarkerWriter(_ writer: @escaping MarkerWriter) {
        markerWriter.withLock { $0 = writer }
    }

    /// Loads every partition (a single broker coordinates them all), resending the markers of
    /// transactions a restart left prepared.
    public func loadAll() throws(CoordinatorError) {
        for partition in 0..<numPartitions { _ = try runtime.loadNow(partition) }
    }

    /// `TransactionStateManager.partitionFor`: `abs(hashCode) % partitions`, as offsets do.
    public func partition(for transactionalId: String) -> Int32 {
        OffsetStoreConfig.partition(for: transactionalId, partitions: numPartitions)
    }

    /// Runs an operation on the id's shard; a runtime failure becomes Kafka's error for it.
    public func write<T: Sendable>(
        _ transactionalId: String, _ operation: @escaping @Sendable (inout TransactionShard, Int64) -> CoordinatorResult<TransactionShard, T>
    ) async -> Result<T, TransactionCoordinatorFailure> {
        do throws(CoordinatorError) {
            return .success(try await runtime.write(partition(for: transactionalId), operation))
        } catch {
            return .failure(TransactionCoordinatorFailure(code: Self.errorCode(error)))
        }
    }

    /// Reads the id's shard.
    public func read<T>(_ transactionalId: String, _ body: (TransactionShard) -> T) -> Result<T, TransactionCoordinatorFailure> {
        do throws(CoordinatorError) {
            return .success(try runtime.read(partition(for: transactionalId), body))
        } catch {
            return .failure(TransactionCoordinatorFailure(code: Self.errorCode(error)))
        }
    }

    /// Every loaded shard, read.
    public func readAll<T>(_ body: (TransactionShard) -> [T]) -> [T] {
        runtime.partitions.flatMap { (try? runtime.read($0, body)) ?? [] }
    }

    /// Kafka's `TransactionCoordinator` mapping of a failed log append: the client looks the
    /// coordinator up again (NOT_COORDINATOR) or retries (COORDINATOR_NOT_AVAILABLE,
    /// COORDINATOR_LOAD_IN_PROGRESS).
    static func errorCode(_ error: CoordinatorError) -> ErrorCode {
        switch error {
        case .notCoordinator: .notCoordinator
        case .loadInProgress: .coordinatorLoadInProgress
        case .storage: .coordinatorNotAvailable
        case .encoding: .unknownServerError
        }
    }

    /// Waits for the marker writes under way (tests, shutdown).
    public func settle() async {
        while true {
            let tasks = inFlight.withLock { Array($0.values) }
            if tasks.isEmpty { return }
            for task in tasks { await task.value }
        }
    }
}

/// Why the runtime did not run a transaction operation, as the error Kafka answers.
public struct TransactionCoordinatorFailure: Error, Hashable, Sendable {
    public var code: ErrorCode
}

/// Breaks the cycle between the runtime's delivery closure and its coordinator.
private final class WeakCoordinator: @unchecked Sendable {
    // Set once in the coordinator's init, before any operation can deliver an event.
    weak var coordinator: TransactionCoordinator?
}

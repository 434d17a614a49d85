import GregorStorage
import KafkaProtocol
import Synchronization

/// An internal topic kept in memory: a coordinator without a broker (tests, tools). Appends
/// can be made to fail and code run in mid-load, to test what the runtime does then.
public final class MemoryCoordinatorLog: CoordinatorLog {
    public struct State: Sendable {
        public var batches: [TopicPartition: [CoordinatorBatch]] = [:]
        /// Appends throw a storage error (disk full) while set.
        public var failAppends = false
        /// Runs at the start of each load.
        public var duringLoad: (@Sendable () -> Void)?
    }

    public let state = Mutex(State())

    public init() {}

    public func forEachBatch(_ partition: TopicPartition, _ body: (CoordinatorBatch) throws -> Void) throws {
        let (batches, hook) = state.withLock { ($0.batches[partition] ?? [], $0.duringLoad) }
        hook?()
        for batch in batches { try body(batch) }
    }

    public func append(_ partition: TopicPartition, _ records: [CoordinatorRecordBytes], now: Int64, producer: CoordinatorProducer?)
        throws -> Int64
    {
        try state.withLock { state in
            if state.failAppends { throw StorageError(.io(errno: 28, operation: "write"), path: "memory") }
            let first = state.batches[partition]?.last.map { $0.baseOffset + Int64(max($0.records.count, 1)) } ?? 0
            state.batches[partition, default: []].append(CoordinatorBatch(
                baseOffset: first, producerId: producer?.id ?? -1, producerEpoch: producer?.epoch ?? -1, isTransactional: producer != nil,
                isControl: false, committed: false, records: records.enumerated().map { (first + Int64($0.offset), $0.element) },
                unreadable: 0))
            return first
        }
    }

    public func appendMarker(_ partition: TopicPartition, _ producer: CoordinatorProducer, committed: Bool, coordinatorEpoch: Int32, now: Int64)
        throws -> Int64
    {
        try state.withLock { state in
            if state.failAppends { throw StorageError(.io(errno: 28, operation: "write"), path: "memory") }
            let first = state.batches[partition]?.last.map { $0.baseOffset + Int64(max($0.records.count, 1)) } ?? 0
            state.batches[partition, default: []].append(CoordinatorBatch(
                baseOffset: first, producerId: producer.id, producerEpoch: producer.epoch, isTransactional: true, isControl: true,
                committed: committed, records: [], unreadable: 0))
            return first
        }
    }
}

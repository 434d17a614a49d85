import Foundation
import GregorStorage
import KafkaProtocol
import NIOCore
import Synchronization
import Testing

@testable import GregorCoordination

/// A shard of leased registers: `put` records, removed by a timer when their lease ends. It
/// counts the operations it saw in place (transient state) and replays everything else.
struct RegisterShard: CoordinatorShard {
    enum Record: Sendable, Equatable {
        case put(String, String)
        case remove(String)
    }

    enum Event: Sendable, Equatable {
        case expired(String)
        case unloaded([String])
    }

    var values: [String: String] = [:]
    var offsets: [String: Int64] = [:]
    var operations = 0
    var markers: [(Int64, Bool)] = []
    var transactional: [String: Int64] = [:]

    mutating func replay(_ record: Record, offset: Int64, producerId: Int64, producerEpoch: Int16) {
        switch record {
        case .put(let key, let value):
            values[key] = value
            offsets[key] = offset
            if producerId >= 0 { transactional[key] = producerId }
        case .remove(let key):
            values[key] = nil
        }
    }

    mutating func replayEndTransaction(producerId: Int64, producerEpoch: Int16, committed: Bool) {
        markers.append((producerId, committed))
    }

    mutating func loaded(now: Int64) -> [CoordinatorTimerChange] {
        values.keys.sorted().map { .schedule(key: "lease-\($0)", deadline: now + 1000) }
    }

    mutating func unloaded() -> [Event] { [.unloaded(values.keys.sorted())] }

    mutating func timerFired(_ key: String, now: Int64) -> CoordinatorResult<Self, Void> {
        let name = String(key.dropFirst("lease-".count))
        return CoordinatorResult(records: [.remove(name)], events: [.expired(name)])
    }

    /// Puts `pairs` in one batch, each leased for `leaseMs` if given.
    static func put(_ pairs: [(String, String)], leaseMs: Int64? = nil) -> @Sendable (inout Self, Int64) -> CoordinatorResult<Self, Int> {
        { shard, now in
            shard.operations += 1
            return CoordinatorResult(
                records: pairs.map { .put($0.0, $0.1) }, response: shard.operations,
                timers: leaseMs.map { ms in pairs.map { .schedule(key: "lease-\($0.0)", deadline: now + ms) } } ?? [])
        }
    }

    static func encode(_ record: Record) throws -> CoordinatorRecordBytes {
        switch record {
        case .put(let key, let value): CoordinatorRecordBytes(key: ByteBuffer(string: "r:" + key), value: ByteBuffer(string: value))
        case .remove(let key): CoordinatorRecordBytes(key: ByteBuffer(string: "r:" + key), value: nil)
        }
    }

    static func decode(_ bytes: CoordinatorRecordBytes) throws -> Record? {
        let key = String(buffer: bytes.key)
        if key.hasPrefix("other:") { return nil }
        guard key.hasPrefix("r:") else { throw CocoaError(.coderInvalidValue) }
        let name = String(key.dropFirst(2))
        return bytes.value.map { .put(name, String(buffer: $0)) } ?? .remove(name)
    }
}

/// The events a runtime delivered, in order.
final class DeliveredEvents: Sendable {
    private let events = Mutex<[RegisterShard.Event]>([])
    func append(_ new: [RegisterShard.Event]) { events.withLock { $0 += new } }
    func withLock<T>(_ body: ([RegisterShard.Event]) -> T) -> T { events.withLock { body($0) } }
}

@Suite(.timeLimit(.minutes(1)))
struct CoordinatorRuntimeTests {
    let clock = ManualClock()
    let log = MemoryCoordinatorLog()
    let events = DeliveredEvents()

    func runtime() -> CoordinatorRuntime<RegisterShard> {
        let events = self.events
        return CoordinatorRuntime(topic: "__registers", log: log, clock: clock, deliver: { events.append($0) }) { _ in
            RegisterShard()
        }
    }

    @Test func writesAreAnsweredOnceWrittenAndComeBackOnLoad() async throws {
        let runtime = runtime()
        await #expect(throws: CoordinatorError.notCoordinator) { try await runtime.write(0, RegisterShard.put([("a", "1")])) }
        let empty = try await runtime.load(0)
        #expect(empty?.records == 0 && runtime.partitions == [0])
        #expect(try await runtime.load(0) == nil)  // already loaded
        #expect(try await runtime.write(0, RegisterShard.put([("a", "1"), ("b", "2")])) == 1)
        #expect(try await runtime.write(0, RegisterShard.put([("a", "3")])) == 2)
        #expect(try runtime.read(0) { $0.values } == ["a": "3", "b": "2"])
        #expect(try runtime.read(0) { $0.offsets } == ["a": 2, "b": 1])

        runtime.unload(0)
        #expect(events.withLock { $0 } == [.unloaded(["a", "b"])])
        #expect(throws: CoordinatorError.notCoordinator) { try runtime.read(0) { $0.values } }
        let report = try #require(try await runtime.load(0))
        #expect(report.batches == 2 && report.records == 3)
        #expect(try runtime.read(0) { ($0.values, $0.offsets, $0.operations) } == (["a": "3", "b": "2"], ["a": 2, "b": 1], 0))
        // Shards are independent: partition 1 is not coordinated here.
        #expect(throws: CoordinatorError.notCoordinator) { try runtime.read(1) { $0.values } }
    }

    @Test func aFailedWriteAnswersTheErrorAndChangesNoDurableState() async throws {
        let runtime = runtime()
        try await runtime.load(0)
        _ = try await runtime.write(0, RegisterShard.put([("a", "1")]))
        log.state.withLock { $0.failAppends = true }
        await #expect(throws: CoordinatorError.self) { try await runtime.write(0, RegisterShard.put([("a", "2")], leaseMs: 10)) }
        #expect(try runtime.read(0) { $0.values } == ["a": "1"])
        #expect(runtime.nextTimerDeadline(0) == nil)
        // The operation's own count (transient) moved; the register did not.
        #expect(try runtime.read(0) { $0.operations } == 2)
        do {
            _ = try await runtime.write(0, RegisterShard.put([("a", "2")]))
        } catch {
            #expect(error.errorCode == .kafkaStorageError)
        }
        log.state.withLock { $0.failAppends = false }
        _ = try await runtime.write(0, RegisterShard.put([("a", "2")]))
        #expect(try runtime.read(0) { $0.values } == ["a": "2"])
    }

    @Test func timersRunAsWritesAndRetryWhenTheWriteFails() async throws {
        let runtime = runtime()
        try await runtime.load(0)
        _ = try await runtime.write(0, RegisterShard.put([("a", "1")], leaseMs: 100))
        _ = try await runtime.write(0, RegisterShard.put([("b", "1")], leaseMs: 300))
        #expect(runtime.nextTimerDeadline(0) == 100)
        clock.advance(to: 99)
        await runtime.settle()
        #expect(try runtime.read(0) { $0.values.count } == 2)
        clock.advance(to: 100)
        await runtime.settle()
        #expect(try runtime.read(0) { $0.values } == ["b": "1"])
        #expect(events.withLock { $0 } == [.expired("a")])
        #expect(runtime.nextTimerDeadline(0) == 300)

        log.state.withLock { $0.failAppends = true }
        clock.advance(to: 300)
        await runtime.settle()
        #expect(try runtime.read(0) { $0.values } == ["b": "1"])
        #expect(runtime.nextTimerDeadline(0) == 300 + CoordinatorRuntime<RegisterShard>.timerRetryMs)
        log.state.withLock { $0.failAppends = false }
        clock.advance(to: 800)
        await runtime.settle()
        #expect(try runtime.read(0) { $0.values } == [:])
        #expect(events.withLock { $0 } == [.expired("a"), .expired("b")])

        // Loaded again: the removals were written; an unload stops the timers.
        _ = try await runtime.write(0, RegisterShard.put([("c", "1")], leaseMs: 100))
        runtime.unload(0)
        #expect(runtime.nextTimerDeadline(0) == nil)
        try await runtime.load(0)
        #expect(try runtime.read(0) { $0.values } == ["c": "1"])
        // The shard re-arms its leases when loaded (`loaded(now:)`).
        #expect(runtime.nextTimerDeadline(0) == 1800)
    }

    @Test func operationsDuringALoadAreToldToRetry() async throws {
        let runtime = runtime()
        let seen = Mutex<CoordinatorError?>(nil)
        log.state.withLock { state in
            state.duringLoad = {
                do {
                    _ = try runtime.writeNow(0, RegisterShard.put([("a", "1")]))
                } catch let error as CoordinatorError {
                    seen.withLock { $0 = error }
                } catch {}
            }
        }
        try await runtime.load(0)
        #expect(seen.withLock { $0 } == .loadInProgress)
        #expect(try runtime.read(0) { $0.values } == [:])
    }

    @Test func loadSkipsUnknownAndUnreadableRecordsAndReplaysTransactions() async throws {
        let partition = TopicPartition("__registers", 0)
        func bytes(_ key: String, _ value: String?) -> CoordinatorRecordBytes {
            CoordinatorRecordBytes(key: ByteBuffer(string: key), value: value.map { ByteBuffer(string: $0) })
        }
        log.state.withLock {
            $0.batches[partition] = [
                CoordinatorBatch(baseOffset: 0, producerId: -1, producerEpoch: -1, isTransactional: false, isControl: false, committed: false,
                                 records: [(0, bytes("r:a", "1")), (1, bytes("other:x", "?")), (2, bytes("garbage", "?"))], unreadable: 1),
                CoordinatorBatch(baseOffset: 4, producerId: 7, producerEpoch: 0, isTransactional: true, isControl: false, committed: false,
                                 records: [(4, bytes("r:t", "1"))], unreadable: 0),
                CoordinatorBatch(baseOffset: 5, producerId: 7, producerEpoch: 0, isTransactional: true, isControl: true, committed: true,
                                 records: [], unreadable: 0),
            ]
        }
        let runtime = runtime()
        let report = try #require(try await runtime.load(0))
        #expect(report.records == 2 && report.skipped == 1 && report.unreadable == 2 && report.markers == 1)
        #expect(try runtime.read(0) { $0.values } == ["a": "1", "t": "1"])
        #expect(try runtime.read(0) { $0.transactional } == ["t": 7])
        #expect(try runtime.read(0) { $0.markers.map(\.0) } == [7] && (try runtime.read(0) { $0.markers.first?.1 }) == true)
    }

    /// The broker's log: records written as one uncompressed batch and read back with their
    /// offsets; a transaction marker is read as one.
    @Test func storageLogWritesBatchesAndReadsMarkers() throws {
        let dir = OffsetsTempDir()
        let manager = LogManager(logDirs: [dir.path], logger: offsetsTestLogger, clock: { 0 })
        _ = try manager.startup { _ in OffsetStoreConfig().logConfig }
        let log = StorageCoordinatorLog(logManager: manager, config: OffsetStoreConfig().logConfig, logger: offsetsTestLogger)
        let partition = TopicPartition("__registers", 3)
        var seen: [CoordinatorBatch] = []
        try log.forEachBatch(partition) { seen.append($0) }
        #expect(seen.isEmpty)
        #expect(try log.append(partition, [try RegisterShard.encode(.put("a", "1")), try RegisterShard.encode(.remove("b"))], now: 5) == 0)
        var marker = RecordBatchBuilder(producerId: 9, producerEpoch: 1, isTransactional: true, isControl: true)
        marker.append(timestamp: 5, key: ControlRecordType.commit.key(), value: ByteBuffer(bytes: [0, 0, 0, 0, 0, 0]))
        _ = try manager.log(partition)!.append(try marker.build(), now: 5, allowControl: true)
        #expect(try log.append(partition, [try RegisterShard.encode(.put("c", "2"))], now: 6) == 3)
        try log.forEachBatch(partition) { seen.append($0) }
        #expect(seen.map(\.baseOffset) == [0, 2, 3])
        #expect(try seen[0].records.map { try RegisterShard.decode($0.bytes) } == [.put("a", "1"), .remove("b")])
        #expect(seen[0].records.map(\.offset) == [0, 1])
        #expect(seen[1].isControl && seen[1].committed && seen[1].producerId == 9 && seen[1].records.isEmpty)
        try manager.shutdown()
    }
}

// Fetch (key 1).
// v4: isolation level, last stable offset, aborted transactions. v5: log start offset.
// v7: incremental fetch sessions (KIP-227). v9: current leader epoch. v11: rack id, preferred
// read replica (KIP-392). v12: flexible, diverging epoch. v13: topic ids instead of names
// (KIP-516). v15: replica state. v16: node endpoints (KIP-951). v17: replica directory id
// (KIP-853), for followers only.
// Sessions: the broker answers session id 0 (no session), which every client accepts by
// sending full fetch requests, as Kafka does when its session cache is full.
import GregorStorage
import KafkaProtocol
import NIOCore
import Synchronization

enum FetchHandler: APIHandler {
    static let versions: ClosedRange<Int16> = 4...17

    static func handle(_ request: FetchRequest, _ context: RequestContext) async throws -> FetchResponse? {
        guard case .fetch(let response, let regions) = try await reply(request, context) else { return nil }
        return try FetchResponseFrame.materialize(response, regions: regions)
    }

    static func reply(_ request: FetchRequest, _ context: RequestContext) async throws -> Reply? {
        let deadline = ContinuousClock.now + .milliseconds(Int(max(0, request.maxWaitMs)))
        while true {
            let generation = FetchWaiters.shared.generation
            let (response, regions, bytes) = fetchOnce(request, context)
            let done = bytes >= Int(request.minBytes) || ContinuousClock.now >= deadline || request.maxWaitMs <= 0
            if done || response.responses.contains(where: { $0.partitions.contains { $0.errorCode != 0 } }) {
                return .fetch(response, regions: regions)
            }
            // Long poll: sleep until an append somewhere or the deadline.
            await FetchWaiters.shared.wait(since: generation, until: deadline)
        }
    }

    /// One pass over the requested partitions: the response, each partition's file region in
    /// response order, and the bytes those regions hold.
    static func fetchOnce(_ request: FetchRequest, _ context: RequestContext) -> (FetchResponse, [LogRegion?], Int) {
        let broker = context.broker
        let v = context.apiVersion
        var response = FetchResponse(sessionId: 0)
        var regions: [LogRegion?] = []
        var budget = Int(request.maxBytes > 0 ? request.maxBytes : Int32.max)
        var total = 0
        for topic in request.topics {
            let name = v >= 13 ? broker.metadata.topic(id: topic.topicId)?.name : topic.topic
            var result = FetchResponse.FetchableTopicResponse(topic: topic.topic, topicId: topic.topicId)
            for partition in topic.partitions {
                // Kafka answers empty (not null) records, errors included.
                var p = FetchResponse.PartitionData(
                    partitionIndex: partition.partition, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: ByteBuffer())
                var region: LogRegion?
                defer {
                    result.partitions.append(p)
                    regions.append(region)
                }
                guard let name else {
                    p.errorCode = ErrorCode.unknownTopicId.rawValue
                    continue
                }
                guard let log = broker.log(name, partition.partition) else {
                    p.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    continue
                }
                do {
                    // The first partition gets at least one batch even over the response limit,
                    // so a consumer can always make progress (KIP-74).
                    let limit = total == 0 ? Int(partition.partitionMaxBytes) : min(Int(partition.partitionMaxBytes), budget)
                    let read = try log.read(from: partition.fetchOffset, maxBytes: max(limit, 1))
                    p.highWatermark = read.highWatermark
                    p.lastStableOffset = read.highWatermark
                    p.logStartOffset = read.logStartOffset
                    if limit > 0, let r = read.region {
                        region = r
                        total += r.length
                        budget -= r.length
                    }
                } catch {
                    p.errorCode = error.errorCode.rawValue
                    p.highWatermark = log.highWatermark
                    p.logStartOffset = log.logStartOffset
                }
            }
            response.responses.append(result)
        }
        return (response, regions, total)
    }
}

/// Wakes long-polling fetches when any append happens.
final class FetchWaiters: Sendable {
    static let shared = FetchWaiters()

    private struct State {
        var generation: UInt64 = 0
        var nextId: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits whose continuation is not registered yet.
        var pending: Set<UInt64> = []
        /// Waits that timed out before their continuation was registered.
        var cancelled: Set<UInt64> = []
    }
    private let state = Mutex(State())

    var generation: UInt64 { state.withLock { $0.generation } }

    func notify() {
        let waiters = state.withLock { s in
            s.generation &+= 1
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Returns after the next append (at once if one happened since `generation`) or at `deadline`.
    func wait(since generation: UInt64, until deadline: ContinuousClock.Instant) async {
        guard deadline > ContinuousClock.now else { return }
        let id = state.withLock { s in
            s.nextId &+= 1
            s.pending.insert(s.nextId)
            return s.nextId
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { s -> Bool in
                        s.pending.remove(id)
                        if s.cancelled.remove(id) != nil || s.generation != generation { return true }
                        s.waiters[id] = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            await group.next()
            group.cancelAll()
            self.cancel(id)
        }
    }

    /// Frees one wait (its deadline passed) without waking the others.
    private func cancel(_ id: UInt64) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiters.removeValue(forKey: id) { return w }
            // Only a wait that has not registered yet is remembered; one already woken is done.
            if s.pending.contains(id) { s.cancelled.insert(id) }
            return nil
        }
        waiter?.resume()
    }
}

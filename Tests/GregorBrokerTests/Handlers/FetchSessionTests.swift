import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// Replays a fixed list of values, then repeats the last one.
private struct ScriptedRandom: RandomNumberGenerator {
    var values: [UInt64]
    mutating func next() -> UInt64 { values.count > 1 ? values.removeFirst() : values[0] }
}

private typealias Cache = FetchSessionCache<ScriptedRandom>

private func cache(slots: Int = 1000, evictionMs: Int64 = 120_000) -> Cache {
    Cache(maxSlots: slots, evictionMs: evictionMs, random: ScriptedRandom(values: (1...64).map { $0 &* 0x9E37_79B9_7F4A_7C15 }))
}

/// A request by topic name (v12-) or id (v13+): `topics` maps a topic to (partition, fetchOffset).
private func request(
    _ id: Int32, _ epoch: Int32, _ topics: [(String, [(Int32, Int64)])] = [], forget: [(String, [Int32])] = [],
    ids: [String: KafkaUUID] = [:]
) -> FetchRequest {
    FetchRequest(
        sessionId: id, sessionEpoch: epoch,
        topics: topics.map { name, parts in
            FetchRequest.FetchTopic(
                topic: name, topicId: ids[name] ?? .zero,
                partitions: parts.map { FetchRequest.FetchPartition(partition: $0.0, fetchOffset: $0.1, logStartOffset: -1, partitionMaxBytes: 1024) })
        },
        forgottenTopicsData: forget.map { FetchRequest.ForgottenTopic(topic: $0.0, topicId: ids[$0.0] ?? .zero, partitions: $0.1) })
}

/// What the handler read: every partition at high watermark `hw` and log start 0, unless overridden.
private func read(_ context: FetchSessionContext, hw: Int64 = 100, _ edits: [String: (inout FetchResponse.PartitionData) -> Void] = [:]) -> [FetchSessionResult] {
    context.partitions.map { p in
        var data = FetchResponse.PartitionData(partitionIndex: p.partition, highWatermark: hw, lastStableOffset: hw, logStartOffset: 0)
        edits["\(p.topicName ?? "?")-\(p.partition)"]?(&data)
        return FetchSessionResult(partition: p, data: data)
    }
}

private func names(_ context: FetchSessionContext) -> [String] {
    context.partitions.map { "\($0.topicName ?? "?")-\($0.partition)" }
}

private func names(_ response: FetchSessionResponse) -> [String] {
    response.responses.flatMap { t in t.partitions.map { "\(t.topic)-\($0.partitionIndex)" } }
}

private func records() -> ByteBuffer { ByteBuffer(bytes: [1, 2, 3]) }

/// Opens a session on foo-0, foo-1 (v12) at `now`; returns its id.
private func open(_ c: inout Cache, now: Int64 = 0, partitions: [Int32] = [0, 1], topic: String = "foo") -> Int32 {
    let ctx = c.newContext(request: request(0, 0, [(topic, partitions.map { ($0, 0) })]), version: 12, now: now) { _ in nil }
    return c.finish(ctx, results: read(ctx), now: now).sessionId
}

@Suite struct FetchSessionTests {
    @Test func epochArithmetic() {
        #expect(FetchSessionEpoch.next(0) == 1)
        #expect(FetchSessionEpoch.next(Int32.max) == 1)
        #expect(FetchSessionEpoch.next(-1) == -1)
    }

    @Test func finalEpochWithoutIdIsSessionless() {
        var c = cache()
        let ctx = c.newContext(request: request(0, -1, [("foo", [(0, 5), (1, 7)])]), version: 12, now: 0) { _ in nil }
        #expect(ctx.kind == .sessionless)
        #expect(names(ctx) == ["foo-0", "foo-1"])
        #expect(ctx.partitions.map(\.fetchOffset) == [5, 7])
        let response = c.finish(ctx, results: read(ctx), now: 0)
        #expect(response.sessionId == 0 && response.errorCode == .none)
        #expect(names(response) == ["foo-0", "foo-1"])
        #expect(c.sessions.isEmpty)
    }

    @Test func requestsBeforeV7NeverUseSessions() {
        var c = cache()
        let ctx = c.newContext(request: request(0, 0, [("foo", [(0, 0)])]), version: 6, now: 0) { _ in nil }
        #expect(ctx.kind == .sessionless)
        #expect(c.finish(ctx, results: read(ctx), now: 0).sessionId == 0)
    }

    @Test func initialEpochCreatesASessionAtEpochOne() {
        var c = cache()
        let ctx = c.newContext(request: request(0, 0, [("foo", [(0, 0), (1, 0)]), ("bar", [(0, 0)])]), version: 12, now: 10) { _ in nil }
        #expect(ctx.kind == .full)
        let response = c.finish(ctx, results: read(ctx), now: 10)
        #expect(response.sessionId != 0)
        #expect(response.responses.map(\.topic) == ["foo", "bar"])
        let session = c.sessions[response.sessionId]
        #expect(session?.epoch == 1 && session?.partitions.count == 3 && session?.creationMs == 10)
    }

    @Test func finalEpochClosesTheNamedSession() {
        var c = cache()
        let id = open(&c)
        let ctx = c.newContext(request: request(id, -1, [("foo", [(0, 0)])]), version: 12, now: 1) { _ in nil }
        #expect(ctx.kind == .sessionless)
        #expect(c.sessions[id] == nil)
        #expect(c.finish(ctx, results: read(ctx), now: 1).sessionId == 0)
    }

    @Test func initialEpochWithAnIdReplacesTheSession() {
        var c = cache()
        let old = open(&c)
        let ctx = c.newContext(request: request(old, 0, [("foo", [(0, 0)])]), version: 12, now: 1) { _ in nil }
        #expect(ctx.kind == .full && c.sessions[old] == nil)
        let new = c.finish(ctx, results: read(ctx), now: 1).sessionId
        #expect(new != 0 && new != old && c.sessions.count == 1)
    }

    @Test func unknownSessionIdIsATopLevelError() {
        var c = cache()
        let ctx = c.newContext(request: request(42, 1, [("foo", [(0, 0)])]), version: 12, now: 0) { _ in nil }
        #expect(ctx.kind == .error(.fetchSessionIdNotFound) && ctx.partitions.isEmpty)
        let response = c.finish(ctx, results: [], now: 0)
        #expect(response.errorCode == .fetchSessionIdNotFound && response.sessionId == 0 && response.responses.isEmpty)
    }

    @Test func wrongEpochIsATopLevelErrorAndLeavesTheSessionAlone() {
        var c = cache()
        let id = open(&c)
        let ctx = c.newContext(request: request(id, 2), version: 12, now: 1) { _ in nil }
        #expect(ctx.error == .invalidFetchSessionEpoch)
        #expect(c.finish(ctx, results: [], now: 1) == FetchSessionResponse(errorCode: .invalidFetchSessionEpoch, sessionId: 0, results: []))
        #expect(c.sessions[id]?.epoch == 1)
        #expect(c.newContext(request: request(id, 1), version: 12, now: 1) { _ in nil }.kind == .incremental(sessionId: id, requestEpoch: 1))
        #expect(c.sessions[id]?.epoch == 2)
        #expect(c.newContext(request: request(id, 1), version: 12, now: 1) { _ in nil }.error == .invalidFetchSessionEpoch)
    }

    @Test func incrementalRequestsAddUpdateAndForgetPartitions() {
        var c = cache()
        let id = open(&c)
        let ctx = c.newContext(
            request: request(id, 1, [("bar", [(0, 3)]), ("foo", [(1, 9)])], forget: [("foo", [0])]), version: 12, now: 5
        ) { _ in nil }
        // Updated partitions keep their place; added ones go last.
        #expect(names(ctx) == ["foo-1", "bar-0"])
        #expect(ctx.partitions.map(\.fetchOffset) == [9, 3])
        #expect(c.sessions[id]?.lastUsedMs == 5 && c.sessions[id]?.epoch == 2)
    }

    @Test func incrementalResponsesCarryOnlyChanges() {
        var c = cache()
        let id = open(&c, partitions: [0, 1, 2, 3, 4, 5, 6])
        let ctx = c.newContext(request: request(id, 1), version: 12, now: 1) { _ in nil }
        #expect(ctx.partitions.count == 7)
        let response = c.finish(ctx, results: read(ctx, [
            "foo-1": { $0.highWatermark = 101 },
            "foo-2": { $0.logStartOffset = 4 },
            "foo-3": { $0.errorCode = ErrorCode.offsetOutOfRange.rawValue },
            "foo-4": { $0.preferredReadReplica = 2 },
            "foo-5": { $0.divergingEpoch.epoch = 3 },
            // Kafka does not compare the last stable offset, but it never moves alone there.
            "foo-6": { $0.lastStableOffset = 50 },
        ]), now: 1)
        #expect(response.sessionId == id)
        #expect(names(response) == ["foo-1", "foo-2", "foo-3", "foo-4", "foo-5", "foo-6"])
        // Nothing changed since: an empty response.
        let again = c.newContext(request: request(id, 2), version: 12, now: 2) { _ in nil }
        let quiet = c.finish(
            again,
            results: read(again, [
                "foo-1": { $0.highWatermark = 101 }, "foo-2": { $0.logStartOffset = 4 }, "foo-6": { $0.lastStableOffset = 50 },
            ]), now: 2)
        // foo-3 had an error, so its high watermark was forgotten and it is sent again.
        #expect(names(quiet) == ["foo-3"])
    }

    @Test func partitionsWithRecordsMoveToTheEnd() {
        var c = cache()
        let id = open(&c, partitions: [0, 1, 2])
        let ctx = c.newContext(request: request(id, 1), version: 12, now: 1) { _ in nil }
        let response = c.finish(ctx, results: read(ctx, ["foo-0": { $0.records = records() }, "foo-1": { $0.highWatermark = 7 }]), now: 1)
        #expect(names(response) == ["foo-0", "foo-1"])
        let next = c.newContext(request: request(id, 2), version: 12, now: 2) { _ in nil }
        #expect(names(next) == ["foo-1", "foo-2", "foo-0"])
    }

    @Test func forgettingEveryPartitionClosesTheSession() {
        var c = cache()
        let id = open(&c)
        let ctx = c.newContext(request: request(id, 1, forget: [("foo", [0, 1])]), version: 12, now: 1) { _ in nil }
        #expect(ctx.kind == .sessionless && ctx.partitions.isEmpty)
        #expect(c.sessions.isEmpty)
        #expect(c.finish(ctx, results: [], now: 1).sessionId == 0)
    }

    @Test func aDuplicateRequestLosesAtFinish() {
        var c = cache()
        let id = open(&c)
        let first = c.newContext(request: request(id, 1), version: 12, now: 1) { _ in nil }
        let second = c.newContext(request: request(id, 2), version: 12, now: 1) { _ in nil }
        #expect(c.finish(first, results: read(first), now: 1) == FetchSessionResponse(errorCode: .invalidFetchSessionEpoch, sessionId: id, results: []))
        #expect(c.throttledResponse(first).errorCode == .invalidFetchSessionEpoch)
        #expect(c.throttledResponse(second) == FetchSessionResponse(sessionId: id, results: []))
        #expect(c.finish(second, results: read(second), now: 1).errorCode == .none)
    }

    @Test func topicIdSessionsNameIdsLazily() {
        var c = cache()
        let fooId = KafkaUUID(high: 1, low: 1), barId = KafkaUUID(high: 2, low: 2)
        var known: [KafkaUUID: String] = [fooId: "foo"]
        let ids = ["foo": fooId, "bar": barId]
        let full = c.newContext(request: request(0, 0, [("foo", [(0, 0)]), ("bar", [(0, 0)])], ids: ids), version: 13, now: 0) { known[$0] }
        #expect(full.partitions.map(\.topicName) == ["foo", nil])
        #expect(full.partitions.map(\.topicId) == [fooId, barId])
        var results = read(full)
        results[1].data.errorCode = ErrorCode.unknownTopicId.rawValue
        let response = c.finish(full, results: results, now: 0)
        #expect(response.responses.map(\.topicId) == [fooId, barId])
        let id = response.sessionId
        #expect(c.sessions[id]?.usesTopicIds == true)
        #expect(c.sessions[id]?.partitions[FetchSessionKey(topic: .id(barId), partition: 0)] != nil)
        known[barId] = "bar"
        let next = c.newContext(request: request(id, 1), version: 13, now: 1) { known[$0] }
        #expect(names(next) == ["foo-0", "bar-0"])
        let forget = c.newContext(request: request(id, 2, forget: [("bar", [0])], ids: ids), version: 13, now: 2) { known[$0] }
        #expect(names(forget) == ["foo-0"])
    }

    @Test func aSessionKeepsItsRequestVersionFamily() {
        var c = cache()
        let byName = open(&c)
        #expect(c.newContext(request: request(byName, 1), version: 13, now: 1) { _ in nil }.error == .fetchSessionTopicIdError)
        let ctx = c.newContext(request: request(0, 0, [("foo", [(0, 0)])], ids: ["foo": KafkaUUID(high: 1, low: 1)]), version: 13, now: 1) { _ in "foo" }
        let byId = c.finish(ctx, results: read(ctx), now: 1).sessionId
        #expect(c.newContext(request: request(byId, 1), version: 12, now: 2) { _ in nil }.error == .fetchSessionTopicIdError)
        // The error does not consume the epoch.
        #expect(c.newContext(request: request(byId, 1), version: 16, now: 2) { _ in "foo" }.kind == .incremental(sessionId: byId, requestEpoch: 1))
    }

    @Test func sessionIdsAreNonzeroAndUnique() {
        var c = Cache(random: ScriptedRandom(values: [7, 7, 7, 99]))
        var reference = ScriptedRandom(values: [7, 99])
        let first = Int32.random(in: 1...(Int32.max - 1), using: &reference)
        let second = Int32.random(in: 1...(Int32.max - 1), using: &reference)
        #expect(open(&c) == first)
        // The next draws collide with the live session and are redrawn.
        #expect(open(&c) == second)
        #expect(first != second && first != 0 && second != 0)
    }

    @Test func aFullCacheAnswersWithoutASession() {
        var none = cache(slots: 0)
        #expect(open(&none) == 0)
        var c = cache(slots: 1, evictionMs: 1000)
        let first = open(&c, now: 0)
        // A young session is never evicted, even for a bigger one.
        #expect(open(&c, now: 500, partitions: [0, 1, 2]) == 0)
        #expect(c.sessions.keys.sorted() == [first] && c.evictions == 0)
    }

    @Test func aStaleSessionIsEvicted() {
        var c = cache(slots: 2, evictionMs: 1000)
        let a = open(&c, now: 0)
        let b = open(&c, now: 500)
        // a is used at 1000, so b is the least recently used at 1501.
        #expect(c.newContext(request: request(a, 1), version: 12, now: 1000) { _ in nil }.kind == .incremental(sessionId: a, requestEpoch: 1))
        let d = open(&c, now: 1501)
        #expect(d != 0 && c.sessions[b] == nil && c.sessions[a] != nil && c.evictions == 1)
    }

    @Test func anOldSmallSessionMakesRoomForABiggerOne() {
        var c = cache(slots: 1, evictionMs: 1000)
        let small = open(&c, now: 0, partitions: [0])
        // Evictability is decided when a session is touched: used at 1001, it is old from then on.
        _ = c.newContext(request: request(small, 1), version: 12, now: 1001) { _ in nil }
        #expect(c.sessions[small]?.evictableByAll == true)
        // Same size never evicts (the newcomer ranks with id 0, below any live id).
        #expect(open(&c, now: 1500, partitions: [5]) == 0)
        let big = open(&c, now: 1500, partitions: [0, 1])
        #expect(big != 0 && c.sessions[small] == nil && c.sessions.count == 1)
    }

    @Test func anOldSessionNeverTouchedAgainIsOnlyEvictedWhenStale() {
        var c = cache(slots: 1, evictionMs: 1000)
        let small = open(&c, now: 0, partitions: [0])
        #expect(open(&c, now: 1000, partitions: [0, 1, 2]) == 0)
        #expect(open(&c, now: 1001, partitions: [0]) != 0)
        #expect(c.sessions[small] == nil)
    }
}

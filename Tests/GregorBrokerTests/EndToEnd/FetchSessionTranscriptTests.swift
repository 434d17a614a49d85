import Foundation
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// Fetch sessions through the path production runs: the real server, the Fetch handler, the
/// session cache and the sendfile response frame, at the versions where Fetch changed: v4
/// (sessionless), v7 (sessions), v12 (flexible), v13 (topic ids), v15 and v17.
/// Each test is a transcript of what a consumer sends and what it must get back.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct FetchSessionTranscriptTests {
    static let versions: [Int16] = [4, 7, 12, 13, 15, 17]

    static func values(_ range: ClosedRange<Int64>) -> [Int64] { Array(range) }

    @Test(arguments: versions)
    func seekBackAfterReadingToTheEnd(version: Int16) async throws {
        try await TestBroker.with { _, client in
            let id = try await client.createTopic("t")
            try await client.produceBatches("t", batches: 10)
            var f = SessionFetcher(client, version: version, ids: ["t": id])

            let all = try await f.full([("t-0", 0)])
            #expect(try all.offsets("t-0") == Self.values(0...99))
            if version >= 7 { #expect(all.sessionId != 0) }

            // At the end: nothing new, and the fetch waits max_wait_ms for records instead of
            // answering at once (a consumer would spin on empty answers).
            f.maxWaitMs = 300
            f.minBytes = 1
            let idle = try await f.incremental([("t-0", 100)])
            #expect(try idle.isQuiet("t-0"))
            #expect(idle.elapsed >= .milliseconds(250), "answered after \(idle.elapsed)")

            // Seek back: the high watermark and log start have not changed, but there are
            // records at the new offset, so the partition is in the answer, at once: long before
            // a max_wait_ms far above any scheduling delay of this shared machine.
            f.maxWaitMs = 10_000
            let back = try await f.incremental([("t-0", 50)])
            #expect(back.errorCode == 0)
            #expect(try back.offsets("t-0") == Self.values(50...99))
            #expect(back.elapsed < .seconds(5), "answered after \(back.elapsed)")
            f.maxWaitMs = 300

            // Into the middle of a batch: the whole batch comes, as Kafka sends it.
            let middle = try await f.incremental([("t-0", 55)])
            #expect(try middle.offsets("t-0") == Self.values(50...99))

            // To the end and back to the same offset again.
            #expect(try await f.incremental([("t-0", 100)]).isQuiet("t-0"))
            #expect(try await f.incremental([("t-0", 50)]).offsets("t-0") == Self.values(50...99))
            if version >= 7 { #expect(f.sessionId == all.sessionId) }
        }
    }

    @Test(arguments: versions)
    func seekForward(version: Int16) async throws {
        try await TestBroker.with { _, client in
            let id = try await client.createTopic("t")
            try await client.produceBatches("t", batches: 10)
            var f = SessionFetcher(client, version: version, ids: ["t": id])
            // One batch at a time: the consumer stops early.
            f.partitionMaxBytes = 1
            #expect(try await f.full([("t-0", 0)]).offsets("t-0") == Self.values(0...9))

            f.partitionMaxBytes = 1 << 20
            #expect(try await f.incremental([("t-0", 80)]).offsets("t-0") == Self.values(80...99))

            // Past the end: an error, sent every time until the consumer resets.
            let beyond = try await f.incremental([("t-0", 150)])
            #expect(beyond.error("t-0") == .offsetOutOfRange)
            #expect(try await f.incremental().error("t-0") == .offsetOutOfRange)

            // Reset to the end: listed once more (the error cleared), without records.
            let reset = try await f.incremental([("t-0", 100)])
            #expect(reset.error("t-0") == ErrorCode.none)
            #expect(try reset.offsets("t-0").isEmpty)
            #expect(reset.partitions["t-0"]?.highWatermark == 100)
            #expect(try await f.incremental().isQuiet("t-0"))
        }
    }

    @Test(arguments: versions)
    func pauseAndResumeWithoutForgettingThePartition(version: Int16) async throws {
        try await TestBroker.with { _, client in
            let id = try await client.createTopic("t", partitions: 2)
            try await client.produceBatches("t", partition: 0, batches: 2)
            try await client.produceBatches("t", partition: 1, batches: 2)
            var f = SessionFetcher(client, version: version, ids: ["t": id])
            let all = try await f.full([("t-0", 0), ("t-1", 0)])
            #expect(try all.offsets("t-0") == Self.values(0...19))
            #expect(try all.offsets("t-1") == Self.values(0...19))
            #expect(try await f.incremental([("t-0", 20), ("t-1", 20)]).isQuiet("t-1"))

            // t-1 is paused: the consumer keeps it in the session but stops moving it, and
            // drops what the broker sends for it meanwhile.
            try await client.produceBatches("t", partition: 1, batches: 1, from: 20)
            let paused = try await f.incremental()
            #expect(try paused.offsets("t-1") == Self.values(20...29))
            #expect(try paused.isQuiet("t-0"))

            // Resumed at its own position, below what the session last sent.
            let resumed = try await f.incremental([("t-1", 20)])
            #expect(try resumed.offsets("t-1") == Self.values(20...29))
            #expect(try resumed.isQuiet("t-0"))
            let caughtUp = try await f.incremental([("t-1", 30)])
            #expect(try caughtUp.isQuiet("t-0") && caughtUp.isQuiet("t-1"))
        }
    }

    @Test(arguments: versions)
    func forgetAndAddAgain(version: Int16) async throws {
        try await TestBroker.with { _, client in
            let id = try await client.createTopic("t", partitions: 2)
            try await client.produceBatches("t", partition: 0, batches: 1)
            try await client.produceBatches("t", partition: 1, batches: 1)
            var f = SessionFetcher(client, version: version, ids: ["t": id])
            _ = try await f.full([("t-0", 0), ("t-1", 0)])
            #expect(try await f.incremental([("t-0", 10), ("t-1", 10)]).partitions.allSatisfy { $0.value.records?.readableBytes ?? 0 == 0 })

            let forgot = try await f.incremental(forget: ["t-1"])
            #expect(forgot.partitions["t-1"] == nil)
            try await client.produceBatches("t", partition: 1, batches: 1, from: 10)
            let without = try await f.incremental()
            #expect(without.partitions["t-1"] == nil, "a forgotten partition is not read")
            #expect(try without.isQuiet("t-0"))

            // Added again: new to the session, so it is answered in full.
            let again = try await f.incremental([("t-1", 0)])
            #expect(try again.offsets("t-1") == Self.values(0...19))
            #expect(try again.isQuiet("t-0"))
            if version >= 7 { #expect(again.sessionId == f.sessionId && f.sessionId != 0) }
        }
    }

    @Test(arguments: versions)
    func partitionEmptiedByRetention(version: Int16) async throws {
        try await TestBroker.with { broker, client in
            let id = try await client.createTopic("t")
            try await client.produceBatches("t", batches: 3)
            var f = SessionFetcher(client, version: version, ids: ["t": id])
            #expect(try await f.full([("t-0", 0)]).offsets("t-0") == Self.values(0...29))
            #expect(try await f.incremental([("t-0", 30)]).isQuiet("t-0"))

            // Retention (7 days by default) runs eight days from now: every segment goes.
            let log = try #require(broker.broker.log("t", 0))
            let later = Int64(Date().timeIntervalSince1970 * 1000) + 8 * 86_400_000
            #expect(try log.applyRetention(now: later) > 0)

            // The log start moved: the partition is listed with it (v5+ carries the field).
            let emptied = try await f.incremental()
            if version >= 5 {
                #expect(emptied.partitions["t-0"]?.logStartOffset == 30)
            }
            #expect(emptied.error("t-0") == ErrorCode.none || version < 5)
            #expect(try emptied.offsets("t-0").isEmpty)

            // A consumer that seeks back below the new log start is told so.
            #expect(try await f.incremental([("t-0", 10)]).error("t-0") == .offsetOutOfRange)
            try await client.produceBatches("t", batches: 1, from: 30)
            #expect(try await f.incremental([("t-0", 30)]).offsets("t-0") == Self.values(30...39))
        }
    }

    @Test(arguments: versions)
    func topicDeletedUnderASession(version: Int16) async throws {
        try await TestBroker.with { _, client in
            let id = try await client.createTopic("t")
            try await client.produceBatches("t", batches: 1)
            var f = SessionFetcher(client, version: version, ids: ["t": id])
            #expect(try await f.full([("t-0", 0)]).offsets("t-0") == Self.values(0...9))
            #expect(try await f.incremental([("t-0", 10)]).isQuiet("t-0"))

            let deleted = try await client.request(DeleteTopicsRequest(topicNames: ["t"], timeoutMs: 5000), version: 5)
            #expect(deleted.responses.first?.errorCode == 0)
            let gone = try await f.incremental()
            #expect(gone.error("t-0") == .unknownTopicOrPartition)
            #expect(try await f.incremental().error("t-0") == .unknownTopicOrPartition, "an error is sent every time")

            // Created again under the same name: another topic. By name (v12-) the session
            // reads the new one; by id (v13+) the old id no longer exists.
            _ = try await client.createTopic("t")
            try await client.produceBatches("t", batches: 1)
            let recreated = try await f.incremental([("t-0", 0)])
            if version >= 13 {
                #expect(recreated.error("t-0") == .unknownTopicId)
            } else {
                #expect(try recreated.offsets("t-0") == Self.values(0...9))
            }
        }
    }

    /// Partitions that returned records go to the end of the session's order, so a response
    /// limit shared by many partitions reaches all of them in turn (KIP-227).
    @Test(arguments: versions.filter { $0 >= 7 })
    func partitionsThatReturnedRecordsMoveToTheEnd(version: Int16) async throws {
        try await TestBroker.with { _, client in
            let id = try await client.createTopic("t", partitions: 2)
            try await client.produceBatches("t", partition: 0, batches: 3)
            try await client.produceBatches("t", partition: 1, batches: 3)
            var f = SessionFetcher(client, version: version, ids: ["t": id])
            // A response limit of one byte: the first partition read gets one batch, no other any.
            f.maxBytes = 1
            let first = try await f.full([("t-0", 0), ("t-1", 0)])
            #expect(try first.offsets("t-0") == Self.values(0...9))
            #expect(try first.offsets("t-1").isEmpty)

            // A new session keeps the request's order; t-0 returned records, so t-1 goes first next.
            let second = try await f.incremental([("t-0", 10)])
            #expect(try second.offsets("t-0") == Self.values(10...19))
            #expect(second.partitions["t-1"] == nil)
            let third = try await f.incremental([("t-0", 20)])
            #expect(try third.offsets("t-1") == Self.values(0...9))
            #expect(third.partitions["t-0"] == nil)
            let fourth = try await f.incremental([("t-1", 10)])
            #expect(try fourth.offsets("t-0") == Self.values(20...29))
        }
    }
}

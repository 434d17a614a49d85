import KafkaProtocol
import NIOCore
import Testing
@testable import GregorStorage

private func rejection(_ body: () throws(ClientAppendError) -> AppendResult) -> RecordValidationError? {
    do { _ = try body() } catch { if case .rejected(let r) = error { return r } }
    return nil
}

/// The leader's checks on client appends (Kafka's LogValidator), in storage's own terms.
@Suite struct RecordValidationTests {
    let now: Int64 = 1_700_000_000_000

    @Test func timestampBoundsRejectTheWholeAppendAndNameEachRecord() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.messageTimestampBeforeMaxMs = 1000
        config.messageTimestampAfterMaxMs = 500
        let (log, _) = try openLog(dir, config: config, now: now)
        // Timestamps now - 2, now - 1, now, now + 1, ... from makeBatch: shift them out of range.
        let early = makeBatch(count: 3, timestamp: now - 1001)
        let refused = try #require(rejection { () throws(ClientAppendError) in try log.appendFromClient(early, now: now) })
        #expect(refused.code == .invalidTimestamp)
        // now - 1001 is out, now - 1000 and now - 999 are in: the bound is inclusive.
        #expect(refused.recordErrors.map(\.batchIndex) == [0])
        #expect(refused.recordErrors[0].message
            == "Timestamp \(now - 1001) of message with offset 0 is out of range. The timestamp should be within [\(now - 1000), \(now + 500)]")
        #expect(log.logEndOffset == 0)

        let late = makeBatch(count: 2, timestamp: now + 500, codec: .snappy)
        #expect(rejection { () throws(ClientAppendError) in try log.appendFromClient(late, now: now) }?.recordErrors.map(\.batchIndex) == [1])
        let fine = try log.appendFromClient(makeBatch(count: 2, timestamp: now - 1000), now: now)
        #expect(fine.firstOffset == 0 && fine.lastOffset == 1)
        // The plain append (replication, recovery tools) does not validate.
        _ = try log.append(early, now: now)
        #expect(log.logEndOffset == 5)
    }

    @Test func compactedTopicsNeedKeysAndTimestampErrorsWin() throws {
        let dir = TempDir()
        var config = LogConfig()
        config.cleanupPolicy = [.compact]
        config.messageTimestampAfterMaxMs = 0
        let (log, _) = try openLog(dir, config: config, now: now)
        // Records 0 and 2 lack keys; record 3 is 3 ms ahead, beyond after.max.ms = 0.
        let batch = makeBatch(count: 4, timestamp: now, key: { $0 % 2 == 1 ? "k\($0)" : nil })
        let refused = try #require(rejection { () throws(ClientAppendError) in try log.appendFromClient(batch, now: now) })
        #expect(refused.recordErrors.map(\.batchIndex) == [0, 1, 2, 3])
        #expect(refused.code == .invalidTimestamp)
        #expect(refused.recordErrors[0].message == "Compacted topic cannot accept message without key in topic partition t-0")

        let keyed = makeBatch(count: 1, timestamp: now, key: { "k\($0)" })
        #expect(try log.appendFromClient(keyed, now: now).firstOffset == 0)
    }

    @Test func batchLevelRefusalsCarryNoRecordErrors() throws {
        let dir = TempDir()
        let (log, _) = try openLog(dir, now: now)
        var control = RecordBatchBuilder(isControl: true)
        control.append(timestamp: now, key: ByteBuffer(bytes: [0, 0, 0, 0]), value: ByteBuffer(bytes: [0, 0, 0, 0, 0, 0]))
        let controlBatch = try control.build()
        let refused = try #require(rejection { () throws(ClientAppendError) in try log.appendFromClient(controlBatch, now: now) })
        #expect(refused.code == .invalidRecord && refused.recordErrors.isEmpty)
        #expect(refused.message == "Clients are not allowed to write control records in topic partition t-0")

        var twice = makeBatch(count: 1, timestamp: now)
        var other = makeBatch(count: 1, timestamp: now)
        twice.writeBuffer(&other)
        #expect(rejection { () throws(ClientAppendError) in try log.appendFromClient(twice, now: now) }?.message
            == "Compressed outer record has more than one batch")

        // A CRC failure stays the storage's CORRUPT_MESSAGE.
        var corrupt = makeBatch(count: 1, timestamp: now)
        corrupt.setInteger(UInt8(0x55), at: corrupt.writerIndex - 1)
        do {
            _ = try log.appendFromClient(corrupt, now: now)
            Issue.record("a corrupt batch was appended")
        } catch {
            guard case .storage(let e) = error else { Issue.record("expected a storage error, got \(error)"); return }
            #expect(e.errorCode == .corruptMessage)
        }
        #expect(log.logEndOffset == 0)
    }
}

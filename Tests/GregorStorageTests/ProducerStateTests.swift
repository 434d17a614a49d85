import KafkaProtocol
import NIOCore
import Testing

@testable import GregorStorage

/// Idempotent producers at the partition (KIP-98): sequences checked on every client append,
/// a retried batch answered with the offsets it was first written at.
@Suite struct ProducerStateTests {
    static let now: Int64 = 1_700_000_000_000

    func batch(_ producerId: Int64, epoch: Int16, sequence: Int32, count: Int = 2) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: epoch, baseSequence: sequence)
        for i in 0..<count { builder.append(timestamp: 1_700_000_000_000, key: nil, value: ByteBuffer(string: "v\(i)")) }
        return try builder.build()
    }

    func open(_ dir: TempDir) throws -> PartitionLog { try openLog(dir).0 }

    func code(_ body: () throws(ClientAppendError) -> AppendResult) -> ErrorCode? {
        do { _ = try body() } catch .producerState(let error) { return error.errorCode } catch { return .unknownServerError }
        return nil
    }

    @Test func aRetriedBatchIsAnsweredWithItsOffsetsAndNotWrittenAgain() throws {
        let dir = TempDir()
        let log = try open(dir)
        #expect(try log.appendFromClient(try batch(7, epoch: 0, sequence: 0), now: Self.now).firstOffset == 0)
        #expect(try log.appendFromClient(try batch(7, epoch: 0, sequence: 2), now: Self.now).firstOffset == 2)
        // The first batch again: its offsets, nothing appended.
        let retried = try log.appendFromClient(try batch(7, epoch: 0, sequence: 0), now: Self.now)
        #expect(retried.firstOffset == 0 && retried.lastOffset == 1)
        #expect(log.logEndOffset == 4)
        // Another producer is independent; a non-idempotent batch is not checked.
        #expect(try log.appendFromClient(try batch(8, epoch: 0, sequence: 0), now: Self.now).firstOffset == 4)
        #expect(try log.appendFromClient(try batch(-1, epoch: -1, sequence: -1), now: Self.now).firstOffset == 6)
        #expect(try log.appendFromClient(try batch(-1, epoch: -1, sequence: -1), now: Self.now).firstOffset == 8)
        // Only the last five batches are remembered.
        for sequence in stride(from: Int32(4), to: 14, by: 2) { _ = try log.appendFromClient(try batch(7, epoch: 0, sequence: sequence), now: Self.now) }
        #expect(code { () throws(ClientAppendError) in try log.appendFromClient(try! batch(7, epoch: 0, sequence: 2), now: Self.now) } == .outOfOrderSequenceNumber)
        #expect(try log.appendFromClient(try batch(7, epoch: 0, sequence: 12), now: Self.now).firstOffset == 18)
    }

    @Test func gapsOldEpochsAndNewEpochsAreCheckedAsKafkaDoes() throws {
        let dir = TempDir()
        let log = try open(dir)
        // A producer the partition does not know may start at any sequence (KIP-360).
        #expect(try log.appendFromClient(try batch(7, epoch: 3, sequence: 40), now: Self.now).firstOffset == 0)
        #expect(code { () throws(ClientAppendError) in try log.appendFromClient(try! batch(7, epoch: 3, sequence: 43), now: Self.now) } == .outOfOrderSequenceNumber)
        #expect(code { () throws(ClientAppendError) in try log.appendFromClient(try! batch(7, epoch: 2, sequence: 42), now: Self.now) } == .invalidProducerEpoch)
        // A new epoch starts at 0.
        #expect(code { () throws(ClientAppendError) in try log.appendFromClient(try! batch(7, epoch: 4, sequence: 5), now: Self.now) } == .outOfOrderSequenceNumber)
        #expect(try log.appendFromClient(try batch(7, epoch: 4, sequence: 0), now: Self.now).firstOffset == 2)
        #expect(log.logEndOffset == 4)
        // Sequences wrap from Int32.max to 0.
        #expect(try log.appendFromClient(try batch(9, epoch: 0, sequence: Int32.max - 1), now: Self.now).lastOffset == 5)
        #expect(try log.appendFromClient(try batch(9, epoch: 0, sequence: 0), now: Self.now).firstOffset == 6)
    }
}

import NIOCore
import Testing

@testable import KafkaProtocol

/// `scanRecords` reads what validation needs without building records: it must accept, refuse
/// and report exactly as the record iterator does.
@Suite struct RecordScanTests {
    struct Seen: Equatable {
        var offset: Int64
        var timestamp: Int64
        var keyLength: Int
        var valueLength: Int
    }

    func scanned(_ batch: RecordBatch) -> Result<[Seen], RecordsError> {
        var seen: [Seen] = []
        do throws(RecordsError) {
            try batch.scanRecords { seen.append(Seen(offset: $0.offset, timestamp: $0.timestamp, keyLength: $0.keyLength, valueLength: $0.valueLength)) }
            return .success(seen)
        } catch {
            return .failure(error)
        }
    }

    func iterated(_ batch: RecordBatch) -> Result<[Seen], RecordsError> {
        do throws(RecordsError) {
            return .success(try batch.records().map {
                Seen(offset: $0.offset, timestamp: $0.timestamp, keyLength: $0.key?.readableBytes ?? -1, valueLength: $0.value?.readableBytes ?? -1)
            })
        } catch {
            return .failure(error)
        }
    }

    @Test(arguments: CompressionCodec.allCases)
    func summariesMatchTheRecords(codec: CompressionCodec) throws {
        let batch = try RecordBatch(try RecordsBatchTests.build(codec))
        let scan = scanned(batch)
        #expect(scan == iterated(batch))
        #expect(try scan.get().map(\.keyLength) == [5, -1, 9, 0])
        #expect(try scan.get().map(\.offset) == [100, 101, 102, 103])
    }

    @Test func lyingCountsAreRefusedAlike() throws {
        for codec in [CompressionCodec.none, .gzip] {
            let bytes = try RecordsBatchTests.build(codec)
            for count: Int32 in [-1, 0, 3, 5, Int32.max] {
                var copy = bytes
                copy.setInteger(count, at: RecordBatch.Offset.recordCount)
                let batch = try RecordBatch(copy)
                #expect(scanned(batch) == iterated(batch), "count \(count), \(codec)")
            }
        }
    }

    @Test func damagedRecordsFailAsTheIteratorFails() throws {
        // Small records and headers, so that most damage lands in the framing.
        var inputs = Array(RecordsBatchTests.inputs.prefix(3))
        inputs.append(.init(timestamp: 7, key: nil, value: nil, headers: [RecordHeader(key: "h", value: nil), RecordHeader(key: "", value: ByteBuffer())]))
        let bytes = try RecordsBatchTests.build(.none, inputs: inputs)
        var generator = SplitMix64(seed: 99)
        var refused = 0
        for _ in 0..<3000 {
            var damaged = bytes
            for _ in 0..<(1 + Int(generator.next() % 3)) {
                let index = RecordBatch.headerSize + Int(generator.next() % UInt64(bytes.readableBytes - RecordBatch.headerSize))
                damaged.setInteger(UInt8(truncatingIfNeeded: generator.next()), at: index)
            }
            let batch = try RecordBatch(damaged)
            let scan = scanned(batch)
            #expect(scan == iterated(batch))
            if case .failure = scan { refused += 1 }
        }
        #expect(refused > 100)
    }
}

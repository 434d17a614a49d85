import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// Fetch v0-3 from consumers that only read message format magic 0 and 1.
@Suite struct OldFetchEndToEndTests {
    /// Every legacy message in `records`, with absolute offsets.
    static func legacy(_ records: ByteBuffer?) throws -> [LegacyRecord] {
        guard let records else { return [] }
        var reader = RecordBatchReader(records, allowPartialTrailingBatch: true)
        var out: [LegacyRecord] = []
        while let entry = try reader.nextEntry() {
            guard case .legacy(let message) = entry else {
                Issue.record("a v2 batch in a Fetch v0-3 response")
                continue
            }
            try message.validate()
            out += try message.deepRecords()
        }
        return out
    }

    static func values(_ messages: [LegacyRecord]) -> [String] {
        messages.map { $0.value.map { String(buffer: $0) } ?? "null" }
    }

    @Test(arguments: [(Int16(0), Int8(0)), (1, 0), (2, 1), (3, 1)])
    func storedBatchesComeBackInTheOldFormat(version: Int16, magic: Int8) async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("old")
            _ = try await client.produce(Requests.produce("old", ["a", "b"]))
            var gzip = RecordBatchBuilder(compression: .gzip)
            for v in ["c", "d", "e"] { gzip.append(timestamp: 1_700_000_000_000, key: ByteBuffer(string: "k"), value: ByteBuffer(string: v)) }
            _ = try await client.produce(Requests.produce("old", records: try gzip.build()))

            let partition = try await client.fetch(Requests.fetch("old", offset: 1), version: version)
            #expect(partition.errorCode == 0)
            #expect(partition.highWatermark == 5)
            let messages = try Self.legacy(partition.records)
            #expect(messages.allSatisfy { $0.magic == magic })
            // Uncompressed records below the fetch offset are skipped; the gzip batch is whole.
            #expect(messages.map(\.offset) == [1, 2, 3, 4])
            #expect(Self.values(messages) == ["b", "c", "d", "e"])
            if magic == 1 { #expect(messages.last?.timestamp == 1_700_000_000_000) }
        }
    }

    @Test func zstdTopicsAreRefusedToOldFetches() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("z", configs: ["compression.type": "zstd"])
            var zstd = RecordBatchBuilder(compression: .zstd)
            zstd.append(timestamp: 1, key: nil, value: ByteBuffer(string: "z"))
            _ = try await client.produce(Requests.produce("z", records: try zstd.build()))
            let old = try await client.fetch(Requests.fetch("z", offset: 0), version: 3)
            #expect(old.errorCode == ErrorCode.unsupportedCompressionType.rawValue)
            let new = try await client.fetch(Requests.fetch("z", offset: 0), version: 12)
            #expect(new.errorCode == 0)
        }
    }

    @Test func zstdBatchesInOtherTopicsAreRefusedWhenReached() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("mixed")
            _ = try await client.produce(Requests.produce("mixed", ["plain"]))
            var zstd = RecordBatchBuilder(compression: .zstd)
            zstd.append(timestamp: 1, key: nil, value: ByteBuffer(string: "z"))
            _ = try await client.produce(Requests.produce("mixed", records: try zstd.build()))
            // What converts comes back first; the consumer's next fetch starts at the zstd batch.
            let first = try await client.fetch(Requests.fetch("mixed", offset: 0), version: 2)
            #expect(Self.values(try Self.legacy(first.records)) == ["plain"])
            let second = try await client.fetch(Requests.fetch("mixed", offset: 1), version: 2)
            #expect(second.errorCode == ErrorCode.unsupportedCompressionType.rawValue)
        }
    }
}

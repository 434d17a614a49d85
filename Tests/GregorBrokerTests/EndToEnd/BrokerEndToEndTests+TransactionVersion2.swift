import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

/// Transaction version 2 (KIP-890 part 2) over the wire, as a Java 4.x producer drives it: no
/// AddPartitionsToTxn nor AddOffsetsToTxn; Produce v12 and TxnOffsetCommit v5 add their
/// partitions; EndTxn v5 bumps the epoch at every end.
extension BrokerEndToEndTests {
    @Test func transactionVersion2AddsPartitionsAtTheLeaderAndBumpsTheEpoch() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("tv2")
            let init_ = try await client.request(InitProducerIdRequest(transactionalId: "j", transactionTimeoutMs: 60_000), version: 5)
            let pid = init_.producerId
            var epoch = init_.producerEpoch
            func produce(_ values: [String], epoch: Int16, sequence: Int32, version: Int16 = 12) async throws -> ProduceResponse.PartitionProduceResponse {
                var request = Requests.produce("tv2", records: try Self.transactionalBatch(pid, epoch: epoch, sequence: sequence, values))
                request.transactionalId = "j"
                return try await client.produce(request, version: version)
            }
            // v11 still needs the partition added first; v12 adds it.
            #expect(try await produce(["early"], epoch: epoch, sequence: 0, version: 11).errorCode == ErrorCode.transactionAbortable.rawValue)
            #expect(try await produce(["a", "b"], epoch: epoch, sequence: 0).errorCode == 0)
            let described = try await client.request(DescribeTransactionsRequest(transactionalIds: ["j"]), version: 0)
            #expect(described.transactionStates.first?.transactionState == "Ongoing")
            #expect(described.transactionStates.first?.topics.map(\.topic) == ["tv2"])

            let commit = TxnOffsetCommitRequest(
                transactionalId: "j", groupId: "g", producerId: pid, producerEpoch: epoch,
                topics: [.init(name: "tv2", partitions: [.init(partitionIndex: 0, committedOffset: 7)])])
            #expect(try await client.request(commit, version: 4).topics.first?.partitions.first?.errorCode == ErrorCode.transactionAbortable.rawValue)
            #expect(try await client.request(commit, version: 5).topics.first?.partitions.first?.errorCode == 0)

            let ended = try await client.request(EndTxnRequest(transactionalId: "j", producerId: pid, producerEpoch: epoch, committed: true), version: 5)
            #expect(ended.errorCode == 0 && ended.producerId == pid && ended.producerEpoch == epoch + 1)
            var visible: FetchResponse.PartitionData?
            for _ in 0..<100 {
                visible = try await client.request(Self.readCommitted("tv2"), version: 11).responses.first?.partitions.first
                if visible?.lastStableOffset == 3 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(visible?.lastStableOffset == 3, "\(String(describing: visible?.lastStableOffset)) \(String(describing: visible?.highWatermark))")
            let seen = try FetchedRecord.all(in: visible?.records)
            // The two records, then the commit marker (a control record at offset 2).
            #expect(seen.map(\.offset) == [0, 1, 2] && seen.prefix(2).map(\.value) == ["a", "b"], "\(seen)")
            var offset: OffsetFetchResponse.OffsetFetchResponsePartition?
            for _ in 0..<100 {
                let r = try await client.request(OffsetFetchRequest(groupId: "g", topics: [.init(name: "tv2", partitionIndexes: [0])], requireStable: true), version: 7)
                offset = r.topics.first?.partitions.first
                if offset?.errorCode == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(offset?.committedOffset == 7)

            // The old epoch is fenced; the next transaction runs at the bumped one from sequence 0.
            #expect(try await produce(["zombie"], epoch: epoch, sequence: 2).errorCode == ErrorCode.invalidProducerEpoch.rawValue)
            epoch += 1
            #expect(try await produce(["c"], epoch: epoch, sequence: 0).errorCode == 0)
            let aborted = try await client.request(EndTxnRequest(transactionalId: "j", producerId: pid, producerEpoch: epoch, committed: false), version: 5)
            #expect(aborted.errorCode == 0 && aborted.producerEpoch == epoch + 1)
        }
    }
}

import GregorStorage
import KafkaProtocol
import NIOCore
import Testing

@testable import GregorBroker

extension AddPartitionsToTxnRequest: TestRequest { typealias Response = AddPartitionsToTxnResponse }
extension AddOffsetsToTxnRequest: TestRequest { typealias Response = AddOffsetsToTxnResponse }
extension EndTxnRequest: TestRequest { typealias Response = EndTxnResponse }
extension TxnOffsetCommitRequest: TestRequest { typealias Response = TxnOffsetCommitResponse }
extension DescribeTransactionsRequest: TestRequest { typealias Response = DescribeTransactionsResponse }
extension ListTransactionsRequest: TestRequest { typealias Response = ListTransactionsResponse }
extension DescribeProducersRequest: TestRequest { typealias Response = DescribeProducersResponse }

/// Transactions over the wire (KIP-98, KIP-447, KIP-664, KIP-890 part 1), as a client and a
/// partition leader see them.
extension BrokerEndToEndTests {
    static func transactionalBatch(_ pid: Int64, epoch: Int16, sequence: Int32, _ values: [String]) throws -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: pid, producerEpoch: epoch, baseSequence: sequence, isTransactional: true)
        for v in values { builder.append(timestamp: Broker.wallClock(), key: nil, value: ByteBuffer(string: v)) }
        return try builder.build()
    }

    static func offsetFetch(_ client: KafkaTestClient, requireStable: Bool) async throws -> OffsetFetchResponse.OffsetFetchResponsePartition? {
        let topics: [OffsetFetchRequest.OffsetFetchRequestTopic] = [.init(name: "src", partitionIndexes: [0])]
        let request = OffsetFetchRequest(groupId: "g", topics: topics, requireStable: requireStable)
        let response: OffsetFetchResponse = try await client.request(request, version: 7)
        guard let topic = response.topics.first else { return nil }
        return topic.partitions.first
    }

    static func readCommitted(_ topic: String, version: Int16 = 11) -> FetchRequest {
        var request = Requests.fetch(topic, offset: 0)
        request.isolationLevel = 1
        return request
    }

    @Test func aTransactionIsVerifiedAbortedAndReported() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("txn", partitions: 2)
            let init_ = try await client.request(InitProducerIdRequest(transactionalId: "t1", transactionTimeoutMs: 60_000), version: 4)
            let (pid, epoch) = (init_.producerId, init_.producerEpoch)
            func produce(_ values: [String], sequence: Int32, partition: Int32 = 0) async throws -> ProduceResponse.PartitionProduceResponse {
                var request = Requests.produce("txn", partition: partition, records: try Self.transactionalBatch(pid, epoch: epoch, sequence: sequence, values))
                request.transactionalId = "t1"
                return try await client.produce(request, version: 9)
            }
            // KIP-890: a partition not added to the transaction is refused by its leader.
            #expect(try await produce(["early"], sequence: 0).errorCode == ErrorCode.invalidTxnState.rawValue)

            // One unknown partition: it is UNKNOWN_TOPIC_OR_PARTITION and nothing else is added.
            let refused = try await client.request(AddPartitionsToTxnRequest(
                v3AndBelowTransactionalId: "t1", v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch,
                v3AndBelowTopics: [.init(name: "txn", partitions: [0, 7])]), version: 3)
            #expect(refused.resultsByTopicV3AndBelow.first?.resultsByPartition.map(\.partitionErrorCode)
                    == [ErrorCode.operationNotAttempted.rawValue, ErrorCode.unknownTopicOrPartition.rawValue])
            let added = try await client.request(AddPartitionsToTxnRequest(
                v3AndBelowTransactionalId: "t1", v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch,
                v3AndBelowTopics: [.init(name: "txn", partitions: [0])]), version: 3)
            #expect(added.resultsByTopicV3AndBelow.first?.resultsByPartition.map(\.partitionErrorCode) == [0])
            // A stale epoch is fenced; before v2 as INVALID_PRODUCER_EPOCH (KIP-588).
            for (version, code) in [(Int16(1), ErrorCode.invalidProducerEpoch), (2, .producerFenced)] {
                let stale = try await client.request(AddPartitionsToTxnRequest(
                    v3AndBelowTransactionalId: "t1", v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch - 1,
                    v3AndBelowTopics: [.init(name: "txn", partitions: [1])]), version: version)
                #expect(stale.resultsByTopicV3AndBelow.first?.resultsByPartition.first?.partitionErrorCode == code.rawValue)
            }
            // The leaders' verify-only form (v4+).
            let verified = try await client.request(AddPartitionsToTxnRequest(transactions: [.init(
                transactionalId: "t1", producerId: pid, producerEpoch: epoch, verifyOnly: true, topics: [.init(name: "txn", partitions: [0, 1])])]),
                version: 5)
            #expect(verified.resultsByTransaction.first?.topicResults.first?.resultsByPartition.map(\.partitionErrorCode)
                    == [0, ErrorCode.transactionAbortable.rawValue])

            #expect(try await produce(["a", "b"], sequence: 0).baseOffset == 0)
            let open = try await client.request(Self.readCommitted("txn"), version: 11)
            #expect(open.responses.first?.partitions.first?.lastStableOffset == 0)
            #expect(try FetchedRecord.all(in: open.responses.first?.partitions.first?.records).isEmpty)

            let ended = try await client.request(EndTxnRequest(transactionalId: "t1", producerId: pid, producerEpoch: epoch, committed: false), version: 3)
            #expect(ended.errorCode == 0)
            // The marker follows EndTxn's answer.
            var aborted: FetchResponse.PartitionData?
            for _ in 0..<100 {
                aborted = try await client.request(Self.readCommitted("txn"), version: 11).responses.first?.partitions.first
                if aborted?.lastStableOffset == 3 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(aborted?.lastStableOffset == 3 && aborted?.highWatermark == 3)
            #expect(aborted?.abortedTransactions?.map(\.producerId) == [pid])
            #expect(aborted?.abortedTransactions?.map(\.firstOffset) == [0])
            // The same fetch in READ_UNCOMMITTED has no aborted transactions at all (null).
            let uncommitted = try await client.request(Requests.fetch("txn", offset: 0), version: 11).responses.first?.partitions.first
            #expect(uncommitted?.abortedTransactions == nil && uncommitted?.lastStableOffset == 3)

            let described = try await client.request(DescribeTransactionsRequest(transactionalIds: ["t1", "nobody"]), version: 0)
            #expect(described.transactionStates.map(\.transactionState) == ["CompleteAbort", ""])
            #expect(described.transactionStates.map(\.errorCode) == [0, ErrorCode.transactionalIdNotFound.rawValue])
            let listed = try await client.request(ListTransactionsRequest(stateFilters: ["CompleteAbort", "Bogus"]), version: 1)
            #expect(listed.transactionStates.map(\.transactionalId) == ["t1"] && listed.unknownStateFilters == ["Bogus"])
            let producers = try await client.request(
                DescribeProducersRequest(topics: [.init(name: "txn", partitionIndexes: [0, 9])]), version: 0)
            let partitions = producers.topics.first?.partitions ?? []
            #expect(partitions.first?.activeProducers.map(\.producerId) == [pid])
            #expect(partitions.first?.activeProducers.first?.currentTxnStartOffset == -1)
            #expect(partitions.last?.errorCode == ErrorCode.unknownTopicOrPartition.rawValue)
        }
    }

    /// KIP-447: a TxnOffsetCommit needs AddOffsetsToTxn first, is invisible to a require_stable
    /// OffsetFetch until the transaction commits, and then counts.
    @Test func offsetsSentInATransactionCountOnceItCommits() async throws {
        try await TestBroker.with { _, client in
            _ = try await client.createTopic("src")
            let init_ = try await client.request(InitProducerIdRequest(transactionalId: "t2", transactionTimeoutMs: 60_000), version: 4)
            let (pid, epoch) = (init_.producerId, init_.producerEpoch)
            let commit = TxnOffsetCommitRequest(
                transactionalId: "t2", groupId: "g", producerId: pid, producerEpoch: epoch,
                topics: [.init(name: "src", partitions: [.init(partitionIndex: 0, committedOffset: 42, committedMetadata: "m")])])
            let early = try await client.request(commit, version: 3)
            #expect(early.topics.first?.partitions.first?.errorCode == ErrorCode.invalidTxnState.rawValue)
            // v4 knows TRANSACTION_ABORTABLE (KIP-890): the producer aborts rather than failing.
            let earlyV4 = try await client.request(commit, version: 4)
            #expect(earlyV4.topics.first?.partitions.first?.errorCode == ErrorCode.transactionAbortable.rawValue)
            #expect(try await client.request(AddOffsetsToTxnRequest(transactionalId: "t2", producerId: pid, producerEpoch: epoch, groupId: "g"),
                                             version: 3).errorCode == 0)
            #expect(try await client.request(commit, version: 3).topics.first?.partitions.first?.errorCode == 0)
            func fetch(requireStable: Bool) async throws -> OffsetFetchResponse.OffsetFetchResponsePartition? {
                try await Self.offsetFetch(client, requireStable: requireStable)
            }
            #expect(try await fetch(requireStable: true)?.errorCode == ErrorCode.unstableOffsetCommit.rawValue)
            #expect(try await fetch(requireStable: false)?.committedOffset == -1)
            #expect(try await client.request(EndTxnRequest(transactionalId: "t2", producerId: pid, producerEpoch: epoch, committed: true),
                                             version: 3).errorCode == 0)
            var committed: OffsetFetchResponse.OffsetFetchResponsePartition?
            for _ in 0..<100 {
                committed = try await fetch(requireStable: true)
                if committed?.errorCode == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(committed?.committedOffset == 42 && committed?.metadata == "m")
            // Only the coordinators write their internal topics.
            #expect(try await client.produce(try Requests.produce("__consumer_offsets", ["x"])).errorCode == ErrorCode.invalidTopicException.rawValue)
        }
    }
}

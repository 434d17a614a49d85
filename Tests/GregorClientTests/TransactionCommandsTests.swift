import GregorClient
import KafkaProtocol
import NIOCore
import Testing

extension InitProducerIdRequest: ClientRequest { public typealias Response = InitProducerIdResponse }
extension AddPartitionsToTxnRequest: ClientRequest { public typealias Response = AddPartitionsToTxnResponse }

/// What `gregor transactions` does (KIP-664): a hanging transaction is listed, described, found
/// among the partition's producers and aborted there, and the partition is stable again.
@Suite struct TransactionCommandsTests {
    @Test func aHangingTransactionIsFoundAndAborted() async throws {
        try await ClientTestBroker.with { client, _ in
            try await client.createTopic("hang", partitions: 1)
            let initialized = try await client.send(InitProducerIdRequest(transactionalId: "stuck", transactionTimeoutMs: 600_000), version: 4)
            let (pid, epoch) = (initialized.producerId, initialized.producerEpoch)
            _ = try await client.send(AddPartitionsToTxnRequest(
                v3AndBelowTransactionalId: "stuck", v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch,
                v3AndBelowTopics: [.init(name: "hang", partitions: [0])]), version: 3)
            var batch = RecordBatchBuilder(producerId: pid, producerEpoch: epoch, baseSequence: 0, isTransactional: true)
            batch.append(timestamp: 1, key: nil, value: ByteBuffer(string: "open"))
            let produced = try await client.send(ProduceRequest(
                transactionalId: "stuck", acks: -1, timeoutMs: 5000,
                topicData: [.init(name: "hang", partitionData: [.init(index: 0, records: try batch.build())])]), version: 9)
            #expect(produced.responses.first?.partitionResponses.first?.errorCode == 0)

            #expect(try await client.listTransactions(states: ["Ongoing"]).map(\.transactionalId) == ["stuck"])
            let described = try await client.describeTransaction("stuck")
            #expect(described.state == "Ongoing" && described.partitions == ["hang-0"] && described.producerId == pid)
            let producers = try await client.describeProducers(topic: "hang", partition: 0)
            #expect(producers.map(\.currentTxnStartOffset) == [0])

            try await client.abortTransaction(topic: "hang", partition: 0, producerId: pid, producerEpoch: epoch, coordinatorEpoch: 0)
            #expect(try await client.describeProducers(topic: "hang", partition: 0).map(\.currentTxnStartOffset) == [-1])
            // A marker of an older epoch is refused, as Kafka refuses it.
            await #expect(throws: GregorClientError.self) {
                try await client.abortTransaction(topic: "hang", partition: 0, producerId: pid, producerEpoch: epoch - 1, coordinatorEpoch: 0)
            }
            await #expect(throws: GregorClientError.self) { try await client.listTransactions(states: ["Bogus"]) }
        }
    }
}

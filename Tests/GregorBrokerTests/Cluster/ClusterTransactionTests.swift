import Foundation
import GregorStorage
import GregorTestSupport
import KafkaProtocol
import Testing

@testable import GregorBroker

/// Transactions whose coordinator and partition leader are different brokers (KIP-890): the
/// leader asks the coordinator with AddPartitionsToTxn v5, verifying for transaction version 1
/// and adding the partition for version 2; the coordinator's markers reach the leader.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClusterTransactionTests {
    @Test func aLeaderVerifiesAndAddsPartitionsAtACoordinatorOnAnotherBroker() async throws {
        let etcd = try await EtcdServer.start()
        defer { etcd.stop() }
        let prefix = "/transactions-\(UUID().uuidString.prefix(8))"
        let brokers = [try await ClusterTestBroker.start(1, etcd: etcd, prefix: prefix), try await ClusterTestBroker.start(2, etcd: etcd, prefix: prefix)]
        let admin = try await brokers[0].login("alice")

        // The coordinator of "j": the leader of its __transaction_state partition.
        var coordinator: Int32 = -1
        try await ClusterSecurityTests.eventually("a transaction coordinator for j") {
            let found = try await admin.request(FindCoordinatorRequest(key: "", keyType: 1, coordinatorKeys: ["j"]), version: 4)
            coordinator = found.coordinators.first?.nodeId ?? -1
            return found.coordinators.first?.errorCode == 0
        }
        let leaderId: Int32 = coordinator == 1 ? 2 : 1
        let created = try await admin.request(Requests.createTopics([
            .init(name: "remote", numPartitions: -1, replicationFactor: -1, assignments: [.init(partitionIndex: 0, brokerIds: [leaderId])]),
        ]), version: 7)
        #expect(created.topics.map(\.errorCode) == [0])
        let atCoordinator = try await brokers[Int(coordinator) - 1].login("alice")
        let atLeader = try await brokers[Int(leaderId) - 1].login("alice")
        try await ClusterSecurityTests.eventually("the leader of remote-0") {
            brokers[Int(leaderId) - 1].broker.cluster?.partition(TopicPartition("remote", 0))?.leader == leaderId
                && brokers[Int(leaderId) - 1].broker.log("remote", 0) != nil
        }

        var init_ = InitProducerIdResponse()
        try await ClusterSecurityTests.eventually("InitProducerId at the coordinator") {
            init_ = try await atCoordinator.request(InitProducerIdRequest(transactionalId: "j", transactionTimeoutMs: 60_000), version: 5)
            return init_.errorCode == 0
        }
        let (pid, epoch) = (init_.producerId, init_.producerEpoch)
        func produce(_ values: [String], sequence: Int32, version: Int16) async throws -> Int16 {
            var request = Requests.produce("remote", records: try BrokerEndToEndTests.transactionalBatch(pid, epoch: epoch, sequence: sequence, values))
            request.transactionalId = "j"
            return try await atLeader.produce(request, version: version).errorCode
        }
        // Version 1: the partition was never added, and the coordinator on the other broker says so.
        #expect(try await produce(["early"], sequence: 0, version: 11) == ErrorCode.transactionAbortable.rawValue)
        // Version 2: the leader adds it there.
        #expect(try await produce(["a", "b"], sequence: 0, version: 12) == 0)
        let described = try await atCoordinator.request(DescribeTransactionsRequest(transactionalIds: ["j"]), version: 0)
        #expect(described.transactionStates.first?.transactionState == "Ongoing")
        #expect(described.transactionStates.first?.topics.map(\.topic) == ["remote"])

        let ended = try await atCoordinator.request(EndTxnRequest(transactionalId: "j", producerId: pid, producerEpoch: epoch, committed: true), version: 5)
        #expect(ended.errorCode == 0 && ended.producerEpoch == epoch + 1)
        try await ClusterSecurityTests.eventually("the commit marker at the leader") {
            try await atLeader.request(BrokerEndToEndTests.readCommitted("remote"), version: 11).responses.first?.partitions.first?.lastStableOffset == 3
        }
        for c in [admin, atCoordinator, atLeader] { await c.close() }
        for b in brokers.reversed() { await b.stop() }
    }
}

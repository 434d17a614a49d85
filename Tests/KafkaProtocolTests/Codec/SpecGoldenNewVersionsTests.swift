import NIOCore
import Testing
@testable import KafkaProtocol

/// Every version new in Kafka 4.3, against frames written by hand from 4.3's JSON specs (not from the
/// codec; see SpecGoldenTests.swift for the byte builder and the rules).
@Suite struct SpecGoldenNewVersionsTests {
    @Test func metadataResponseV13() throws {
        let expected = MetadataResponse(
            throttleTimeMs: 11,
            brokers: [.init(nodeId: 1, host: "b1", port: 9092, rack: "r1")],
            clusterId: "cid", controllerId: 2,
            topics: [.init(errorCode: 5, name: "t", topicId: specTopicId, isInternal: true,
                           partitions: [.init(errorCode: 9, partitionIndex: 3, leaderId: 1, leaderEpoch: 7,
                                              replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [2])],
                           topicAuthorizedOperations: 248)],
            errorCode: 31)
        try checkSpecGolden(expected, version: 13, SpecBytes { w in
            w.int32(11)                                                    // ThrottleTimeMs
            w.compactArray(1)                                              // Brokers
            w.int32(1); w.compactString("b1"); w.int32(9092); w.compactString("r1"); w.noTags()
            w.compactString("cid")                                         // ClusterId
            w.int32(2)                                                     // ControllerId
            w.compactArray(1)                                              // Topics
            w.int16(5); w.compactString("t"); w.uuid(specTopicIdBytes); w.bool(true)
            w.compactArray(1)                                              //   Partitions
            w.int16(9); w.int32(3); w.int32(1); w.int32(7)
            w.compactArray(2); w.int32(1); w.int32(2)                      //     ReplicaNodes
            w.compactArray(1); w.int32(1)                                  //     IsrNodes
            w.compactArray(1); w.int32(2)                                  //     OfflineReplicas
            w.noTags()
            w.int32(248); w.noTags()                                       //   TopicAuthorizedOperations
            // ClusterAuthorizedOperations is 8-10 only.
            w.int16(31)                                                    // ErrorCode (13+)
            w.noTags()
        })
    }

    @Test func produceRequestV12AndV13() throws {
        let records: [UInt8] = [0xde, 0xad, 0xbe, 0xef]
        for version: Int16 in [12, 13] {
            let topic = version == 12
                ? ProduceRequest.TopicProduceData(name: "t", partitionData: [.init(index: 4, records: ByteBuffer(bytes: records))])
                : ProduceRequest.TopicProduceData(topicId: specTopicId, partitionData: [.init(index: 4, records: ByteBuffer(bytes: records))])
            let expected = ProduceRequest(transactionalId: "tx", acks: -1, timeoutMs: 3000, topicData: [topic])
            try checkSpecGolden(expected, version: version, SpecBytes { w in
                w.compactString("tx"); w.int16(-1); w.int32(3000)
                w.compactArray(1)                                          // TopicData
                if version == 12 { w.compactString("t") } else { w.uuid(specTopicIdBytes) }  // Name 0-12, TopicId 13+
                w.compactArray(1); w.int32(4); w.compactBlob(records); w.noTags()
                w.noTags()
                w.noTags()
            })
        }
    }

    @Test func produceResponseV12AndV13() throws {
        for version: Int16 in [12, 13] {
            let partition = ProduceResponse.PartitionProduceResponse(
                index: 4, errorCode: 18, baseOffset: 100, logAppendTimeMs: 1_700_000_000_000, logStartOffset: 5,
                recordErrors: [.init(batchIndex: 2, batchIndexErrorMessage: "bad")], errorMessage: "oops",
                currentLeader: .init(leaderId: 3, leaderEpoch: 9))
            let topic = version == 12
                ? ProduceResponse.TopicProduceResponse(name: "t", partitionResponses: [partition])
                : ProduceResponse.TopicProduceResponse(topicId: specTopicId, partitionResponses: [partition])
            let expected = ProduceResponse(responses: [topic], throttleTimeMs: 12,
                                           nodeEndpoints: [.init(nodeId: 3, host: "h", port: 9093, rack: "r")])
            try checkSpecGolden(expected, version: version, SpecBytes { w in
                w.compactArray(1)                                          // Responses
                if version == 12 { w.compactString("t") } else { w.uuid(specTopicIdBytes) }
                w.compactArray(1)                                          //   PartitionResponses
                w.int32(4); w.int16(18); w.int64(100); w.int64(1_700_000_000_000); w.int64(5)
                w.compactArray(1); w.int32(2); w.compactString("bad"); w.noTags()   // RecordErrors
                w.compactString("oops")                                    //     ErrorMessage
                w.tags([(0, SpecBytes { l in l.int32(3); l.int32(9); l.noTags() })])  // CurrentLeader, tag 0
                w.noTags()
                w.int32(12)                                                // ThrottleTimeMs
                w.tags([(0, SpecBytes { n in                               // NodeEndpoints, tag 0
                    n.compactArray(1); n.int32(3); n.compactString("h"); n.int32(9093); n.compactString("r"); n.noTags()
                })])
            })
        }
    }

    @Test func fetchRequestV18() throws {
        let expected = FetchRequest(
            clusterId: "cid", replicaState: .init(replicaId: 2, replicaEpoch: 77),
            maxWaitMs: 500, minBytes: 1, maxBytes: 1_048_576, isolationLevel: 1, sessionId: 42, sessionEpoch: 3,
            topics: [.init(topicId: specTopicId, partitions: [
                .init(partition: 0, currentLeaderEpoch: 5, fetchOffset: 1000, lastFetchedEpoch: 4, logStartOffset: 10,
                      partitionMaxBytes: 65536, replicaDirectoryId: specDirId, highWatermark: 2000)])],
            forgottenTopicsData: [.init(topicId: specTopicId, partitions: [6, 7])],
            rackId: "rack")
        try checkSpecGolden(expected, version: 18, SpecBytes { w in
            // ClusterId (tag 0) and ReplicaState (tag 1) are tagged; ReplicaId is 0-14 only.
            w.int32(500); w.int32(1); w.int32(1_048_576); w.int8(1); w.int32(42); w.int32(3)
            w.compactArray(1)                                              // Topics
            w.uuid(specTopicIdBytes)
            w.compactArray(1)                                              //   Partitions
            w.int32(0); w.int32(5); w.int64(1000); w.int32(4); w.int64(10); w.int32(65536)
            w.tags([(0, SpecBytes { $0.uuid(specDirIdBytes) }),           //     ReplicaDirectoryId, tag 0
                    (1, SpecBytes { $0.int64(2000) })])                    //     HighWatermark, tag 1 (18+)
            w.noTags()
            w.compactArray(1); w.uuid(specTopicIdBytes)                    // ForgottenTopicsData
            w.compactArray(2); w.int32(6); w.int32(7); w.noTags()
            w.compactString("rack")                                        // RackId
            w.tags([(0, SpecBytes { $0.compactString("cid") }),
                    (1, SpecBytes { r in r.int32(2); r.int64(77); r.noTags() })])
        })
    }

    @Test func listOffsetsRequestV11() throws {
        let expected = ListOffsetsRequest(
            replicaId: -1, isolationLevel: 1,
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 2, currentLeaderEpoch: 6, timestamp: -6)])],
            timeoutMs: 1500)
        try checkSpecGolden(expected, version: 11, SpecBytes { w in
            w.int32(-1); w.int8(1)
            w.compactArray(1); w.compactString("t")
            w.compactArray(1); w.int32(2); w.int32(6); w.int64(-6); w.noTags()   // -6: earliest pending upload
            w.noTags()
            w.int32(1500); w.noTags()
        })
    }

    @Test func offsetCommitV10() throws {
        let request = OffsetCommitRequest(
            groupId: "g", generationIdOrMemberEpoch: 8, memberId: "m", groupInstanceId: "i",
            topics: [.init(topicId: specTopicId, partitions: [
                .init(partitionIndex: 1, committedOffset: 55, committedLeaderEpoch: 4, committedMetadata: "md")])])
        try checkSpecGolden(request, version: 10, SpecBytes { w in
            w.compactString("g"); w.int32(8); w.compactString("m"); w.compactString("i")  // no RetentionTimeMs (2-4)
            w.compactArray(1); w.uuid(specTopicIdBytes)                    // TopicId replaces Name at 10
            w.compactArray(1); w.int32(1); w.int64(55); w.int32(4); w.compactString("md"); w.noTags()
            w.noTags()
            w.noTags()
        })
        let response = OffsetCommitResponse(
            throttleTimeMs: 13, topics: [.init(topicId: specTopicId, partitions: [.init(partitionIndex: 1, errorCode: 25)])])
        try checkSpecGolden(response, version: 10, SpecBytes { w in
            w.int32(13)
            w.compactArray(1); w.uuid(specTopicIdBytes)
            w.compactArray(1); w.int32(1); w.int16(25); w.noTags()
            w.noTags()
            w.noTags()
        })
    }

    @Test func offsetFetchV10() throws {
        let request = OffsetFetchRequest(
            groups: [.init(groupId: "g", memberId: "m", memberEpoch: 5,
                           topics: [.init(topicId: specTopicId, partitionIndexes: [0, 3])])],
            requireStable: true)
        try checkSpecGolden(request, version: 10, SpecBytes { w in
            // GroupId and Topics are 0-7 only.
            w.compactArray(1)                                              // Groups
            w.compactString("g"); w.compactString("m"); w.int32(5)
            w.compactArray(1); w.uuid(specTopicIdBytes)                    //   Topics (nullable)
            w.compactArray(2); w.int32(0); w.int32(3); w.noTags()
            w.noTags()
            w.bool(true)                                                   // RequireStable
            w.noTags()
        })
        let response = OffsetFetchResponse(
            throttleTimeMs: 14,
            groups: [.init(groupId: "g", topics: [.init(topicId: specTopicId, partitions: [
                .init(partitionIndex: 3, committedOffset: 77, committedLeaderEpoch: 2, metadata: "md", errorCode: 3)])],
                errorCode: 16)])
        try checkSpecGolden(response, version: 10, SpecBytes { w in
            w.int32(14)                                                    // Topics and ErrorCode are 0-7 only
            w.compactArray(1); w.compactString("g")                        // Groups
            w.compactArray(1); w.uuid(specTopicIdBytes)                    //   Topics
            w.compactArray(1); w.int32(3); w.int64(77); w.int32(2); w.compactString("md"); w.int16(3); w.noTags()
            w.noTags()
            w.int16(16); w.noTags()                                        //   ErrorCode
            w.noTags()
        })
    }

    @Test func describeGroupsResponseV6() throws {
        let expected = DescribeGroupsResponse(throttleTimeMs: 15, groups: [.init(
            errorCode: 69, errorMessage: "no such group", groupId: "g", groupState: "Dead", protocolType: "consumer",
            protocolData: "range",
            members: [.init(memberId: "m", groupInstanceId: "i", clientId: "c", clientHost: "/h",
                            memberMetadata: [1, 2], memberAssignment: [3])],
            authorizedOperations: 8)])
        try checkSpecGolden(expected, version: 6, SpecBytes { w in
            w.int32(15)
            w.compactArray(1)
            w.int16(69); w.compactString("no such group")                  // ErrorMessage after ErrorCode (6+)
            w.compactString("g"); w.compactString("Dead"); w.compactString("consumer"); w.compactString("range")
            w.compactArray(1)                                              //   Members
            w.compactString("m"); w.compactString("i"); w.compactString("c"); w.compactString("/h")
            w.compactBlob([1, 2]); w.compactBlob([3]); w.noTags()
            w.int32(8); w.noTags()
            w.noTags()
        })
    }

    @Test func describeClusterV2() throws {
        let request = DescribeClusterRequest(includeClusterAuthorizedOperations: true, endpointType: 2, includeFencedBrokers: true)
        try checkSpecGolden(request, version: 2, SpecBytes { w in
            w.bool(true); w.int8(2); w.bool(true); w.noTags()
        })
        let response = DescribeClusterResponse(
            throttleTimeMs: 16, errorCode: 1, errorMessage: "e", endpointType: 2, clusterId: "cid", controllerId: 3,
            brokers: [.init(brokerId: 3, host: "h", port: 9094, rack: "r", isFenced: true)],
            clusterAuthorizedOperations: 1024)
        try checkSpecGolden(response, version: 2, SpecBytes { w in
            w.int32(16); w.int16(1); w.compactString("e"); w.int8(2); w.compactString("cid"); w.int32(3)
            w.compactArray(1)
            w.int32(3); w.compactString("h"); w.int32(9094); w.compactString("r"); w.bool(true); w.noTags()  // IsFenced (2+)
            w.int32(1024); w.noTags()
        })
    }

    @Test func describeLogDirsResponseV5() throws {
        let expected = DescribeLogDirsResponse(throttleTimeMs: 17, errorCode: 2, results: [.init(
            errorCode: 57, logDir: "/d",
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, partitionSize: 4096, offsetLag: 3, isFutureKey: true)])],
            totalBytes: 1 << 40, usableBytes: 1 << 30, isCordoned: true)])
        try checkSpecGolden(expected, version: 5, SpecBytes { w in
            w.int32(17); w.int16(2)
            w.compactArray(1); w.int16(57); w.compactString("/d")
            w.compactArray(1); w.compactString("t")
            w.compactArray(1); w.int32(1); w.int64(4096); w.int64(3); w.bool(true); w.noTags()
            w.noTags()
            w.int64(1 << 40); w.int64(1 << 30); w.bool(true); w.noTags()  // IsCordoned (5+)
            w.noTags()
        })
    }

    @Test func txnOffsetCommitRequestV5() throws {
        let expected = TxnOffsetCommitRequest(
            transactionalId: "tx", groupId: "g", producerId: 4000, producerEpoch: 2, generationId: 9, memberId: "m",
            groupInstanceId: "i",
            topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 88, committedLeaderEpoch: 3, committedMetadata: "md")])])
        try checkSpecGolden(expected, version: 5, SpecBytes { w in
            w.compactString("tx"); w.compactString("g"); w.int64(4000); w.int16(2); w.int32(9); w.compactString("m")
            w.compactString("i")
            w.compactArray(1); w.compactString("t")
            w.compactArray(1); w.int32(0); w.int64(88); w.int32(3); w.compactString("md"); w.noTags()
            w.noTags()
            w.noTags()
        })
    }

    @Test func listTransactionsRequestV2() throws {
        let expected = ListTransactionsRequest(
            stateFilters: ["Ongoing"], producerIdFilters: [7, 8], durationFilter: 60000, transactionalIdPattern: "tx-.*")
        try checkSpecGolden(expected, version: 2, SpecBytes { w in
            w.compactArray(1); w.compactString("Ongoing")
            w.compactArray(2); w.int64(7); w.int64(8)
            w.int64(60000); w.compactString("tx-.*")                       // TransactionalIdPattern (2+)
            w.noTags()
        })
    }

    @Test func writeTxnMarkersRequestV2() throws {
        let expected = WriteTxnMarkersRequest(markers: [.init(
            producerId: 4000, producerEpoch: 2, transactionResult: true,
            topics: [.init(name: "t", partitionIndexes: [0, 1])], coordinatorEpoch: 6, transactionVersion: 2)])
        try checkSpecGolden(expected, version: 2, SpecBytes { w in
            w.compactArray(1)
            w.int64(4000); w.int16(2); w.bool(true)
            w.compactArray(1); w.compactString("t"); w.compactArray(2); w.int32(0); w.int32(1); w.noTags()
            w.int32(6); w.int8(2); w.noTags()                              // TransactionVersion (2+)
            w.noTags()
        })
    }

    @Test func consumerGroupDescribeResponseV1() throws {
        let assignment = ConsumerGroupDescribeResponse.Assignment(
            topicPartitions: [.init(topicId: specTopicId, topicName: "t", partitions: [0, 2])])
        let target = ConsumerGroupDescribeResponse.Assignment(
            topicPartitions: [.init(topicId: specTopicId, topicName: "t", partitions: [1])])
        let expected = ConsumerGroupDescribeResponse(throttleTimeMs: 18, groups: [.init(
            errorCode: 15, errorMessage: "e", groupId: "g", groupState: "Stable", groupEpoch: 4, assignmentEpoch: 3,
            assignorName: "uniform",
            members: [.init(memberId: "m", instanceId: "i", rackId: "r", memberEpoch: 4, clientId: "c", clientHost: "/h",
                            subscribedTopicNames: ["t"], subscribedTopicRegex: "t.*", assignment: assignment,
                            targetAssignment: target, memberType: 1)],
            authorizedOperations: 64)])
        try checkSpecGolden(expected, version: 1, SpecBytes { w in
            w.int32(18)
            w.compactArray(1)
            w.int16(15); w.compactString("e"); w.compactString("g"); w.compactString("Stable"); w.int32(4); w.int32(3)
            w.compactString("uniform")
            w.compactArray(1)                                              //   Members
            w.compactString("m"); w.compactString("i"); w.compactString("r"); w.int32(4); w.compactString("c")
            w.compactString("/h")
            w.compactArray(1); w.compactString("t")                        //     SubscribedTopicNames
            w.compactString("t.*")
            w.compactArray(1); w.uuid(specTopicIdBytes); w.compactString("t")   // Assignment
            w.compactArray(2); w.int32(0); w.int32(2); w.noTags()
            w.noTags()
            w.compactArray(1); w.uuid(specTopicIdBytes); w.compactString("t")   // TargetAssignment
            w.compactArray(1); w.int32(1); w.noTags()
            w.noTags()
            w.int8(1); w.noTags()                                          //     MemberType (1+)
            w.int32(64); w.noTags()
            w.noTags()
        })
    }

    @Test func listConfigResourcesV0AndV1() throws {
        try checkSpecGolden(ListConfigResourcesRequest(), version: 0, SpecBytes { $0.noTags() })
        try checkSpecGolden(ListConfigResourcesRequest(resourceTypes: [2, 16]), version: 1, SpecBytes { w in
            w.compactArray(2); w.int8(2); w.int8(16); w.noTags()
        })
        let v0 = ListConfigResourcesResponse(throttleTimeMs: 19, errorCode: 3, configResources: [.init(resourceName: "sub")])
        try checkSpecGolden(v0, version: 0, SpecBytes { w in
            w.int32(19); w.int16(3)
            w.compactArray(1); w.compactString("sub"); w.noTags()
            w.noTags()
        })
        let v1 = ListConfigResourcesResponse(
            throttleTimeMs: 19, errorCode: 3, configResources: [.init(resourceName: "t", resourceType: 2)])
        try checkSpecGolden(v1, version: 1, SpecBytes { w in
            w.int32(19); w.int16(3)
            w.compactArray(1); w.compactString("t"); w.int8(2); w.noTags()  // ResourceType (1+)
            w.noTags()
        })
    }

    /// Nulls in the new nullable fields, and tagged fields left out at their defaults.
    @Test func nullsAndOmittedTaggedFields() throws {
        let group = DescribeGroupsResponse.DescribedGroup(
            errorCode: 0, errorMessage: nil, groupId: "g", groupState: "Empty", protocolType: "", protocolData: "",
            members: [], authorizedOperations: -2147483648)
        try checkSpecGolden(DescribeGroupsResponse(throttleTimeMs: 0, groups: [group]), version: 6, SpecBytes { w in
            w.int32(0); w.compactArray(1); w.int16(0); w.compactString(nil); w.compactString("g"); w.compactString("Empty")
            w.compactString(""); w.compactString(""); w.compactArray(0); w.int32(-2147483648); w.noTags()
            w.noTags()
        })
        try checkSpecGolden(ListTransactionsRequest(transactionalIdPattern: nil), version: 2, SpecBytes { w in
            w.compactArray(0); w.compactArray(0); w.int64(-1); w.compactString(nil); w.noTags()
        })
        let fetchAll = OffsetFetchRequest(groups: [.init(groupId: "g", memberId: nil, memberEpoch: -1, topics: nil)])
        try checkSpecGolden(fetchAll, version: 10, SpecBytes { w in
            w.compactArray(1); w.compactString("g"); w.compactString(nil); w.int32(-1); w.compactArray(nil); w.noTags()
            w.bool(false); w.noTags()
        })
        let produce = ProduceRequest(transactionalId: nil, acks: 1, timeoutMs: 100,
                                     topicData: [.init(topicId: specTopicId, partitionData: [.init(index: 0, records: nil)])])
        try checkSpecGolden(produce, version: 13, SpecBytes { w in
            w.compactString(nil); w.int16(1); w.int32(100)
            w.compactArray(1); w.uuid(specTopicIdBytes); w.compactArray(1); w.int32(0); w.compactBlob(nil); w.noTags()
            w.noTags()
            w.noTags()
        })
        // Default CurrentLeader (-1, -1), no NodeEndpoints: both tagged fields left out.
        let produced = ProduceResponse(responses: [.init(topicId: specTopicId, partitionResponses: [
            .init(index: 0, errorCode: 0, baseOffset: 0)])], throttleTimeMs: 0)
        try checkSpecGolden(produced, version: 13, SpecBytes { w in
            w.compactArray(1); w.uuid(specTopicIdBytes)
            w.compactArray(1); w.int32(0); w.int16(0); w.int64(0); w.int64(-1); w.int64(-1)
            w.compactArray(0); w.compactString(nil); w.noTags()
            w.noTags()
            w.int32(0); w.noTags()
        })
        // HighWatermark at its default (Int64.max) and a zero ReplicaDirectoryId: no partition tags;
        // no ClusterId, default ReplicaState: no top-level tags.
        let fetch = FetchRequest(maxWaitMs: 500, minBytes: 1, sessionEpoch: -1, topics: [.init(topicId: specTopicId, partitions: [
            .init(partition: 1, fetchOffset: 5, partitionMaxBytes: 1024)])])
        try checkSpecGolden(fetch, version: 18, SpecBytes { w in
            w.int32(500); w.int32(1); w.int32(0x7fff_ffff); w.int8(0); w.int32(0); w.int32(-1)
            w.compactArray(1); w.uuid(specTopicIdBytes)
            w.compactArray(1); w.int32(1); w.int32(-1); w.int64(5); w.int32(-1); w.int64(-1); w.int32(1024); w.noTags()
            w.noTags()
            w.compactArray(0); w.compactString(""); w.noTags()
        })
    }
}

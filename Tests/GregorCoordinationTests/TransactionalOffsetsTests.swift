import GregorStorage
import KafkaProtocol
import Testing

@testable import GregorCoordination

/// TxnOffsetCommit's offsets on the group shard (KIP-98, KIP-447): pending until their
/// transaction's marker, then counted over older commits only, or dropped on abort.
@Suite struct TransactionalOffsetsTests {
    let tp = TopicPartition("orders", 0)

    func commit(_ offset: Int64) -> CommittedOffset { CommittedOffset(offset: offset, commitTimestamp: 0) }

    @Test func aCommitMarkerAppliesPendingOffsetsOverOlderOnesOnly() {
        var shard = GroupShard()
        shard.replay(.offsetCommit(group: "g", tp, commit(1)), offset: 5, producerId: 9, producerEpoch: 0)
        #expect(shard.offsets["g"] == nil && shard.hasPendingTransactionalOffset(group: "g", tp))
        // A plain commit written after the transactional one wins when the transaction commits
        // (OffsetMetadataManager.replayEndTransactionMarker compares record offsets).
        shard.replay(.offsetCommit(group: "g", tp, commit(2)), offset: 7, producerId: -1, producerEpoch: -1)
        shard.replayEndTransaction(producerId: 9, producerEpoch: 0, committed: true)
        #expect(shard.offsets["g"]?[tp]?.offset == 2)
        #expect(!shard.hasPendingTransactionalOffset(group: "g", tp))

        // A later transaction's offset counts over it on commit; an aborted one leaves nothing.
        shard.replay(.offsetCommit(group: "g", tp, commit(3)), offset: 9, producerId: 9, producerEpoch: 0)
        shard.replayEndTransaction(producerId: 9, producerEpoch: 0, committed: true)
        #expect(shard.offsets["g"]?[tp]?.offset == 3)
        shard.replay(.offsetCommit(group: "g", tp, commit(4)), offset: 11, producerId: 9, producerEpoch: 1)
        shard.replayEndTransaction(producerId: 9, producerEpoch: 1, committed: false)
        #expect(shard.offsets["g"]?[tp]?.offset == 3)
        // Another producer's marker touches nothing of this one's.
        shard.replay(.offsetCommit(group: "g", tp, commit(5)), offset: 13, producerId: 9, producerEpoch: 1)
        shard.replayEndTransaction(producerId: 8, producerEpoch: 0, committed: true)
        #expect(shard.offsets["g"]?[tp]?.offset == 3 && shard.hasPendingTransactionalOffset(group: "g", tp))
    }
}

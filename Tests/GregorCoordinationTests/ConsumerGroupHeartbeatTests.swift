import KafkaProtocol
import Testing
@testable import GregorCoordination

@Suite struct ConsumerGroupHeartbeatTests {
    @Test func firstJoinCreatesTheGroupAndAssignsEverything() {
        var h = ConsumerGroupHarness()
        #expect(h.state == .empty)
        let joined = h.send(cgJoin("a"))
        #expect(joined.reply == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(joined.heartbeatIntervalMs == 5000)
        #expect(joined.events == [
            .memberJoined(memberId: "a"), .groupEpochBumped(to: 1),
            .targetAssignmentComputed(epoch: 1, assignor: "uniform"), .stateChanged(from: .empty, to: .stable),
        ])
        #expect(h.group.groupEpoch == 1 && h.group.assignmentEpoch == 1)
        #expect(h.state == .stable && h.state.name == "Stable")
    }

    @Test func assignmentIsSentOnlyWhenItChangesOrOnAFullRequest() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        #expect(h.send(cgBeat("a", epoch: 1)).reply == ok("a", 1))
        var full = cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]], topics: ["orders"])
        full.rebalanceTimeoutMs = 60_000
        #expect(h.send(full).reply == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
    }

    @Test func v0JoinWithoutMemberIdGetsAServerGeneratedOne() {
        var h = ConsumerGroupHarness()
        #expect(h.send(cgJoin("", version: 0)).reply == ok("member-1", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        #expect(h.send(cgJoin("", version: 1)).errorMessage == "MemberId can't be empty.")
    }

    @Test func invalidRequestsAreRejectedLikeKafka() {
        var h = ConsumerGroupHarness()
        func message(_ input: ConsumerHeartbeatInput) -> String? {
            let result = h.send(input)
            #expect(result.errorCode == .invalidRequest)
            return result.errorMessage
        }
        var input = cgJoin("a")
        input.groupId = "  "
        #expect(message(input) == "GroupId can't be empty.")
        #expect(message(cgJoin("a", instance: "")) == "InstanceId can't be empty.")
        input = cgJoin("a")
        input.rackId = ""
        #expect(message(input) == "RackId can't be empty.")
        #expect(message(cgJoin("a", rebalanceTimeoutMs: -1)) == "RebalanceTimeoutMs must be provided in first request.")
        input = cgJoin("a")
        input.ownedPartitions = [ordersId: [0]]
        #expect(message(input) == "TopicPartitions must be empty when (re-)joining.")
        input.ownedPartitions = nil
        #expect(message(input) == "TopicPartitions must be empty when (re-)joining.")
        #expect(message(cgJoin("a", topics: nil))
            == "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.")
        #expect(message(cgLeave("a", epoch: -2)) == "InstanceId can't be null.")
        #expect(message(cgBeat("a", epoch: -3)) == "MemberEpoch is invalid.")
        #expect(message(cgBeat("", epoch: 3)) == "MemberId can't be empty.")
        #expect(h.state == .empty && !h.group.exists)
    }

    @Test func unknownServerAssignorIsUnsupported() {
        var h = ConsumerGroupHarness()
        let result = h.send(cgJoin("a", assignor: "sticky"))
        #expect(result.reply == failed(.unsupportedAssignor))
        #expect(result.errorMessage == "ServerAssignor sticky is not supported. Supported assignors: uniform, range.")
        #expect(h.send(cgJoin("a", assignor: "range")).reply.error == .none)
        #expect(h.group.describe().assignorName == "range")
    }

    @Test func heartbeatsToAGroupThatDoesNotExistAreRejected() {
        var h = ConsumerGroupHarness()
        #expect(h.send(cgBeat("a", epoch: 1)).reply == failed(.groupIdNotFound))
        #expect(h.send(cgLeave("a")).reply == failed(.groupIdNotFound))
    }

    @Test func unknownMembersAndWrongEpochsAreFenced() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        #expect(h.send(cgBeat("zz", epoch: 1)).reply == failed(.unknownMemberId))
        #expect(h.send(cgBeat("zz", epoch: 1)).errorMessage == "Member zz is not a member of group g.")
        #expect(h.send(cgBeat("a", epoch: 2)).reply == failed(.fencedMemberEpoch))
        // A retried join (the first answer was lost) is the previous epoch with nothing owned: accepted.
        #expect(h.send(cgJoin("a")).reply == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
        _ = h.send(cgJoin("b"))
        _ = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]]))
        _ = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2]]))
        #expect(h.member("a")?.memberEpoch == 2 && h.member("a")?.previousMemberEpoch == 1)
        // Epoch 0 is now two epochs behind: fenced, the member must rejoin from scratch.
        #expect(h.send(cgJoin("a")).reply == failed(.fencedMemberEpoch))
    }

    @Test func groupMaxSizeRejectsNewMembersOnly() {
        var h = ConsumerGroupHarness(config: ConsumerGroupConfig(maxSize: 1))
        _ = h.send(cgJoin("a"))
        let full = h.send(cgJoin("b"))
        #expect(full.reply == failed(.groupMaxSizeReached))
        #expect(full.errorMessage == "The consumer group has reached its maximum capacity of 1 members.")
        #expect(h.send(cgBeat("a", epoch: 1)).reply == ok("a", 1))
    }

    @Test func leavingBumpsTheEpochAndEmptiesTheGroup() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        _ = h.send(cgJoin("b"))
        let left = h.send(cgLeave("b"))
        #expect(left.reply == ok("b", -1))
        #expect(left.heartbeatIntervalMs == 0)
        #expect(left.events.prefix(2) == [.memberLeft(memberId: "b"), .groupEpochBumped(to: 3)])
        #expect(h.state == .assigning)
        #expect(h.send(cgLeave("b")).reply == failed(.unknownMemberId))
        _ = h.send(cgLeave("a"))
        #expect(h.state == .empty && h.group.groupEpoch == 4 && h.group.exists)
        #expect(h.group.nextDeadline == nil)
    }

    @Test func subscriptionChangeBumpsTheGroupEpoch() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        #expect(h.send(cgBeat("a", epoch: 1, topics: ["orders"])).events.isEmpty)
        let changed = h.send(cgBeat("a", epoch: 1, owned: [ordersId: [0, 1, 2, 3, 4, 5]], topics: ["orders", "payments"]))
        #expect(changed.reply == ok("a", 2, [ordersId: [0, 1, 2, 3, 4, 5], paymentsId: [0, 1, 2]]))
        #expect(h.group.groupEpoch == 2)
    }

    @Test func describeShowsWhatConsumerGroupDescribeNeeds() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a", instance: "i-a"))
        _ = h.send(cgJoin("b", regex: "pay.*"))
        let description = h.group.describe()
        #expect(description.state == .reconciling && description.state.name == "Reconciling")
        #expect(description.groupEpoch == 2 && description.assignmentEpoch == 2 && description.assignorName == "uniform")
        #expect(description.members.map(\.memberId) == ["a", "b"])
        #expect(description.members[0].instanceId == "i-a" && description.members[0].memberEpoch == 1)
        #expect(description.members[1].subscribedTopicRegex == "pay.*")
        #expect(description.members[0].assignment == [ordersId: [0, 1, 2, 3, 4, 5]])
        #expect(description.members[0].targetAssignment.partitionCount + description.members[1].targetAssignment.partitionCount == 9)
    }

    @Test func deleteOnlyAnEmptyGroup() {
        var h = ConsumerGroupHarness()
        _ = h.send(cgJoin("a"))
        #expect(h.group.delete() == .nonEmptyGroup)
        _ = h.send(cgLeave("a"))
        #expect(h.group.delete() == .none)
        #expect(h.state == .dead && h.state.name == "Dead")
        #expect(h.send(cgBeat("a", epoch: 1)).reply == failed(.groupIdNotFound))
        #expect(h.send(cgJoin("a")).reply == ok("a", 1, [ordersId: [0, 1, 2, 3, 4, 5]]))
    }
}

import Testing
@testable import GregorCluster

@Suite struct IsrPolicyTests {
    let policy = IsrPolicy(replicaLagTimeMaxMs: 10_000)
    let anyone: (Int32) -> Bool = { _ in true }

    /// Leader 1 of replicas 1, 2, 3 with its log at 100.
    func view(isr: [Int32], maximalIsr: [Int32]? = nil, followers: [Int32: FollowerState], highWatermark: Int64 = 80,
              epochStart: Int64? = 50) -> LeaderView {
        LeaderView(leader: 1, replicas: [1, 2, 3], isr: isr, maximalIsr: maximalIsr, followers: followers, logEndOffset: 100,
                   highWatermark: highWatermark, leaderEpochStartOffset: epochStart)
    }

    @Test func followersBehindForLongerThanTheLagLimitLeaveTheIsr() {
        let followers: [Int32: FollowerState] = [
            2: FollowerState(logEndOffset: 90, lastCaughtUpTimeMs: 5_000),
            3: FollowerState(logEndOffset: 60, lastCaughtUpTimeMs: 1_000),
        ]
        #expect(policy.shrunkIsr(view(isr: [1, 2, 3], followers: followers), now: 10_999) == nil)
        #expect(policy.shrunkIsr(view(isr: [1, 2, 3], followers: followers), now: 11_001) == [1, 2])
        #expect(policy.shrunkIsr(view(isr: [1, 2, 3], followers: followers), now: 15_001) == [1])
    }

    @Test func aFollowerAtTheLeadersEndIsInSyncHoweverLongAgoItLastCaughtUp() {
        let followers: [Int32: FollowerState] = [2: FollowerState(logEndOffset: 100, lastCaughtUpTimeMs: 0)]
        #expect(policy.shrunkIsr(view(isr: [1, 2], followers: followers), now: 1_000_000) == nil)
        // A follower that has not fetched since this leadership began is out of sync.
        #expect(policy.shrunkIsr(view(isr: [1, 2, 3], followers: followers), now: 1_000_000) == [1, 2])
    }

    @Test func aFollowerJoinsOnceItReachesTheHighWatermarkAndTheEpochStart() {
        func joining(at end: Int64, highWatermark: Int64 = 80, epochStart: Int64? = 50) -> [Int32]? {
            policy.expandedIsr(view(isr: [1, 2], followers: [3: FollowerState(logEndOffset: end)], highWatermark: highWatermark,
                                    epochStart: epochStart), adding: 3, isEligible: anyone)
        }
        #expect(joining(at: 79) == nil)
        #expect(joining(at: 80) == [1, 2, 3])
        #expect(joining(at: 80, highWatermark: 40, epochStart: 90) == nil)
        #expect(joining(at: 95, highWatermark: 40, epochStart: 90) == [1, 2, 3])
        #expect(joining(at: 100, epochStart: nil) == nil)
    }

    @Test func onlyEligibleReplicasOutsideTheIsrJoin() {
        let followers: [Int32: FollowerState] = [2: FollowerState(logEndOffset: 100), 3: FollowerState(logEndOffset: 100)]
        #expect(policy.expandedIsr(view(isr: [1, 2], followers: followers), adding: 3, isEligible: { $0 != 3 }) == nil)
        #expect(policy.expandedIsr(view(isr: [1, 2], followers: followers), adding: 2, isEligible: anyone) == nil)
        #expect(policy.expandedIsr(view(isr: [1, 2], followers: followers), adding: 4, isEligible: anyone) == nil)
    }

    @Test func theHighWatermarkIsTheLowestEndInTheIsrAndNeverGoesBack() {
        let followers: [Int32: FollowerState] = [
            2: FollowerState(logEndOffset: 90, lastCaughtUpTimeMs: 0),
            3: FollowerState(logEndOffset: 10, lastCaughtUpTimeMs: 0),
        ]
        #expect(policy.highWatermark(view(isr: [1, 2], followers: followers), now: 50_000, minInsyncReplicas: 1, isEligible: anyone) == 90)
        #expect(policy.highWatermark(view(isr: [1, 2], followers: followers, highWatermark: 95), now: 50_000, minInsyncReplicas: 1,
                                     isEligible: anyone) == 95)
        // A follower whose addition awaits the controller already counts.
        #expect(policy.highWatermark(view(isr: [1, 2], maximalIsr: [1, 2, 3], followers: followers, highWatermark: 0), now: 50_000,
                                     minInsyncReplicas: 1, isEligible: anyone) == 10)
    }

    @Test func theHighWatermarkWaitsForACaughtUpFollowerAboutToJoin() {
        let followers: [Int32: FollowerState] = [
            2: FollowerState(logEndOffset: 100),
            3: FollowerState(logEndOffset: 70, lastCaughtUpTimeMs: 45_000),
        ]
        #expect(policy.highWatermark(view(isr: [1, 2], followers: followers, highWatermark: 0), now: 50_000, minInsyncReplicas: 1,
                                     isEligible: anyone) == 70)
        #expect(policy.highWatermark(view(isr: [1, 2], followers: followers, highWatermark: 0), now: 50_000, minInsyncReplicas: 1,
                                     isEligible: { $0 != 3 }) == 100)
        #expect(policy.highWatermark(view(isr: [1, 2], followers: followers, highWatermark: 0), now: 56_000, minInsyncReplicas: 1,
                                     isEligible: anyone) == 100)
    }

    @Test func theHighWatermarkHoldsWhileTheIsrIsBelowMinInsyncReplicas() {
        let followers: [Int32: FollowerState] = [2: FollowerState(logEndOffset: 100), 3: FollowerState(logEndOffset: 100)]
        #expect(policy.highWatermark(view(isr: [1], followers: followers), now: 0, minInsyncReplicas: 2, isEligible: { _ in false }) == 80)
        #expect(policy.highWatermark(view(isr: [1, 2], followers: followers), now: 0, minInsyncReplicas: 2, isEligible: anyone) == 100)
        // min.insync.replicas above the replica count is capped at it.
        #expect(policy.highWatermark(view(isr: [1, 2, 3], followers: followers), now: 0, minInsyncReplicas: 5, isEligible: anyone) == 100)
    }

    @Test func fetchesMoveTheLastCaughtUpTime() {
        var follower = FollowerState.atLeadership(inIsr: false, now: 1_000)
        #expect(follower.lastCaughtUpTimeMs == 0)
        // Behind the leader's end at 100: not caught up.
        follower.recordFetch(fetchOffset: 90, at: 2_000, leaderLogEndOffset: 100)
        #expect(follower.lastCaughtUpTimeMs == 0)
        // Past where the leader was at the previous fetch: caught up as of that fetch.
        follower.recordFetch(fetchOffset: 100, at: 3_000, leaderLogEndOffset: 120)
        #expect(follower.lastCaughtUpTimeMs == 2_000)
        // At the leader's end: caught up now.
        follower.recordFetch(fetchOffset: 120, at: 4_000, leaderLogEndOffset: 120)
        #expect(follower == FollowerState(logEndOffset: 120, lastCaughtUpTimeMs: 4_000, lastFetchTimeMs: 4_000, lastFetchLeaderLogEndOffset: 120))

        follower.resetForReelection(inIsr: false, now: 9_000, leaderLogEndOffset: 130)
        #expect(follower == FollowerState(logEndOffset: 120, lastCaughtUpTimeMs: 0, lastFetchTimeMs: 0, lastFetchLeaderLogEndOffset: 130))
        #expect(FollowerState.atLeadership(inIsr: true, now: 9_000).lastCaughtUpTimeMs == 9_000)
    }
}

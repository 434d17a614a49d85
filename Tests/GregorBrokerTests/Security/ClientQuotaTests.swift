import Testing

@testable import GregorBroker

/// Client quotas as Kafka measures and resolves them: the sampled rate and its throttle time
/// (Rate, SampledStat, QuotaUtils.throttleTime), and which quota applies to whom
/// (DefaultQuotaCallback).
struct ClientQuotaTests {
    @Test func aFreshRateCountsAllButOneWindowsSoAFirstBurstIsNotThrottled() {
        var rate = QuotaRate(samples: 11, windowMs: 1000)
        rate.record(1_000_000, now: 0)
        #expect(rate.windowSize(now: 0) == 10_000)
        #expect(rate.perSecond(now: 0) == 100_000)
        #expect(rate.throttleMs(bound: 100_000, now: 0) == 0)
        // Over the bound: X = (O - T) / T * W, with W = 10 assumed windows and the 0.5 s elapsed.
        rate.record(1_000_000, now: 500)
        #expect(rate.windowSize(now: 500) == 10_500)
        #expect(rate.throttleMs(bound: 100_000, now: 500) == 9500)
    }

    @Test func samplesOlderThanEveryWindowAreForgotten() {
        var rate = QuotaRate(samples: 3, windowMs: 1000)
        rate.record(3000, now: 0)
        rate.record(3000, now: 1000)
        #expect(rate.perSecond(now: 1500) == 2400)  // 6000 over 1.5 s, counted as 2.5 s (at least 2 windows)
        // At 3 s the first sample is as old as all windows together: it starts again, empty.
        #expect(rate.perSecond(now: 3000) == 1500)  // 3000 over the 2 s since the second
        #expect(rate.perSecond(now: 10_000) == 0)
    }

    @Test func aClientSendingAsFastAsAllowedIsHeldToTheQuota() {
        var rate = QuotaRate(samples: 11, windowMs: 1000)
        var sent = 0.0, next: Int64 = 0
        for now in stride(from: Int64(0), to: 120_000, by: 1) where now >= next {
            rate.record(64_000, now: now)
            sent += 64_000
            next = now + max(rate.throttleMs(bound: 200_000, now: now), 1)
        }
        let perSecond = sent / 120
        #expect(perSecond > 190_000 && perSecond < 220_000, "\(perSecond)")
    }

    @Test func theFirstQuotaInKafkasOrderAppliesAndDecidesWhoShares() async throws {
        let directory = "/tmp/gregor-quota-tests-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let quotas = try ClientQuotas(directory: directory, samples: 2, windowMs: 1000)
        try await quotas.alter([
            (QuotaEntity(clientId: .default), ["producer_byte_rate": 1000]),
            (QuotaEntity(user: .named("alice")), ["producer_byte_rate": 100]),
            (QuotaEntity(user: .named("alice"), clientId: .named("batch")), ["producer_byte_rate": 10_000]),
        ])
        // alice's clients share her quota, except "batch", which has its own.
        #expect(quotas.record(.produce, user: "alice", clientId: "a", value: 100, now: 0) == 0)
        #expect(quotas.record(.produce, user: "alice", clientId: "b", value: 100, now: 0) == 1000)
        #expect(quotas.record(.produce, user: "alice", clientId: "batch", value: 1000, now: 0) == 0)
        // Anyone else falls to the default client id's quota, one rate per client id.
        #expect(quotas.record(.produce, user: "bob", clientId: "x", value: 1000, now: 0) == 0)
        #expect(quotas.record(.produce, user: "carol", clientId: "y", value: 1000, now: 0) == 0)
        // A kind without any quota is never throttled.
        #expect(quotas.record(.fetch, user: "alice", clientId: "a", value: 1e9, now: 0) == 0)
        // Durable: read back as written; removing the last key drops the entity.
        try await quotas.alter([(QuotaEntity(user: .named("alice")), ["producer_byte_rate": nil])])
        let reopened = try ClientQuotas(directory: directory, samples: 2, windowMs: 1000)
        #expect(reopened.all.count == 2 && reopened.all[QuotaEntity(user: .named("alice"))] == nil)
    }
}

import Foundation

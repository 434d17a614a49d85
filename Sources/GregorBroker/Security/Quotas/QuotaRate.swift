// The rate a quota is measured with: Kafka's Rate over a SampledStat (KIP-13). `quota.window.num`
// samples of `quota.window.size.seconds` each; a sample is replaced once it is older than all of
// them together. The rate is the samples' sum over the time they span, counted as at least all
// but one full windows, so that a client's first second is not measured as a burst.

/// A sampled rate, with the time in milliseconds passed in.
struct QuotaRate: Sendable {
    let samples: Int
    let windowMs: Int64
    private var starts: [Int64] = []
    private var values: [Double] = []
    private var current = 0

    init(samples: Int, windowMs: Int64) {
        self.samples = max(samples, 2)
        self.windowMs = max(windowMs, 1)
    }

    /// SampledStat.record: a new sample once the current one has lasted a window.
    mutating func record(_ value: Double, now: Int64) {
        if starts.isEmpty {
            starts.append(now)
            values.append(0)
        }
        if now - starts[current] >= windowMs {
            current = (current + 1) % samples
            if current >= starts.count {
                starts.append(now)
                values.append(0)
            } else {
                starts[current] = now
                values[current] = 0
            }
        }
        values[current] += value
    }

    /// SampledStat.purgeObsoleteSamples: samples older than every window together start again.
    private mutating func purge(now: Int64) {
        let expireAge = Int64(samples) * windowMs
        for i in starts.indices where now - starts[i] >= expireAge {
            starts[i] = now
            values[i] = 0
        }
    }

    /// Rate.windowSize: the time the samples span, at least `samples - 1` full windows.
    mutating func windowSize(now: Int64) -> Int64 {
        purge(now: now)
        var elapsed = now - (starts.min() ?? now)
        let fullWindows = elapsed / windowMs
        let minimum = Int64(samples - 1)
        if fullWindows < minimum { elapsed += (minimum - fullWindows) * windowMs }
        return max(elapsed, 1)
    }

    /// The rate per second.
    mutating func perSecond(now: Int64) -> Double {
        let window = windowSize(now: now)
        return values.reduce(0, +) / (Double(window) / 1000)
    }

    /// QuotaUtils.throttleTime: how long the client must wait for the rate to come back to
    /// `bound` if nothing more is recorded, X = (O - T) / T * W; 0 within the quota.
    mutating func throttleMs(bound: Double, now: Int64) -> Int64 {
        let observed = perSecond(now: now)
        guard observed > bound, bound > 0 else { return 0 }
        return Int64(((observed - bound) / bound * Double(windowSize(now: now))).rounded())
    }
}

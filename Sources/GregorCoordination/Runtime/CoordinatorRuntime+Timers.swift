import KafkaProtocol
import Logging

extension CoordinatorRuntime {
    /// Points the slot's timer task at its earliest deadline; a task already waiting for that
    /// deadline is kept.
    func rearm(_ slot: Slot, _ state: inout Slot.State) {
        let next = state.timers.values.min()
        if next == state.timerTask?.deadline { return }
        state.timerTask?.task.cancel()
        guard let next, !state.unloaded else {
            state.timerTask = nil
            return
        }
        let id = nextTimerId.add(1, ordering: .relaxed).newValue
        let clock = self.clock
        state.timerTask = (id, next, Task(executorPreference: executor) { [weak self] in
            do {
                try await clock.sleep(until: next)
            } catch {
                return
            }
            self?.fireTimers(slot, id)
        })
    }

    /// Runs every timer of the slot that is due, earliest first, each as a write. A timer whose
    /// records cannot be written runs again after ``timerRetryMs``.
    func fireTimers(_ slot: Slot, _ id: UInt64) {
        let events = slot.state.withLock { state -> [Shard.Event] in
            if state.timerTask?.id == id { state.timerTask = nil }
            guard !state.unloaded, !state.loading else { return [] }
            let now = clock.now()
            var events: [Shard.Event] = []
            let due = state.timers.filter { $0.value <= now }.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
            for (key, _) in due {
                state.timers[key] = nil
                let result = state.shard.timerFired(key, now: now)
                do throws(CoordinatorError) {
                    try commit(result, slot.partition, &state, now: now)
                    events += result.events
                } catch {
                    logger.warning("coordinator timer failed; retrying", metadata: [
                        "partition": "\(slot.partition)", "timer": "\(key)", "error": "\(error)",
                    ])
                    if result.deliverEventsIfWriteFails {
                        // The shard moved on in memory: its timers follow it, not the retry.
                        Self.apply(result.timers, to: &state.timers)
                        events += result.events
                    } else {
                        state.timers[key] = state.timers[key] ?? now + Self.timerRetryMs
                    }
                }
            }
            rearm(slot, &state)
            return events
        }
        if !events.isEmpty { deliver(events) }
    }

    /// Returns once every timer due by the clock's current time has run (tests move a manual
    /// clock, then settle, then look).
    public func settle() async {
        while true {
            let due = slots.withLock { Array($0.values) }.compactMap { slot in
                slot.state.withLock { state in
                    state.timerTask.flatMap { $0.deadline <= clock.now() ? $0.task : nil }
                }
            }
            guard !due.isEmpty else { return }
            for task in due { await task.value }
        }
    }

    /// When the partition's timer task wakes next (tests).
    public func nextTimerDeadline(_ partition: Int32) -> Int64? {
        slots.withLock { $0[partition] }?.state.withLock { $0.timerTask?.deadline }
    }
}

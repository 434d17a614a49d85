extension GroupCoordinator {
    /// Points the one timer task at the earliest deadline of any group; called after every event.
    /// A task already waiting for that deadline is kept; otherwise it is replaced.
    func rearmTimer() {
        let next = [
            groups.values.lazy.compactMap(\.nextDeadline).min(),
            consumerGroups.values.lazy.compactMap(\.nextDeadline).min(),
        ].compactMap { $0 }.min()
        if next == timer?.deadline { return }
        timer?.task.cancel()
        guard let next else {
            timer = nil
            return
        }
        lastTimerId += 1
        let id = lastTimerId
        let clock = self.clock
        timer = (id, next, Task { [weak self] in
            do {
                try await clock.sleep(until: next)
            } catch {
                return
            }
            await self?.fireTimers(id)
        })
    }

    /// Ticks every group with a deadline that has passed, answers what the ticks decided, re-arms.
    func fireTimers(_ id: UInt64) {
        if timer?.id == id { timer = nil }
        let now = clock.now()
        for groupId in Array(groups.keys) {
            guard let deadline = groups[groupId]?.nextDeadline, deadline <= now else { continue }
            let actions = groups[groupId]!.tick(now: now)
            persistMetadata(of: groupId)
            perform(actions)
        }
        for groupId in Array(consumerGroups.keys) {
            guard let deadline = consumerGroups[groupId]?.nextDeadline, deadline <= now else { continue }
            // Fencing answers no request: the fenced member learns it on its next heartbeat.
            _ = consumerGroups[groupId]!.tick(now: now)
        }
        rearmTimer()
    }

    /// Returns once every timer due by the clock's current time has fired (tests move a manual
    /// clock, then settle, then look).
    public func settle() async {
        while let timer, timer.deadline <= clock.now() {
            await timer.task.value
        }
    }

    /// When the timer task wakes next (tests).
    public var nextTimerDeadline: Int64? { timer?.deadline }
}

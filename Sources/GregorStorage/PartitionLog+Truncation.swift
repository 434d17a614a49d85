extension PartitionLog {
    /// Removes every record at or after `offset` (`UnifiedLog.truncateTo`): a follower cuts its
    /// log where OffsetForLeaderEpoch says it diverges from the leader's (KIP-101, KIP-279).
    /// Later segments go with their indexes; the one holding `offset` is cut at a batch boundary,
    /// dropping the batch that holds `offset` whole (`LogSegment.truncateTo`), so the log end may
    /// end up below `offset` when it falls inside a batch (a follower's never does: it copied the
    /// leader's batches). The epoch cache loses the epochs starting at the new end; the high
    /// watermark, recovery point and log start come down to it; producer state is rebuilt from
    /// the newest snapshot at or below it (later ones are deleted) and the batches after that
    /// snapshot, so a truncated sequence is accepted again. Below the first segment, the log
    /// starts over at `offset` (``truncateFullyAndStartAt(_:now:)``). Returns
    /// whether anything was removed; at or past the log end only epochs starting there go, as
    /// Kafka drops an epoch a leader assigned but never wrote in.
    @discardableResult
    public func truncate(to offset: Int64, now: Int64) throws(StorageError) -> Bool {
        try state.withLock { (s: inout State) throws(StorageError) -> Bool in
            guard !s.closed else { throw StorageError(.closed, path: directory) }
            guard offset >= 0 else { throw StorageError(.invalid("cannot truncate to the negative offset \(offset)"), path: directory) }
            guard offset < s.logEndOffset else {
                let end = s.logEndOffset
                try Self.updateEpochs(&s, directory: directory) { $0.truncateFromEnd(end) }
                return false
            }
            if s.segments[0].baseOffset > offset {
                try truncateFully(&s, startingAt: offset, now: now)
                return true
            }
            while s.segments.count > 1, s.active.baseOffset > offset {
                try s.active.delete()
                s.segments.removeLast()
            }
            try s.active.truncate(to: offset)
            let end = s.logEndOffset
            try Self.updateEpochs(&s, directory: directory) { $0.truncateFromEnd(end) }
            s.logStartOffset = min(s.logStartOffset, end)
            s.recoveryPoint = min(s.recoveryPoint, end)
            Self.setHighWatermark(&s, min(s.highWatermark, end))
            _ = try Self.loadProducerState(&s, directory: directory)
            return true
        }
    }

    /// Empties the log and starts it over at `offset` (`UnifiedLog.truncateFullyAndStartAt`): a
    /// follower whose log end is below the leader's log start, or whose first fetched batch
    /// starts below its log end while its log is empty (the leader's log start fell inside a
    /// batch). Every segment and producer snapshot goes, the epoch cache is emptied, and the log
    /// start, high watermark and recovery point move to `offset`.
    public func truncateFullyAndStartAt(_ offset: Int64, now: Int64) throws(StorageError) {
        try state.withLock { (s: inout State) throws(StorageError) in
            guard !s.closed else { throw StorageError(.closed, path: directory) }
            guard offset >= 0 else { throw StorageError(.invalid("cannot start the log at the negative offset \(offset)"), path: directory) }
            try truncateFully(&s, startingAt: offset, now: now)
        }
    }

    func truncateFully(_ s: inout State, startingAt offset: Int64, now: Int64) throws(StorageError) {
        for segment in s.segments { try segment.delete() }
        s.segments = [try Segment.create(directory: directory, baseOffset: offset, config: s.config, cache: cache, now: now)]
        try Self.updateEpochs(&s, directory: directory) { epochs in
            let had = !epochs.isEmpty
            epochs.clear()
            return had
        }
        for snapshot in try ProducerStateSnapshot.offsets(in: directory) { try FS.remove(ProducerStateSnapshot.path(directory, snapshot)) }
        s.producers = ProducerStates()
        s.logStartOffset = offset
        s.recoveryPoint = offset
        s.unflushedMessages = 0
        Self.setHighWatermark(&s, offset)
    }
}

import KafkaProtocol
import Logging

extension PartitionLog {
    /// The epoch of the last leader that wrote to this log, or that was elected at its end; nil
    /// when none is known (`UnifiedLog.latestEpoch`).
    public var latestEpoch: Int32? { state.withLock { $0.epochs.latestEpoch } }

    /// The leader epochs and where each starts, oldest first (`leader-epoch-checkpoint`).
    public var leaderEpochEntries: [EpochEntry] { state.withLock { $0.epochs.entries } }

    /// Where `epoch` ends in this log, with the largest epoch at most `epoch`, for
    /// OffsetForLeaderEpoch (`UnifiedLog.endOffsetForEpoch` over `LeaderEpochFileCache.endOffsetFor`):
    /// the latest epoch ends at the log end offset. (-1, -1) when undefined, which Kafka's
    /// `Partition.lastOffsetForLeaderEpoch` answers as is, with no error.
    public func endOffset(forEpoch epoch: Int32) -> (epoch: Int32, endOffset: Int64) {
        state.withLock { s in s.epochs.endOffset(for: epoch, logEndOffset: s.logEndOffset) }
    }

    /// The leader epoch that wrote `offset` (a ListOffsets answer carries it, KIP-320); nil
    /// before the first known epoch.
    public func leaderEpoch(forOffset offset: Int64) -> Int32? {
        state.withLock { $0.epochs.epoch(forOffset: offset) }
    }

    /// Records that `leaderEpoch` starts at `startOffset` (`UnifiedLog.maybeAssignEpochStartOffset`).
    /// A broker becoming leader calls it with its log end offset (`Partition.makeLeader`), so
    /// followers asking where the previous epoch ended learn it before the new leader writes.
    public func assignEpochStartOffset(leaderEpoch: Int32, startOffset: Int64) throws(StorageError) {
        try state.withLock { (s: inout State) throws(StorageError) in
            guard !s.closed else { throw StorageError(.closed, path: directory) }
            try Self.updateEpochs(&s, directory: directory) { $0.assign(epoch: leaderEpoch, startOffset: startOffset) }
        }
    }

    /// Applies `change` to the epoch cache and, when it changed anything, writes the checkpoint
    /// before the cache is kept. Kafka writes assignments at once and truncations in the
    /// background; here every change is written at once (truncations are rare), so the file never
    /// holds an entry the log has lost, except past a torn tail, which loading trims.
    static func updateEpochs(_ s: inout State, directory: String, _ change: (inout LeaderEpochCache) -> Bool) throws(StorageError) {
        var epochs = s.epochs
        guard change(&epochs) else { return }
        try LeaderEpochCheckpoint.write(epochs.entries, directory: directory)
        s.epochs = epochs
    }

    /// Loads the epoch cache at open (`LogLoader`): the checkpoint, plus any newer epoch in the
    /// batches of the segments just recovered (`LogSegment.recover`), trimmed to the log's
    /// offsets, since a torn tail or a moved log start may have outrun the file.
    ///
    /// Without a readable file, or with an empty one beside batches, the cache is rebuilt from
    /// every segment instead. Kafka rebuilds only the recovered part, as its older logs may
    /// predate leader epochs (message format v0/v1); every Gregor batch carries one (epoch 0 for
    /// a broker that was the only replica), so the log is the whole truth and reading it is cheap:
    /// a segment whose first and last batches share an epoch is one epoch, and only a segment
    /// where the epoch changed is walked batch by batch.
    static func loadLeaderEpochs(_ s: inout State, directory: String, recovered: Set<Int64>, logger: Logger) throws(StorageError) {
        var stored: [EpochEntry]?
        do {
            stored = try LeaderEpochCheckpoint.read(directory: directory)
        } catch {
            logger.warning("unreadable leader epoch checkpoint; rebuilding it from the log", metadata: ["error": "\(error)"])
        }
        let hasBatches = s.segments.contains { $0.size > 0 }
        let rebuild = stored == nil || (stored!.isEmpty && hasBatches)
        var epochs = LeaderEpochCache(rebuild ? [] : stored!)
        for segment in s.segments where rebuild || recovered.contains(segment.baseOffset) {
            for entry in try segment.epochStarts() where entry.epoch > (epochs.latestEpoch ?? -1) {
                epochs.assign(epoch: entry.epoch, startOffset: entry.startOffset)
            }
        }
        epochs.truncateFromEnd(s.logEndOffset)
        epochs.truncateFromStart(s.logStartOffset)
        if epochs.entries != stored {
            if rebuild && hasBatches { logger.info("rebuilt the leader epoch cache from the log", metadata: ["entries": "\(epochs.entries.count)"]) }
            try LeaderEpochCheckpoint.write(epochs.entries, directory: directory)
        }
        s.epochs = epochs
    }
}

extension Segment {
    /// The first batch of each leader epoch in this segment, for the epoch cache. Two batch
    /// headers answer for a segment written in one epoch; only a segment whose first and last
    /// batches differ is walked header by header. Batches without an epoch (-1) are skipped.
    func epochStarts() throws(StorageError) -> [EpochEntry] {
        let file = try log.open()
        guard let first = try BatchHeader.read(file, at: 0, fileSize: size) else { return [] }
        if let (_, last) = try locate(nextOffset - 1), last.partitionLeaderEpoch == first.partitionLeaderEpoch {
            return first.partitionLeaderEpoch >= 0 ? [EpochEntry(epoch: first.partitionLeaderEpoch, startOffset: first.baseOffset)] : []
        }
        var starts: [EpochEntry] = []
        var position: Int64 = 0
        while let h = try BatchHeader.read(file, at: position, fileSize: size), position + h.size <= size {
            if h.partitionLeaderEpoch >= 0, h.partitionLeaderEpoch != starts.last?.epoch {
                starts.append(EpochEntry(epoch: h.partitionLeaderEpoch, startOffset: h.baseOffset))
            }
            position += h.size
        }
        return starts
    }
}

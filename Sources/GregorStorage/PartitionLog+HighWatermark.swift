/// Who moves a partition's high watermark, the offset below which records are committed and
/// visible to consumers.
public enum HighWatermarkMode: Hashable, Sendable {
    /// The broker is the only replica: every append is committed at once, as a Kafka leader
    /// whose in-sync replica set is itself alone. The high watermark is the log end offset.
    case logEnd
    /// Replication moves it: a leader as its in-sync followers catch up
    /// (``PartitionLog/maybeIncrementHighWatermark(_:)``), a follower to the leader's
    /// (``PartitionLog/updateHighWatermark(_:)``). Appends leave it where it is, and a restart
    /// takes it from `replication-offset-checkpoint`.
    case replicated
}

extension PartitionLog {
    public var highWatermarkMode: HighWatermarkMode { state.withLock { $0.highWatermarkMode } }

    /// Changes who moves the high watermark; `.logEnd` commits the whole log at once.
    public func setHighWatermarkMode(_ mode: HighWatermarkMode) {
        state.withLock { s in
            s.highWatermarkMode = mode
            if mode == .logEnd { Self.setHighWatermark(&s, s.logEndOffset) }
        }
    }

    /// Sets the high watermark, bounded by the log start and end offsets, even backwards
    /// (`UnifiedLog.updateHighWatermark`): a follower takes the leader's, which may be past its
    /// own log end; a new leader starts from its checkpointed one. Returns the value set.
    @discardableResult
    public func updateHighWatermark(_ offset: Int64) -> Int64 {
        state.withLock { s in
            let bounded = min(max(offset, s.logStartOffset), s.logEndOffset)
            Self.setHighWatermark(&s, bounded)
            return bounded
        }
    }

    /// Moves a leader's high watermark forward to `offset`, never backwards
    /// (`UnifiedLog.maybeIncrementHighWatermark`: the in-sync replicas all reached it). An
    /// offset past the log end is refused. Returns the previous high watermark when it moved.
    @discardableResult
    public func maybeIncrementHighWatermark(_ offset: Int64) throws(StorageError) -> Int64? {
        try state.withLock { (s: inout State) throws(StorageError) -> Int64? in
            guard offset <= s.logEndOffset else {
                throw StorageError(.invalid("high watermark \(offset) past the log end offset \(s.logEndOffset)"), path: directory)
            }
            guard offset > s.highWatermark else { return nil }
            let previous = s.highWatermark
            Self.setHighWatermark(&s, offset)
            return previous
        }
    }

    /// Every change of the high watermark goes through here: transactions whose marker it
    /// passed become stable (`ProducerStateManager.onHighWatermarkUpdated`).
    static func setHighWatermark(_ s: inout State, _ offset: Int64) {
        s.highWatermark = offset
        s.producers.onHighWatermarkUpdated(offset)
    }
}

/// The first offset a leader epoch wrote (Kafka's `EpochEntry`).
public struct EpochEntry: Hashable, Sendable, CustomStringConvertible {
    public var epoch: Int32
    public var startOffset: Int64

    public init(epoch: Int32, startOffset: Int64) {
        self.epoch = epoch
        self.startOffset = startOffset
    }

    public var description: String { "EpochEntry(epoch=\(epoch), startOffset=\(startOffset))" }
}

/// Which leader epoch wrote which offsets of a replica's log, as Kafka's `LeaderEpochFileCache`
/// (KIP-101, KIP-279): a follower asks the leader where the epoch of its last batch ends
/// (OffsetForLeaderEpoch) and truncates there, instead of to its high watermark, which can lose
/// committed records or leave replicas diverged. Both epochs and start offsets strictly increase.
/// A value: ``PartitionLog`` keeps it under its lock and writes `leader-epoch-checkpoint`
/// after each change (``LeaderEpochCheckpoint``).
public struct LeaderEpochCache: Hashable, Sendable {
    /// `OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH`.
    public static let undefinedEpoch: Int32 = -1
    /// `OffsetsForLeaderEpochResponse.UNDEFINED_EPOCH_OFFSET`.
    public static let undefinedEpochOffset: Int64 = -1

    /// Oldest first.
    public private(set) var entries: [EpochEntry] = []

    /// A cache holding `entries` as ``assign(epoch:startOffset:)`` leaves them, one after the
    /// other (Kafka's constructor assigns each entry of the checkpoint file the same way).
    public init(_ entries: [EpochEntry] = []) {
        for e in entries { assign(epoch: e.epoch, startOffset: e.startOffset) }
    }

    public var latestEntry: EpochEntry? { entries.last }
    public var earliestEntry: EpochEntry? { entries.first }
    /// The epoch of the current leader's writes (the last assigned); nil when empty.
    public var latestEpoch: Int32? { entries.last?.epoch }
    public var isEmpty: Bool { entries.isEmpty }

    /// Records that `epoch` starts at `startOffset`. Nothing changes for the latest epoch at the
    /// same or a later offset (a leader's next batches). Otherwise entries of an epoch at least
    /// `epoch`, or starting at or after `startOffset`, are dropped first so both orders hold:
    /// an older epoch or an earlier offset replaces what conflicts with it (`maybeTruncateNonMonotonicEntries`).
    /// A negative epoch or offset is ignored (Kafka throws; its callers never pass one, and
    /// batches without a leader epoch are skipped before they get here). Returns whether the
    /// cache changed.
    @discardableResult
    public mutating func assign(epoch: Int32, startOffset: Int64) -> Bool {
        guard epoch >= 0, startOffset >= 0 else { return false }
        if let latest = entries.last, latest.epoch == epoch, startOffset >= latest.startOffset { return false }
        while let last = entries.last, last.epoch >= epoch || last.startOffset >= startOffset { entries.removeLast() }
        entries.append(EpochEntry(epoch: epoch, startOffset: startOffset))
        return true
    }

    /// Drops the entries starting at or after `endOffset` (the log was truncated there). A
    /// negative offset drops nothing. Returns whether the cache changed.
    @discardableResult
    public mutating func truncateFromEnd(_ endOffset: Int64) -> Bool {
        guard endOffset >= 0, let last = entries.last, last.startOffset >= endOffset else { return false }
        while let last = entries.last, last.startOffset >= endOffset { entries.removeLast() }
        return true
    }

    /// The log now starts at `startOffset`: the epoch covering it starts there, earlier ones
    /// go. Exclusive: an entry starting exactly there stays as it is. Returns whether the cache
    /// changed.
    @discardableResult
    public mutating func truncateFromStart(_ startOffset: Int64) -> Bool {
        guard let covering = entries.lastIndex(where: { $0.startOffset <= startOffset }) else { return false }
        let epoch = entries[covering].epoch
        let before = entries
        entries.removeFirst(covering + 1)
        entries.insert(EpochEntry(epoch: epoch, startOffset: startOffset), at: 0)
        return entries != before
    }

    /// Forgets every epoch (`clearAndFlush`: the log was emptied and restarts elsewhere).
    public mutating func clear() { entries = [] }

    /// The epoch that wrote `offset`: the last starting at or before it; nil before the first.
    public func epoch(forOffset offset: Int64) -> Int32? {
        entries.last { $0.startOffset <= offset }?.epoch
    }

    /// Kafka's `endOffsetFor`: the largest epoch at most `requestedEpoch` and where it ends, the
    /// start of the next higher epoch, or `logEndOffset` for the latest epoch. Undefined (-1, -1)
    /// for the undefined epoch, an empty cache or an epoch above the latest. An epoch below the
    /// first known answers itself with the first epoch's start offset: the older epochs' data is
    /// gone, and the follower then truncates to where the leader's log starts.
    public func endOffset(for requestedEpoch: Int32, logEndOffset: Int64) -> (epoch: Int32, endOffset: Int64) {
        let undefined = (Self.undefinedEpoch, Self.undefinedEpochOffset)
        guard requestedEpoch != Self.undefinedEpoch else { return undefined }
        if let latest = latestEpoch, latest == requestedEpoch { return (requestedEpoch, logEndOffset) }
        guard let higher = entries.first(where: { $0.epoch > requestedEpoch }) else { return undefined }
        guard let floor = entries.last(where: { $0.epoch <= requestedEpoch }) else { return (requestedEpoch, higher.startOffset) }
        return (floor.epoch, higher.startOffset)
    }
}

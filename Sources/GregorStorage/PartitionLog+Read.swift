import KafkaProtocol
import NIOCore

/// What a fetch gets: a file region of whole batches and the partition's offsets.
public struct ReadResult: Sendable {
    public var region: LogRegion?
    public var highWatermark: Int64
    public var logStartOffset: Int64
    public var logEndOffset: Int64
    /// Where READ_COMMITTED reads stop (KIP-98).
    public var lastStableOffset: Int64
    /// For a READ_COMMITTED read: the aborted transactions overlapping what was read.
    public var abortedTransactions: [AbortedTransaction]?
}

extension PartitionLog {
    /// Whole batches starting with the one that holds `offset`, up to `maxBytes` but at least one
    /// batch, and nothing at or past `maxOffset` (the high watermark unless given). Offsets below
    /// the log start or above the log end are OFFSET_OUT_OF_RANGE. With `readCommitted` nothing
    /// at or past the last stable offset is read, and the aborted transactions come along.
    public func read(from offset: Int64, maxBytes: Int, maxOffset: Int64? = nil, readCommitted: Bool = false)
        throws(StorageError) -> ReadResult
    {
        try state.withLock { (s: inout State) throws(StorageError) -> ReadResult in
            guard !s.closed else { throw StorageError(.closed, path: directory) }
            let lso = s.lastStableOffset
            var result = ReadResult(
                region: nil, highWatermark: s.highWatermark, logStartOffset: s.logStartOffset, logEndOffset: s.logEndOffset,
                lastStableOffset: lso, abortedTransactions: readCommitted ? [] : nil)
            guard offset >= s.logStartOffset, offset <= s.logEndOffset else {
                throw StorageError(.offsetOutOfRange(requested: offset, logStart: s.logStartOffset, logEnd: s.logEndOffset))
            }
            let limit = min(maxOffset ?? s.highWatermark, s.logEndOffset, readCommitted ? lso : Int64.max)
            guard offset < limit else { return result }
            if readCommitted { result.abortedTransactions = Self.abortedTransactions(s, from: offset, upTo: limit) }
            var i = s.segmentIndex(for: offset)
            while i < s.segments.count {
                if let region = try s.segments[i].read(from: offset, maxBytes: maxBytes, maxOffset: limit) {
                    result.region = region
                    break
                }
                i += 1
            }
            return result
        }
    }

    /// ListOffsets by timestamp: the first offset whose timestamp is at least `timestamp`, with
    /// that timestamp; nil when no record is that recent.
    public func offset(forTimestamp timestamp: Int64) throws(StorageError) -> (offset: Int64, timestamp: Int64)? {
        try state.withLock { (s: inout State) throws(StorageError) -> (offset: Int64, timestamp: Int64)? in
            for seg in s.segments where seg.nextOffset > s.logStartOffset {
                if let found = try seg.offset(forTimestamp: timestamp, from: s.logStartOffset), found.offset < s.highWatermark {
                    return found
                }
            }
            return nil
        }
    }

    /// ListOffsets MAX_TIMESTAMP (KIP-734): the first record with the largest timestamp. The
    /// segment knows the batch; the record inside it is found by reading that batch, as Kafka
    /// does since KAFKA-16310 (before, it answered the batch's last offset).
    public var maxTimestampAndOffset: (timestamp: Int64, offset: Int64)? {
        state.withLock { s in
            var best: (timestamp: Int64, offset: Int64, segment: Segment)?
            for seg in s.segments where seg.maxTimestamp >= 0 && seg.offsetOfMaxTimestamp >= s.logStartOffset {
                if best == nil || seg.maxTimestamp > best!.timestamp { best = (seg.maxTimestamp, seg.offsetOfMaxTimestamp, seg) }
            }
            guard let best else { return nil }
            guard let exact = try? best.segment.offset(forTimestamp: best.timestamp, from: s.logStartOffset) else { return nil }
            return (best.timestamp, exact.offset)
        }
    }
}

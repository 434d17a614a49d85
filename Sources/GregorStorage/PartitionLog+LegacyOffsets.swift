extension PartitionLog {
    /// ListOffsets v0's answer, as Kafka up to 3.9 gave it (`legacyFetchOffsetsBefore`; Kafka 4
    /// removed v0, KIP-896): the offsets at which segments begin, with the log end offset as a last
    /// "segment" stamped `now` when the active segment holds data. -1 (latest) starts from the
    /// newest, -2 (earliest) from the oldest, any other timestamp from the newest segment last
    /// modified at or before it; from there up to `maxNumOffsets` offsets, newest first. A
    /// consumer never sees past the high watermark: offsets above it give way to it.
    public func legacyOffsets(before timestamp: Int64, maxNumOffsets: Int32, now: Int64, fromConsumer: Bool = true) -> [Int64] {
        state.withLock { s -> [Int64] in
            var points = s.segments.map { seg in
                (offset: max(seg.baseOffset, s.logStartOffset), modified: FS.mtimeMs(seg.log.path) ?? now)
            }
            if s.active.size > 0 { points.append((s.logEndOffset, now)) }
            var start: Int
            switch timestamp {
            case -1: start = points.count - 1
            case -2: start = 0
            default: start = points.lastIndex { $0.modified <= timestamp } ?? -1
            }
            var offsets: [Int64] = []
            while start >= 0 && offsets.count < Int(max(0, maxNumOffsets)) {
                offsets.append(points[start].offset)
                start -= 1
            }
            offsets.sort(by: >)
            guard fromConsumer, offsets.contains(where: { $0 > s.highWatermark }) else { return offsets }
            return [s.highWatermark] + offsets.drop { $0 > s.highWatermark }
        }
    }
}

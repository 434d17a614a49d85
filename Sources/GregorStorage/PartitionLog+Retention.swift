import KafkaProtocol

extension PartitionLog {
    /// Deletes whole segments past `retention.ms` or beyond `retention.bytes`, and those wholly
    /// below the log start offset, oldest first, never past the high watermark. An expired active
    /// segment is rolled first, as Kafka does, so an idle topic still ages out. Returns the
    /// number of segments deleted.
    @discardableResult
    public func applyRetention(now: Int64) throws(StorageError) -> Int {
        let (deleted, due) = try withLockTakingFlush { (s: inout State) throws(StorageError) -> Int in
            guard !s.closed else { return 0 }
            var deleted = 0
            func expired(_ seg: Segment) -> Bool {
                guard s.config.cleanupPolicy.contains(.delete), s.config.retentionMs >= 0 else { return false }
                let newest = seg.maxTimestamp >= 0 ? seg.maxTimestamp : (FS.mtimeMs(seg.log.path) ?? now)
                return now - newest > s.config.retentionMs
            }
            if s.active.size > 0, s.active.nextOffset <= s.highWatermark, s.segments.allSatisfy(expired) {
                try roll(&s, now: now)
            }
            var total = s.size
            while s.segments.count > 1 {
                let oldest = s.segments[0]
                guard oldest.nextOffset <= s.highWatermark else { break }
                let belowStart = oldest.nextOffset <= s.logStartOffset
                let tooBig = s.config.cleanupPolicy.contains(.delete) && s.config.retentionBytes >= 0
                    && total - oldest.size >= s.config.retentionBytes
                guard belowStart || tooBig || expired(oldest) else { break }
                try oldest.delete()
                s.segments.removeFirst()
                total -= oldest.size
                deleted += 1
            }
            s.logStartOffset = max(s.logStartOffset, s.segments[0].baseOffset)
            try logStartMoved(&s)
            if deleted > 0 {
                logger.info("deleted \(deleted) segment(s) by retention", metadata: ["partition": "\(topicPartition)", "logStartOffset": "\(s.logStartOffset)"])
            }
            return deleted
        }
        try flush(due)
        return deleted
    }

    /// DeleteRecords: moves the log start offset forward (not past the high watermark); the
    /// segments below it go at the next retention pass. Returns the new log start offset.
    @discardableResult
    public func deleteRecords(before offset: Int64) throws(StorageError) -> Int64 {
        try state.withLock { (s: inout State) throws(StorageError) -> Int64 in
            guard !s.closed else { throw StorageError(.closed, path: directory) }
            guard offset <= s.highWatermark, offset >= 0 else {
                throw StorageError(.offsetOutOfRange(requested: offset, logStart: s.logStartOffset, logEnd: s.highWatermark))
            }
            s.logStartOffset = max(s.logStartOffset, offset)
            try logStartMoved(&s)
            return s.logStartOffset
        }
    }

    /// What follows a move of the log start (`UnifiedLog.maybeIncrementLogStartOffset`): the
    /// epoch covering it now starts there, and transactions whose marker is gone are forgotten.
    func logStartMoved(_ s: inout State) throws(StorageError) {
        let start = s.logStartOffset
        try Self.updateEpochs(&s, directory: directory) { $0.truncateFromStart(start) }
        s.producers.onLogStartOffsetIncremented(start)
    }
}

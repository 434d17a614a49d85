import KafkaProtocol
import NIOCore

extension Segment {
    /// The position and header of the batch holding `offset` (or the first batch after it), found
    /// from the sparse index and a short scan of batch headers; nil past the end.
    func locate(_ offset: Int64) throws(StorageError) -> (position: Int64, header: BatchHeader)? {
        let file = try log.open()
        var position = try offsetIndex.floor(offset)?.value ?? 0
        // The index maps a batch's last offset to its start: that batch may end before `offset`.
        while let h = try BatchHeader.read(file, at: position, fileSize: size) {
            if h.lastOffset >= offset { return (position, h) }
            position += h.size
        }
        return nil
    }

    /// Whole batches from the one holding `offset`, up to `maxBytes` (at least one batch, as
    /// Kafka returns one oversized batch so a consumer can always progress), none at or past
    /// `maxOffset` (the high watermark).
    func read(from offset: Int64, maxBytes: Int, maxOffset: Int64) throws(StorageError) -> LogRegion? {
        guard let (start, first) = try locate(offset), first.baseOffset < maxOffset else { return nil }
        let file = try log.open()
        var end = start + first.size
        // The offset index vouches for every batch before an indexed one (whose last offset it
        // holds): jump to the furthest indexed batch within `maxBytes` and below `maxOffset`,
        // and read headers only from there, not one per batch of a 1 MiB fetch.
        if end - start < Int64(maxBytes), let jump = try offsetIndex.floor(value: start + Int64(maxBytes)),
           jump.value > end, jump.key < maxOffset
        {
            end = jump.value
        }
        while end - start < Int64(maxBytes), let h = try BatchHeader.read(file, at: end, fileSize: size),
            h.lastOffset < maxOffset, end + h.size - start <= Int64(maxBytes)
        {
            end += h.size
        }
        return LogRegion(file: file, position: start, length: Int(end - start))
    }

    /// The first offset whose record timestamp is at least `timestamp`, with that timestamp.
    func offset(forTimestamp timestamp: Int64, from startOffset: Int64) throws(StorageError) -> (offset: Int64, timestamp: Int64)? {
        guard maxTimestamp >= timestamp else { return nil }
        let file = try log.open()
        let hint = try timeIndex.floor(timestamp)?.value ?? baseOffset
        var position = try locate(max(hint, startOffset))?.position ?? 0
        while let h = try BatchHeader.read(file, at: position, fileSize: size) {
            defer { position += h.size }
            guard h.maxTimestamp >= timestamp else { continue }
            let batch: RecordBatch
            do { batch = try RecordBatch(file.read(at: position, length: Int(h.size))) } catch {
                throw StorageError(.corruptRecord("\(error)"), path: log.path)
            }
            do {
                var records = try batch.makeRecordIterator()
                while let r = try records.next() {
                    if r.offset >= startOffset && r.timestamp >= timestamp { return (r.offset, r.timestamp) }
                }
            } catch {
                throw StorageError(.corruptRecord("\(error)"), path: log.path)
            }
        }
        return nil
    }

    /// Drops every batch at or after `offset`; returns whether anything was removed.
    @discardableResult
    func truncate(to offset: Int64) throws(StorageError) -> Bool {
        guard offset < nextOffset else { return false }
        // As Kafka's LogSegment.truncateTo: the batch holding `offset` goes whole.
        let cut = try locate(offset)?.position ?? size
        try log.open().truncate(to: cut)
        try offsetIndex.truncate { key, value in value >= cut || key >= offset }
        try timeIndex.truncate { _, value in value >= offset }
        try txnIndex.reset(to: txnIndex.entries.filter { $0.lastOffset < offset })
        size = cut
        // Recompute the tail's next offset and largest timestamp.
        try resetTail()
        return true
    }
}

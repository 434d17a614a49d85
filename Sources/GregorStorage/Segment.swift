import KafkaProtocol
import NIOCore

/// The header fields of a stored batch that the log needs without reading the records.
struct BatchHeader {
    var baseOffset: Int64
    /// Bytes of the whole batch, including the 12-byte offset and length prefix.
    var size: Int64
    var lastOffset: Int64
    var maxTimestamp: Int64
    var magic: Int8
    /// The epoch of the leader that wrote the batch; -1 when none was stamped.
    var partitionLeaderEpoch: Int32 = -1

    /// Reads the header at `position`; nil when fewer bytes than a whole batch header remain.
    static func read(_ file: OpenFile, at position: Int64, fileSize: Int64) throws(StorageError) -> BatchHeader? {
        guard fileSize - position >= Int64(RecordBatch.headerSize) else { return nil }
        let b = try file.read(at: position, length: RecordBatch.headerSize)
        guard b.readableBytes == RecordBatch.headerSize else { return nil }
        let base = b.getInteger(at: 0, as: Int64.self)!
        let length = b.getInteger(at: RecordBatch.Offset.batchLength, as: Int32.self)!
        let delta = b.getInteger(at: RecordBatch.Offset.lastOffsetDelta, as: Int32.self)!
        return BatchHeader(
            baseOffset: base, size: Int64(length) + Int64(RecordBatch.logOverhead),
            lastOffset: base + Int64(delta), maxTimestamp: b.getInteger(at: RecordBatch.Offset.maxTimestamp, as: Int64.self)!,
            magic: b.getInteger(at: RecordBatch.Offset.magic, as: Int8.self)!,
            partitionLeaderEpoch: b.getInteger(at: RecordBatch.Offset.partitionLeaderEpoch, as: Int32.self)!
        )
    }
}

/// One segment: `<base offset, 20 digits>.log` holding v2 batches byte for byte, with its sparse
/// `.index` and `.timeindex`. Only ever used under its partition's lock.
final class Segment {
    let baseOffset: Int64
    let log: LogFile
    let directory: String
    var offsetIndex: SparseIndex
    var timeIndex: SparseIndex
    /// The transactions aborted by markers in this segment (`.txnindex`).
    let txnIndex: TransactionIndex
    var size: Int64
    /// One past the last offset stored here; `baseOffset` while empty.
    private(set) var nextOffset: Int64
    private(set) var maxTimestamp: Int64 = -1
    private(set) var offsetOfMaxTimestamp: Int64 = -1
    private var bytesSinceIndexEntry: Int = 0
    /// `index.interval.bytes`.
    let indexInterval: Int
    /// What `segment.ms` counts from: the first batch's timestamp, else the creation time.
    private(set) var rollingBase: Int64

    static func name(_ base: Int64, _ ext: String) -> String {
        let digits = String(base)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ext
    }

    private init(baseOffset: Int64, directory: String, log: LogFile, offsetIndex: SparseIndex, timeIndex: SparseIndex,
                 txnIndex: TransactionIndex, size: Int64, rollingBase: Int64, indexInterval: Int) {
        self.indexInterval = indexInterval
        self.txnIndex = txnIndex
        self.baseOffset = baseOffset
        self.directory = directory
        self.log = log
        self.offsetIndex = offsetIndex
        self.timeIndex = timeIndex
        self.size = size
        self.nextOffset = baseOffset
        self.rollingBase = rollingBase
    }

    static func files(_ directory: String, _ base: Int64, _ cache: FileCache) -> (LogFile, LogFile, LogFile) {
        (LogFile(path: directory + "/" + name(base, ".log"), cache: cache),
         LogFile(path: directory + "/" + name(base, ".index"), cache: cache),
         LogFile(path: directory + "/" + name(base, ".timeindex"), cache: cache))
    }

    static func txnIndexFile(_ directory: String, _ base: Int64, _ cache: FileCache) -> LogFile {
        LogFile(path: directory + "/" + name(base, ".txnindex"), cache: cache)
    }

    /// A new, empty segment.
    static func create(directory: String, baseOffset: Int64, config: LogConfig, cache: FileCache, now: Int64) throws(StorageError) -> Segment {
        let (log, index, time) = files(directory, baseOffset, cache)
        try log.open().truncate(to: 0)
        let txn = txnIndexFile(directory, baseOffset, cache)
        try FS.remove(txn.path)
        return Segment(
            baseOffset: baseOffset, directory: directory, log: log,
            offsetIndex: try .empty(.offset, file: index, baseOffset: baseOffset, maxEntries: config.maxIndexEntries(.offset)),
            timeIndex: try .empty(.time, file: time, baseOffset: baseOffset, maxEntries: config.maxIndexEntries(.time)),
            txnIndex: TransactionIndex(file: txn), size: 0, rollingBase: now, indexInterval: config.indexIntervalBytes
        )
    }

    /// Opens an existing segment. With `recover`, every batch is validated (length, magic, CRC),
    /// a torn or corrupt tail is truncated, and the indexes are rebuilt; otherwise only an
    /// invalid index is rebuilt. Returns the segment and the bytes truncated.
    static func open(directory: String, baseOffset: Int64, config: LogConfig, cache: FileCache, recover: Bool)
        throws(StorageError) -> (Segment, truncated: Int64)
    {
        let (log, index, time) = files(directory, baseOffset, cache)
        let size = try log.open().size()
        let mtime = FS.mtimeMs(log.path) ?? 0
        let txnIndex = try TransactionIndex.load(txnIndexFile(directory, baseOffset, cache))
        let offsetIndex = recover ? nil : try SparseIndex.load(.offset, file: index, baseOffset: baseOffset, maxEntries: config.maxIndexEntries(.offset), logSize: size)
        let timeIndex = recover ? nil : try SparseIndex.load(.time, file: time, baseOffset: baseOffset, maxEntries: config.maxIndexEntries(.time), logSize: size)
        // A missing (hence empty) index beside a log with more than one index interval of data
        // is rebuilt, as Kafka rebuilds a deleted index on start.
        if let offsetIndex, let timeIndex, (offsetIndex.count > 0 && timeIndex.count > 0) || size <= Int64(config.indexIntervalBytes) {
            let segment = Segment(baseOffset: baseOffset, directory: directory, log: log, offsetIndex: offsetIndex,
                                  timeIndex: timeIndex, txnIndex: txnIndex, size: size, rollingBase: mtime, indexInterval: config.indexIntervalBytes)
            try segment.loadTail()
            return (segment, 0)
        }
        let segment = Segment(
            baseOffset: baseOffset, directory: directory, log: log,
            offsetIndex: try .empty(.offset, file: index, baseOffset: baseOffset, maxEntries: config.maxIndexEntries(.offset)),
            timeIndex: try .empty(.time, file: time, baseOffset: baseOffset, maxEntries: config.maxIndexEntries(.time)),
            txnIndex: txnIndex, size: size, rollingBase: mtime, indexInterval: config.indexIntervalBytes
        )
        let truncated = try segment.rebuild(validate: recover, config: config)
        return (segment, truncated)
    }

    /// Recomputes the next offset and the largest timestamp after a truncation.
    func resetTail() throws(StorageError) {
        nextOffset = baseOffset
        maxTimestamp = -1
        offsetOfMaxTimestamp = -1
        bytesSinceIndexEntry = 0
        try loadTail()
    }

    /// Finds the next offset and the largest timestamp by scanning from the last index entry.
    private func loadTail() throws(StorageError) {
        let file = try log.open()
        var position = offsetIndex.last?.value ?? 0
        if let t = timeIndex.last { maxTimestamp = t.key; offsetOfMaxTimestamp = t.value }
        var first = true
        while let h = try BatchHeader.read(file, at: position, fileSize: size), position + h.size <= size {
            if first && position == 0 && h.maxTimestamp >= 0 { rollingBase = h.maxTimestamp }
            first = false
            nextOffset = h.lastOffset + 1
            if h.maxTimestamp > maxTimestamp { maxTimestamp = h.maxTimestamp; offsetOfMaxTimestamp = h.lastOffset }
            position += h.size
        }
        size = position
    }

    /// Rescans the whole segment, rebuilding both indexes; with `validate`, checks each batch's
    /// CRC and truncates at the first bad one. Returns the bytes truncated.
    private func rebuild(validate: Bool, config: LogConfig) throws(StorageError) -> Int64 {
        let file = try log.open()
        let fileSize = size
        var position: Int64 = 0
        size = 0
        while let h = try BatchHeader.read(file, at: position, fileSize: fileSize) {
            guard h.magic == RecordBatch.magic, h.size >= Int64(RecordBatch.headerSize), position + h.size <= fileSize,
                h.lastOffset >= h.baseOffset, h.baseOffset >= nextOffset
            else { break }
            if validate {
                let bytes = try file.read(at: position, length: Int(h.size))
                guard let batch = try? RecordBatch(bytes), batch.verifyCRC() else { break }
            }
            indexBatch(h, at: position)
            try appendIndexEntriesIfDue(h, at: position)
            position += h.size
            size = position
        }
        let truncated = fileSize - size
        if truncated > 0 { try file.truncate(to: size) }
        // A rebuilt index is on disk when the segment opens, as it was before entries waited.
        try offsetIndex.writePending()
        try timeIndex.writePending()
        return truncated
    }

    private func indexBatch(_ h: BatchHeader, at position: Int64) {
        if position == 0 && h.maxTimestamp >= 0 { rollingBase = h.maxTimestamp }
        nextOffset = h.lastOffset + 1
        if h.maxTimestamp > maxTimestamp { maxTimestamp = h.maxTimestamp; offsetOfMaxTimestamp = h.lastOffset }
    }

    /// Kafka indexes a batch's last offset at the batch's position once `index.interval.bytes`
    /// have passed since the previous entry. No offset entry once the time index is full:
    /// `loadTail` trusts the time index up to the last offset entry.
    private func appendIndexEntriesIfDue(_ h: BatchHeader, at position: Int64) throws(StorageError) {
        bytesSinceIndexEntry += Int(h.size)
        if (bytesSinceIndexEntry > indexInterval || position == 0) && !timeIndex.isFull {
            try offsetIndex.append(key: h.lastOffset, value: position)
            try timeIndex.append(key: maxTimestamp, value: offsetOfMaxTimestamp)
            bytesSinceIndexEntry = 0
        }
    }


    /// Appends validated batches whose offsets are already assigned.
    /// `patched`: a replacement for each batch's header (see `OpenFile.write(_:at:replacingHeaders:sizes:)`).
    func append(_ batches: ByteBuffer, headers: [BatchHeader], patched: ByteBuffer? = nil) throws(StorageError) {
        if let patched {
            try log.open().write(batches, at: size, replacingHeaders: patched, sizes: headers.map(\.size))
        } else {
            try log.open().write(batches, at: size)
        }
        var position = size
        for h in headers {
            indexBatch(h, at: position)
            try appendIndexEntriesIfDue(h, at: position)
            position += h.size
        }
        size = position
    }

    var isIndexFull: Bool { offsetIndex.isFull || timeIndex.isFull }

    func flush() throws(StorageError) {
        try log.open().sync()
        try offsetIndex.sync()
        try timeIndex.sync()
        try txnIndex.sync()
    }

    /// The files `flush` would fsync, open, to be synced outside the partition's lock.
    func filesToSync() throws(StorageError) -> [OpenFile] {
        try offsetIndex.writePending()
        try timeIndex.writePending()
        var files = [try log.open(), try offsetIndex.file.open(), try timeIndex.file.open()]
        if let txn = try txnIndex.takeUnsynced() { files.append(txn) }
        return files
    }

    func close() {
        // A write that fails here leaves the index sparser, which it may be (SparseIndex).
        try? offsetIndex.writePending()
        try? timeIndex.writePending()
        log.close()
        offsetIndex.file.close()
        timeIndex.file.close()
        txnIndex.close()
    }

    /// Removes the files; readers holding regions keep reading the unlinked file.
    func delete() throws(StorageError) {
        close()
        try FS.remove(log.path)
        try FS.remove(offsetIndex.file.path)
        try FS.remove(timeIndex.file.path)
        try FS.remove(txnIndex.file.path)
    }
}

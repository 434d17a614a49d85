#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KafkaProtocol
import NIOCore

/// A sealed segment as the cleaner saw it under the partition lock. The cleaner reads it
/// through `file` without the lock (sealed segments never change; one deleted meanwhile stays
/// readable through the open descriptor) and, at the swap, checks by `identity` and `size` that
/// the partition still holds it unchanged.
struct SegmentSnapshot: Sendable {
    let baseOffset: Int64
    let nextOffset: Int64
    let size: Int64
    /// The open `.log`; nil in a view taken only to measure the log.
    let file: OpenFile?
    /// The segment's `.log` file object; a segment replaced, deleted or recreated has another.
    let identity: LogFile
    let offsetIndexBytes: Int
    let timeIndexBytes: Int
}

extension SegmentSnapshot {
    /// The segment file's last-modified time, in milliseconds.
    var lastModified: Int64 {
        guard let file else { return 0 }
        var st = stat()
        guard fstat(file.descriptor, &st) == 0 else { return 0 }
        return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
    }

    /// Calls `body` with each batch of the segment, reading `chunk` bytes at a time (more for a
    /// larger batch), as Kafka's cleaner reads through its I/O buffer.
    func forEachBatch(chunk: Int, _ body: (RecordBatch) throws(StorageError) -> Void) throws(StorageError) {
        guard let file else { throw StorageError(.invalid("segment snapshot without its file"), path: identity.path) }
        var position: Int64 = 0
        var want = chunk
        while position < size {
            let bytes = try file.read(at: position, length: Int(min(Int64(want), size - position)))
            var reader = RecordBatchReader(bytes, allowPartialTrailingBatch: true)
            var consumed = 0
            while true {
                let batch: RecordBatch?
                do { batch = try reader.next() } catch {
                    throw StorageError(.corruptRecord("\(error) at position \(position + Int64(consumed))"), path: file.path)
                }
                guard let batch else { break }
                guard batch.verifyCRC() else {
                    throw StorageError(.corruptRecord("CRC mismatch in batch at offset \(batch.baseOffset)"), path: file.path)
                }
                try body(batch)
                consumed += batch.sizeInBytes
            }
            if consumed == 0 {
                // The next batch is larger than the buffer: read it whole (its size is in its header).
                guard bytes.readableBytes >= RecordBatch.logOverhead,
                    let length = bytes.getInteger(at: bytes.readerIndex + RecordBatch.Offset.batchLength, as: Int32.self),
                    length > 0, position + Int64(length) + Int64(RecordBatch.logOverhead) <= size, Int(length) + RecordBatch.logOverhead > want
                else { throw StorageError(.corruptRecord("truncated batch at position \(position)"), path: file.path) }
                want = Int(length) + RecordBatch.logOverhead
                continue
            }
            position += Int64(consumed)
            want = chunk
        }
    }
}

/// Writes the replacement of a group of segments to `<base>.log.cleaned` and its indexes to
/// `.index.cleaned` and `.timeindex.cleaned` (Kafka's `UnifiedLog.createNewCleanedSegment`),
/// indexing batches as `Segment` does, so the swap only renames files.
struct CleanedSegmentWriter {
    static let cleanedSuffix = ".cleaned"
    static let swapSuffix = ".swap"
    static let deletedSuffix = ".deleted"
    static let extensions = [".index", ".timeindex", ".log"]

    let baseOffset: Int64
    let directory: String
    private let log: OpenFile
    private var offsetIndex: SparseIndex
    private var timeIndex: SparseIndex
    private let indexInterval: Int
    private(set) var size: Int64 = 0
    private(set) var batches = 0
    private var pending = ByteBuffer()
    private var bytesSinceIndexEntry = 0
    private var maxTimestamp: Int64 = -1
    private var offsetOfMaxTimestamp: Int64 = -1

    static func path(_ directory: String, _ base: Int64, _ ext: String, _ suffix: String) -> String {
        directory + "/" + Segment.name(base, ext) + suffix
    }

    init(directory: String, baseOffset: Int64, config: LogConfig, cache: FileCache) throws(StorageError) {
        self.directory = directory
        self.baseOffset = baseOffset
        self.indexInterval = config.indexIntervalBytes
        log = try OpenFile(path: Self.path(directory, baseOffset, ".log", Self.cleanedSuffix), create: true)
        try log.truncate(to: 0)
        offsetIndex = try .empty(.offset, file: LogFile(path: Self.path(directory, baseOffset, ".index", Self.cleanedSuffix), cache: cache),
                                 baseOffset: baseOffset, maxEntries: config.maxIndexEntries(.offset))
        timeIndex = try .empty(.time, file: LogFile(path: Self.path(directory, baseOffset, ".timeindex", Self.cleanedSuffix), cache: cache),
                               baseOffset: baseOffset, maxEntries: config.maxIndexEntries(.time))
    }

    /// Appends one batch (offsets already assigned, as stored).
    mutating func append(_ batch: ByteBuffer) throws(StorageError) {
        let position = size + Int64(pending.readableBytes)
        let start = batch.readerIndex
        let base = batch.getInteger(at: start + RecordBatch.Offset.baseOffset, as: Int64.self)!
        let lastOffset = base + Int64(batch.getInteger(at: start + RecordBatch.Offset.lastOffsetDelta, as: Int32.self)!)
        let timestamp = batch.getInteger(at: start + RecordBatch.Offset.maxTimestamp, as: Int64.self)!
        if timestamp > maxTimestamp { maxTimestamp = timestamp; offsetOfMaxTimestamp = lastOffset }
        bytesSinceIndexEntry += batch.readableBytes
        // As Segment: the batch's last offset at its position, once index.interval.bytes have passed.
        if bytesSinceIndexEntry > indexInterval || position == 0 {
            try offsetIndex.append(key: lastOffset, value: position)
            try timeIndex.append(key: maxTimestamp, value: offsetOfMaxTimestamp)
            bytesSinceIndexEntry = 0
        }
        pending.writeImmutableBuffer(batch)
        batches += 1
        if pending.readableBytes >= 1 << 20 { try writePending() }
    }

    private mutating func writePending() throws(StorageError) {
        guard pending.readableBytes > 0 else { return }
        try log.write(pending, at: size)
        size += Int64(pending.readableBytes)
        pending.clear()
    }

    /// Writes what is buffered, fsyncs the three files and gives the log file `lastModified`
    /// (Kafka keeps the replaced segments' last-modified time on the cleaned one).
    mutating func finish(lastModified: Int64) throws(StorageError) {
        try writePending()
        try log.sync()
        try offsetIndex.sync()
        try timeIndex.sync()
        offsetIndex.file.close()
        timeIndex.file.close()
        guard lastModified > 0 else { return }
        let time = timespec(tv_sec: Int(lastModified / 1000), tv_nsec: Int((lastModified % 1000) * 1_000_000))
        var times = [time, time]
        _ = futimens(log.descriptor, &times)
    }

    /// Removes the files written so far (the cleaning was abandoned).
    func discard() {
        offsetIndex.file.close()
        timeIndex.file.close()
        for ext in Self.extensions { try? FS.remove(Self.path(directory, baseOffset, ext, Self.cleanedSuffix)) }
    }
}

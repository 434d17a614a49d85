import KafkaProtocol
import NIOCore

/// A transaction that was aborted, as a READ_COMMITTED fetch reports it (KIP-98): the consumer
/// drops the producer's records from `firstOffset` until it meets the abort marker.
public struct AbortedTransaction: Hashable, Sendable {
    public var producerId: Int64
    public var firstOffset: Int64
    /// The offset of the abort marker.
    public var lastOffset: Int64
    /// The partition's last stable offset once this transaction was aborted: a fetch reaching
    /// past it needs no entry written after this one (Kafka's `AbortedTxn.lastStableOffset`).
    public var lastStableOffset: Int64

    public init(producerId: Int64, firstOffset: Int64, lastOffset: Int64, lastStableOffset: Int64) {
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.lastStableOffset = lastStableOffset
    }
}

/// A segment's `.txnindex` (Kafka's `TransactionIndex`): the transactions aborted by a marker in
/// that segment, each a fixed 34-byte entry (version int16 0, producer id int64, first offset
/// int64, last offset int64, last stable offset int64), appended as markers are written. The
/// entries are few (one per abort) and kept in memory; the file exists once one is written.
final class TransactionIndex {
    static let entrySize = 34
    static let version: Int16 = 0

    let file: LogFile
    private(set) var entries: [AbortedTransaction]
    private var dirty = false

    init(file: LogFile, entries: [AbortedTransaction] = []) {
        self.file = file
        self.entries = entries
    }

    /// Reads the entries of an existing file; a torn last entry is dropped, as Kafka's sanity
    /// check would refuse it and rebuild the index.
    static func load(_ file: LogFile) throws(StorageError) -> TransactionIndex {
        guard FS.exists(file.path) else { return TransactionIndex(file: file) }
        let open = try file.open()
        let size = try open.size()
        let whole = Int(size) / entrySize * entrySize
        var entries: [AbortedTransaction] = []
        if whole > 0 {
            var bytes = try open.read(at: 0, length: whole)
            while bytes.readableBytes >= entrySize {
                guard bytes.readInteger(as: Int16.self)! == Self.version else { break }
                entries.append(AbortedTransaction(
                    producerId: bytes.readInteger()!, firstOffset: bytes.readInteger()!, lastOffset: bytes.readInteger()!,
                    lastStableOffset: bytes.readInteger()!))
            }
        }
        if Int64(whole) != size { try open.truncate(to: Int64(whole)) }
        return TransactionIndex(file: file, entries: entries)
    }

    static func write(_ e: AbortedTransaction, to bytes: inout ByteBuffer) {
        bytes.writeInteger(Self.version)
        bytes.writeInteger(e.producerId)
        bytes.writeInteger(e.firstOffset)
        bytes.writeInteger(e.lastOffset)
        bytes.writeInteger(e.lastStableOffset)
    }

    func append(_ entry: AbortedTransaction) throws(StorageError) {
        var bytes = ByteBuffer()
        bytes.reserveCapacity(Self.entrySize)
        Self.write(entry, to: &bytes)
        try file.open().write(bytes, at: Int64(entries.count * Self.entrySize))
        entries.append(entry)
        dirty = true
    }

    /// Replaces every entry (the cleaner's merged index, a truncation).
    func reset(to entries: [AbortedTransaction]) throws(StorageError) {
        guard entries != self.entries else { return }
        var bytes = ByteBuffer()
        for e in entries { Self.write(e, to: &bytes) }
        let open = try file.open()
        try open.truncate(to: 0)
        if bytes.readableBytes > 0 { try open.write(bytes, at: 0) }
        self.entries = entries
        dirty = true
    }

    func sync() throws(StorageError) {
        guard dirty else { return }
        try file.open().sync()
        dirty = false
    }

    /// The open file if it has unsynced writes, counted as synced: the caller fsyncs it
    /// outside the partition's lock (group commit).
    func takeUnsynced() throws(StorageError) -> OpenFile? {
        guard dirty else { return nil }
        dirty = false
        return try file.open()
    }

    func close() { file.close() }

    func delete() throws(StorageError) {
        file.close()
        try FS.remove(file.path)
    }

    /// Kafka's `collectAbortedTxns`: the entries overlapping [fetchOffset, upperBound).
    func aborted(from fetchOffset: Int64, upTo upperBound: Int64) -> (entries: [AbortedTransaction], complete: Bool) {
        var out: [AbortedTransaction] = []
        for e in entries {
            if e.lastOffset >= fetchOffset && e.firstOffset < upperBound { out.append(e) }
            if e.lastStableOffset >= upperBound { return (out, true) }
        }
        return (out, false)
    }
}

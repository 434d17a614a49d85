import KafkaProtocol
import NIOCore

/// A partition's producer state as Kafka writes it beside the segments, so a restart keeps
/// deduplicating without rereading the log: `<offset, 20 digits>.snapshot`, the state as of
/// that offset (`ProducerStateManager.writeSnapshot`, format version 1):
///
///     version int16 (1) | crc uint32 (CRC32C of what follows) | entry count int32 |
///     entries: producer id int64, epoch int16, last sequence int32, last offset int64,
///              offset delta int32, timestamp int64, coordinator epoch int32,
///              current transaction first offset int64 (-1: none)
///
/// Only the last batch of each producer is kept, as Kafka keeps it: after a restart a retry of
/// an older in-flight batch is OUT_OF_ORDER_SEQUENCE_NUMBER, which the producer handles.
enum ProducerStateSnapshot {
    static let version: Int16 = 1
    static let suffix = ".snapshot"
    static let entrySize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8

    static func encode(_ states: ProducerStates) -> ByteBuffer {
        var body = ByteBuffer()
        body.reserveCapacity(4 + states.entries.count * entrySize)
        body.writeInteger(Int32(states.entries.count))
        for (id, e) in states.entries.sorted(by: { $0.key < $1.key }) {
            let last = e.batches.last
            body.writeInteger(id)
            body.writeInteger(e.epoch)
            body.writeInteger(last?.lastSequence ?? -1)
            body.writeInteger(last?.lastOffset ?? -1)
            body.writeInteger(last.map { Int32($0.lastOffset - $0.firstOffset) } ?? 0)
            body.writeInteger(e.lastTimestamp)
            body.writeInteger(e.coordinatorEpoch)
            body.writeInteger(e.currentTxnFirstOffset ?? -1)
        }
        var out = ByteBuffer()
        out.writeInteger(version)
        out.writeInteger(CRC32C.checksum(body))
        out.writeBuffer(&body)
        return out
    }

    static func decode(_ bytes: ByteBuffer) throws(StorageError) -> ProducerStates {
        var b = bytes
        func corrupt(_ why: String) -> StorageError { StorageError(.invalid("corrupt producer state snapshot: \(why)")) }
        guard let v = b.readInteger(as: Int16.self), let crc = b.readInteger(as: UInt32.self) else { throw corrupt("too short") }
        guard v == version else { throw corrupt("version \(v)") }
        guard CRC32C.checksum(b) == crc else { throw corrupt("CRC mismatch") }
        guard let count = b.readInteger(as: Int32.self), count >= 0, b.readableBytes == Int(count) * entrySize else {
            throw corrupt("entry count does not match its size")
        }
        var states = ProducerStates()
        for _ in 0..<count {
            let id: Int64 = b.readInteger()!
            let epoch: Int16 = b.readInteger()!
            let lastSequence: Int32 = b.readInteger()!
            let lastOffset: Int64 = b.readInteger()!
            let delta: Int32 = b.readInteger()!
            let timestamp: Int64 = b.readInteger()!
            let coordinatorEpoch: Int32 = b.readInteger()!
            let txnFirst: Int64 = b.readInteger()!
            var entry = ProducerStateEntry(epoch: epoch, lastTimestamp: timestamp, coordinatorEpoch: coordinatorEpoch,
                                           currentTxnFirstOffset: txnFirst >= 0 ? txnFirst : nil)
            if lastSequence >= 0 && lastOffset >= 0 {
                // The first sequence wraps like the sequences (DefaultRecordBatch.decrementSequence).
                let first = lastSequence >= delta ? lastSequence - delta : Int32.max - (delta - lastSequence) + 1
                entry.batches = [.init(firstSequence: first, lastSequence: lastSequence, firstOffset: lastOffset - Int64(delta),
                                       lastOffset: lastOffset, maxTimestamp: timestamp)]
            }
            states.entries[id] = entry
            if let first = entry.currentTxnFirstOffset { states.ongoing[id] = first }
        }
        return states
    }

    static func path(_ directory: String, _ offset: Int64) -> String {
        directory + "/" + Segment.name(offset, suffix)
    }

    /// The offsets of the snapshots in `directory`, oldest first.
    static func offsets(in directory: String) throws(StorageError) -> [Int64] {
        try FS.list(directory).compactMap { name in
            name.hasSuffix(suffix) ? Int64(name.dropLast(suffix.count)) : nil
        }.sorted()
    }

    /// Writes the snapshot at `offset` and returns its path. Without `sync` it is not fsynced
    /// (a roll's, synced later by `sync(_:)`, as Kafka's `takeSnapshot(false)`, KAFKA-15046):
    /// a torn one fails its CRC at load and is deleted, and the state is rebuilt from the log.
    @discardableResult
    static func write(_ states: ProducerStates, directory: String, offset: Int64, sync: Bool = true) throws(StorageError) -> String {
        let p = path(directory, offset)
        try FS.writeAtomically(encode(states), to: p, sync: sync)
        return p
    }

    /// fsyncs a snapshot written without sync, and its directory; one cleaned away meanwhile is
    /// nothing to sync.
    static func sync(_ path: String) throws(StorageError) {
        let file: OpenFile
        do { file = try OpenFile(path: path, create: false) } catch { return }
        try file.sync()
        try FS.syncDirectory(FS.directory(of: path))
    }

    /// The newest readable snapshot at or below `logEndOffset`; newer ones (a truncated tail)
    /// and unreadable ones are deleted, as Kafka's `truncateAndReload` and `loadFromSnapshot` do.
    static func loadLatest(directory: String, logEndOffset: Int64) throws(StorageError) -> (offset: Int64, states: ProducerStates)? {
        for offset in try offsets(in: directory).reversed() {
            let p = path(directory, offset)
            if offset > logEndOffset {
                try FS.remove(p)
                continue
            }
            do {
                let file = try OpenFile(path: p, create: false)
                let bytes = try file.read(at: 0, length: Int(try file.size()))
                return (offset, try decode(bytes))
            } catch {
                try FS.remove(p)
            }
        }
        return nil
    }

    /// Keeps the newest `keep` snapshots and none below the log start.
    static func clean(directory: String, logStartOffset: Int64, keep: Int = 2) throws(StorageError) {
        let all = try offsets(in: directory)
        for (i, offset) in all.enumerated() where i < all.count - keep || offset < logStartOffset {
            try FS.remove(path(directory, offset))
        }
    }
}

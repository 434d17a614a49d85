import KafkaProtocol
import NIOCore

/// One record of a stored batch as the cleaner sees it: what the decision needs, and the bytes
/// to copy when the record is kept, so a kept record is re-encoded byte for byte except for its
/// timestamp delta (which moves when the batch's base timestamp becomes a delete horizon).
struct StoredRecord {
    var offsetDelta: Int32
    var key: ByteBuffer?
    var hasValue: Bool
    var attributes: Int8
    var timestampDelta: Int64
    /// The encoded record from its offset delta to its end (offset delta, key, value, headers).
    var tail: ByteBuffer
}

extension RecordBatch {
    /// The batch's records as stored, decompressing the body first. Fails, as Kafka's record
    /// iterator does, on a record that does not fit or bytes left after the last one.
    func storedRecords() throws(StorageError) -> [StoredRecord] {
        let count = Int(recordCount)
        guard count >= 0 else { throw StorageError(.corruptRecord("record count \(count) at offset \(baseOffset)")) }
        var body = recordsSection
        if count > 0 && compression != .none {
            do { body = try Compression.decompress(body, codec: compression) } catch {
                throw StorageError(.corruptRecord("\(error) in batch at offset \(baseOffset)"))
            }
        }
        guard count <= body.readableBytes / 7 || count == 0 else {
            throw StorageError(.corruptRecord("record count \(count) at offset \(baseOffset)"))
        }
        var records: [StoredRecord] = []
        records.reserveCapacity(count)
        do {
            for _ in 0..<count { records.append(try Self.readStoredRecord(&body)) }
        } catch {
            throw StorageError(.corruptRecord("\(error) in batch at offset \(baseOffset)"))
        }
        guard body.readableBytes == 0 else {
            throw StorageError(.corruptRecord("\(body.readableBytes) bytes after the last record of batch at offset \(baseOffset)"))
        }
        return records
    }

    private static func readStoredRecord(_ body: inout ByteBuffer) throws -> StoredRecord {
        let length = Int(try body.readKafkaVarInt("Record.length"))
        guard length >= 6, var bytes = body.readSlice(length: length) else {
            throw RecordsError.invalidRecord("record length \(length) with \(body.readableBytes) bytes left")
        }
        let attributes = try bytes.readKafkaInt8("Record.attributes")
        let timestampDelta = try bytes.readKafkaVarLong("Record.timestampDelta")
        let tail = bytes.getSlice(at: bytes.readerIndex, length: bytes.readableBytes)!
        let offsetDelta = try bytes.readKafkaVarInt("Record.offsetDelta")
        let keyLength = Int(try bytes.readKafkaVarInt("Record.key"))
        var key: ByteBuffer?
        if keyLength >= 0 {
            guard let k = bytes.readSlice(length: keyLength) else { throw RecordsError.invalidRecord("key length \(keyLength)") }
            key = k
        }
        let valueLength = Int(try bytes.readKafkaVarInt("Record.value"))
        guard valueLength < 0 || bytes.readableBytes >= valueLength else {
            throw RecordsError.invalidRecord("value length \(valueLength)")
        }
        return StoredRecord(
            offsetDelta: offsetDelta, key: key, hasValue: valueLength >= 0, attributes: attributes,
            timestampDelta: timestampDelta, tail: tail)
    }

    /// The batch rebuilt with only `kept`, as Kafka's `MemoryRecords.buildRetainedRecordsInto`:
    /// same base offset, codec, producer id, epoch, base sequence, leader epoch and flags; the
    /// original last offset kept (`overrideLastOffset`) so the producer's last sequence survives;
    /// kept records keep their offset deltas. With a delete horizon (KIP-534) the base timestamp
    /// holds it and the record timestamp deltas are taken from it. Under LogAppendTime the max
    /// timestamp is kept; under CreateTime it is the largest of the kept records.
    func rebuilt(keeping kept: [StoredRecord], deleteHorizonMs: Int64?) throws(StorageError) -> ByteBuffer {
        precondition(!kept.isEmpty)
        let oldBase = baseTimestamp
        let newBase = deleteHorizonMs ?? (oldBase &+ kept[0].timestampDelta)
        var body = ByteBuffer()
        body.reserveCapacity(kept.reduce(0) { $0 + $1.tail.readableBytes + 16 })
        var maxCreateTime = Int64.min
        for r in kept {
            let timestamp = oldBase &+ r.timestampDelta
            maxCreateTime = max(maxCreateTime, timestamp)
            let delta = timestamp &- newBase
            body.writeKafkaVarInt(Int32(1 + VarIntSize.of(delta) + r.tail.readableBytes))
            body.writeInteger(r.attributes)
            body.writeKafkaVarLong(delta)
            body.writeImmutableBuffer(r.tail)
        }
        var out = ByteBuffer()
        out.reserveCapacity(RecordBatch.headerSize + body.readableBytes)
        out.writeRepeatingByte(0, count: RecordBatch.headerSize)
        if compression == .none {
            out.writeBuffer(&body)
        } else {
            do { try Compression.compress(body, codec: compression, into: &out) } catch {
                throw StorageError(.corruptRecord("recompressing batch at offset \(baseOffset): \(error)"))
            }
        }
        var attributes = self.attributes & ~Attribute.deleteHorizon
        if deleteHorizonMs != nil { attributes |= Attribute.deleteHorizon }
        let maxTimestamp = timestampType == .logAppendTime ? self.maxTimestamp : maxCreateTime
        writeHeader(into: &out, attributes: attributes, baseTimestamp: newBase, maxTimestamp: maxTimestamp, count: Int32(kept.count))
        return out
    }

    /// The header alone, no records, as Kafka's `DefaultRecordBatch.writeEmptyHeader`: kept when
    /// every record is gone but the batch carries a producer's last sequence, or ends the range
    /// cleaned. Uncompressed, base timestamp -1, the original max timestamp and offset range.
    func emptyHeader() -> ByteBuffer {
        var out = ByteBuffer()
        out.writeRepeatingByte(0, count: RecordBatch.headerSize)
        let keep = Attribute.timestampType | Attribute.transactional | Attribute.control
        writeHeader(into: &out, attributes: attributes & keep, baseTimestamp: -1, maxTimestamp: maxTimestamp, count: 0)
        return out
    }

    private func writeHeader(into out: inout ByteBuffer, attributes: Int16, baseTimestamp: Int64, maxTimestamp: Int64, count: Int32) {
        typealias O = RecordBatch.Offset
        let start = out.readerIndex
        out.setInteger(baseOffset, at: start + O.baseOffset)
        out.setInteger(Int32(out.readableBytes - RecordBatch.logOverhead), at: start + O.batchLength)
        out.setInteger(partitionLeaderEpoch, at: start + O.partitionLeaderEpoch)
        out.setInteger(RecordBatch.magic, at: start + O.magic)
        out.setInteger(attributes, at: start + O.attributes)
        out.setInteger(lastOffsetDelta, at: start + O.lastOffsetDelta)
        out.setInteger(baseTimestamp, at: start + O.baseTimestamp)
        out.setInteger(maxTimestamp, at: start + O.maxTimestamp)
        out.setInteger(producerId, at: start + O.producerId)
        out.setInteger(producerEpoch, at: start + O.producerEpoch)
        out.setInteger(baseSequence, at: start + O.baseSequence)
        out.setInteger(count, at: start + O.recordCount)
        let crc = CRC32C.checksum(out, at: start + O.attributes, length: out.readableBytes - O.attributes)
        out.setInteger(crc, at: start + O.crc)
    }
}

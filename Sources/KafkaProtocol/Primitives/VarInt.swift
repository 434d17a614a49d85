import NIOCore

/// Zig-zag varints and varlongs, as record batch v2 uses them for record lengths, deltas,
/// keys, values and headers (KIP-98).
extension ByteBuffer {
    /// Reads a zig-zag encoded 32-bit varint (at most 5 bytes).
    @inlinable
    public mutating func readKafkaVarInt(_ field: StaticString = "varint") throws(KafkaDecodingError) -> Int32 {
        let raw = try self.readRawVarInt(maxBytes: 5, field: field)
        guard raw <= UInt64(UInt32.max) else { throw KafkaDecodingError(.invalidVarint, field: field) }
        let u = UInt32(truncatingIfNeeded: raw)
        return Int32(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// Reads a zig-zag encoded 64-bit varlong (at most 10 bytes).
    @inlinable
    public mutating func readKafkaVarLong(_ field: StaticString = "varlong") throws(KafkaDecodingError) -> Int64 {
        let u = try self.readRawVarInt(maxBytes: 10, field: field)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    @inlinable
    mutating func readRawVarInt(maxBytes: Int, field: StaticString) throws(KafkaDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            guard let byte = self.readInteger(as: UInt8.self) else {
                throw KafkaDecodingError(.truncated, field: field)
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw KafkaDecodingError(.invalidVarint, field: field)
    }

    /// Writes a zig-zag encoded 32-bit varint; returns the bytes written.
    @inlinable
    @discardableResult
    public mutating func writeKafkaVarInt(_ value: Int32) -> Int {
        let zigzag = UInt32(bitPattern: (value << 1) ^ (value >> 31))
        return self.writeRawVarInt(UInt64(zigzag))
    }

    /// Writes a zig-zag encoded 64-bit varlong; returns the bytes written.
    @inlinable
    @discardableResult
    public mutating func writeKafkaVarLong(_ value: Int64) -> Int {
        let zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        return self.writeRawVarInt(zigzag)
    }

    @inlinable
    mutating func writeRawVarInt(_ value: UInt64) -> Int {
        var v = value
        var written = 1
        while v >= 0x80 {
            self.writeInteger(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
            written += 1
        }
        self.writeInteger(UInt8(truncatingIfNeeded: v))
        return written
    }
}

/// Encoded sizes of zig-zag varints.
public enum VarIntSize {
    /// Bytes a zig-zag varint of `value` takes.
    @inlinable
    public static func of(_ value: Int32) -> Int {
        raw(UInt64(UInt32(bitPattern: (value << 1) ^ (value >> 31))))
    }

    /// Bytes a zig-zag varlong of `value` takes.
    @inlinable
    public static func of(_ value: Int64) -> Int {
        raw(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    @inlinable
    static func raw(_ value: UInt64) -> Int {
        var v = value
        var n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }
}

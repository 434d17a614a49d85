import NIOCore

/// Reads of the protocol's primitive types. Every read names its field so a malformed frame can
/// be reported precisely, and no length or count is trusted before it is checked against the
/// bytes actually left in the buffer.
extension ByteBuffer {
    @inlinable
    mutating func readFixed<T: FixedWidthInteger>(_ type: T.Type, _ field: StaticString) throws(KafkaDecodingError) -> T {
        guard let value = self.readInteger(as: T.self) else { throw KafkaDecodingError(.truncated, field: field) }
        return value
    }

    @inlinable public mutating func readKafkaInt8(_ field: StaticString) throws(KafkaDecodingError) -> Int8 { try readFixed(Int8.self, field) }
    @inlinable public mutating func readKafkaInt16(_ field: StaticString) throws(KafkaDecodingError) -> Int16 { try readFixed(Int16.self, field) }
    @inlinable public mutating func readKafkaInt32(_ field: StaticString) throws(KafkaDecodingError) -> Int32 { try readFixed(Int32.self, field) }
    @inlinable public mutating func readKafkaInt64(_ field: StaticString) throws(KafkaDecodingError) -> Int64 { try readFixed(Int64.self, field) }
    @inlinable public mutating func readKafkaUInt16(_ field: StaticString) throws(KafkaDecodingError) -> UInt16 { try readFixed(UInt16.self, field) }

    /// Any non-zero byte is true, as in Kafka's `readByte() != 0`.
    @inlinable
    public mutating func readKafkaBool(_ field: StaticString) throws(KafkaDecodingError) -> Bool {
        try readFixed(UInt8.self, field) != 0
    }

    @inlinable
    public mutating func readKafkaFloat64(_ field: StaticString) throws(KafkaDecodingError) -> Double {
        Double(bitPattern: try readFixed(UInt64.self, field))
    }

    @inlinable
    public mutating func readKafkaUUID(_ field: StaticString) throws(KafkaDecodingError) -> KafkaUUID {
        let high = try readFixed(UInt64.self, field)
        let low = try readFixed(UInt64.self, field)
        return KafkaUUID(high: high, low: low)
    }

    /// An unsigned varint of at most five bytes (KIP-482).
    @inlinable
    public mutating func readUnsignedVarInt(_ field: StaticString) throws(KafkaDecodingError) -> UInt32 {
        let raw = try self.readRawVarInt(maxBytes: UnsignedVarInt.maxBytes, field: field)
        guard raw <= UInt64(UInt32.max) else { throw KafkaDecodingError(.invalidVarint, field: field) }
        return UInt32(raw)
    }

    /// A length or count: nil for null (-1, or compact 0); an error below -1 or beyond the input.
    /// Every element of an array takes at least one byte, so a count above the bytes left is a lie
    /// (the same check as Kafka's generated `read`).
    @inlinable
    public mutating func readKafkaLength(_ field: StaticString, flexible: Bool, wide: Bool) throws(KafkaDecodingError) -> Int? {
        let length: Int
        if flexible {
            let n = try readUnsignedVarInt(field)
            if n == 0 { return nil }
            length = Int(n) - 1
        } else if wide {
            length = Int(try readFixed(Int32.self, field))
        } else {
            length = Int(try readFixed(Int16.self, field))
        }
        if length == -1 { return nil }
        if length < 0 { throw KafkaDecodingError(.negativeLength(length), field: field) }
        if length > self.readableBytes {
            throw KafkaDecodingError(.lengthExceedsInput(length: length, available: self.readableBytes), field: field)
        }
        return length
    }

    @inlinable
    public mutating func readKafkaNullableString(_ field: StaticString, flexible: Bool) throws(KafkaDecodingError) -> String? {
        guard let length = try readKafkaLength(field, flexible: flexible, wide: false) else { return nil }
        let decoded = self.withUnsafeReadableBytes { raw -> String? in
            let bytes = UnsafeRawBufferPointer(rebasing: raw.prefix(length))
            // ASCII, as client ids and topic names nearly always are, decodes as it is, without
            // the generic validation (a runtime type-metadata lookup a string, issue 13).
            if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
        guard let string = decoded else {
            throw KafkaDecodingError(.invalidUTF8, field: field)
        }
        self.moveReaderIndex(forwardBy: length)
        return string
    }

    @inlinable
    public mutating func readKafkaString(_ field: StaticString, flexible: Bool) throws(KafkaDecodingError) -> String {
        guard let s = try readKafkaNullableString(field, flexible: flexible) else {
            throw KafkaDecodingError(.unexpectedNull, field: field)
        }
        return s
    }

    /// Bytes copied out of the frame, so the frame can be released (fields without `zeroCopy`).
    @inlinable
    public mutating func readKafkaNullableBytes(_ field: StaticString, flexible: Bool) throws(KafkaDecodingError) -> [UInt8]? {
        guard let length = try readKafkaLength(field, flexible: flexible, wide: true) else { return nil }
        return self.readBytes(length: length)
    }

    @inlinable
    public mutating func readKafkaBytes(_ field: StaticString, flexible: Bool) throws(KafkaDecodingError) -> [UInt8] {
        guard let b = try readKafkaNullableBytes(field, flexible: flexible) else {
            throw KafkaDecodingError(.unexpectedNull, field: field)
        }
        return b
    }

    /// A slice of the frame itself: `records` and `zeroCopy` bytes are never copied by the codec.
    @inlinable
    public mutating func readKafkaNullableSlice(_ field: StaticString, flexible: Bool) throws(KafkaDecodingError) -> ByteBuffer? {
        guard let length = try readKafkaLength(field, flexible: flexible, wide: true) else { return nil }
        return self.readSlice(length: length)
    }

    @inlinable
    public mutating func readKafkaSlice(_ field: StaticString, flexible: Bool) throws(KafkaDecodingError) -> ByteBuffer {
        guard let b = try readKafkaNullableSlice(field, flexible: flexible) else {
            throw KafkaDecodingError(.unexpectedNull, field: field)
        }
        return b
    }

    /// An array's element count; nil for a null array.
    @inlinable
    public mutating func readKafkaArrayCount(_ field: StaticString, flexible: Bool) throws(KafkaDecodingError) -> Int? {
        try readKafkaLength(field, flexible: flexible, wide: true)
    }

    /// A non-nullable array's element count.
    @inlinable
    public mutating func readKafkaNonNullArrayCount(_ field: StaticString, flexible: Bool) throws(KafkaDecodingError) -> Int {
        guard let n = try readKafkaLength(field, flexible: flexible, wide: true) else {
            throw KafkaDecodingError(.unexpectedNull, field: field)
        }
        return n
    }

    /// The presence byte of a nullable struct field: -1 is null.
    @inlinable
    public mutating func readKafkaStructPresence(_ field: StaticString) throws(KafkaDecodingError) -> Bool {
        try readFixed(Int8.self, field) >= 0
    }

    /// One unknown tagged field's bytes, kept so they survive decode then encode.
    @inlinable
    public mutating func readKafkaTaggedFieldData(_ field: StaticString) throws(KafkaDecodingError) -> ByteBuffer {
        let size = Int(try readUnsignedVarInt(field))
        guard size <= self.readableBytes, let slice = self.readSlice(length: size) else {
            throw KafkaDecodingError(.lengthExceedsInput(length: size, available: self.readableBytes), field: field)
        }
        return slice
    }

    /// Reads a known tagged field's value from exactly the bytes its size prefix announces.
    @inlinable
    public mutating func readKafkaTaggedField<T>(_ field: StaticString, _ body: (inout ByteBuffer) throws -> T) throws -> T {
        var data = try readKafkaTaggedFieldData(field)
        return try body(&data)
    }
}

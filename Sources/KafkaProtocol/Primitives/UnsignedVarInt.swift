import NIOCore

/// Kafka's unsigned varint (protobuf's base-128 encoding): the length prefix of compact strings,
/// bytes and arrays, and the tag and size of tagged fields (KIP-482).
///
/// Plugged into NIO's length-prefix helpers, so `writeLengthPrefixed(strategy:)` writes a tagged
/// field's size without a separate size pass.
public struct UnsignedVarInt: NIOBinaryIntegerEncodingStrategy, Sendable {
    public init() {}

    /// Kafka caps an unsigned varint at five bytes (32 bits of payload).
    public static let maxBytes = 5

    @inlinable
    public func readInteger<IntegerType: FixedWidthInteger>(
        as: IntegerType.Type,
        from buffer: inout ByteBuffer
    ) -> IntegerType? {
        let start = buffer.readerIndex
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 35 {
            guard let byte = buffer.readInteger(as: UInt8.self) else {
                buffer.moveReaderIndex(to: start)
                return nil
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                guard value <= UInt64(UInt32.max), let result = IntegerType(exactly: value) else {
                    buffer.moveReaderIndex(to: start)
                    return nil
                }
                return result
            }
            shift += 7
        }
        buffer.moveReaderIndex(to: start)
        return nil
    }

    @inlinable
    public func writeInteger<IntegerType: FixedWidthInteger>(
        _ integer: IntegerType,
        to buffer: inout ByteBuffer
    ) -> Int {
        var value = UInt64(truncatingIfNeeded: integer) & 0xFFFF_FFFF
        var written = 0
        while value >= 0x80 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
            written += 1
        }
        buffer.writeInteger(UInt8(truncatingIfNeeded: value))
        return written + 1
    }

    @inlinable
    public var requiredBytesHint: Int { 1 }

    /// Bytes needed to encode `value`.
    @inlinable
    public static func size(_ value: UInt32) -> Int {
        switch value {
        case 0..<(1 << 7): return 1
        case (1 << 7)..<(1 << 14): return 2
        case (1 << 14)..<(1 << 21): return 3
        case (1 << 21)..<(1 << 28): return 4
        default: return 5
        }
    }

    /// Bytes needed to encode a non-negative `Int` (values above `UInt32.max` are truncated by the encoder).
    @inlinable
    public static func size(_ value: Int) -> Int {
        size(UInt32(truncatingIfNeeded: value))
    }
}

import NIOCore

/// Writes of the protocol's primitive types; `flexible` selects the compact encodings of KIP-482.
extension ByteBuffer {
    @inlinable public mutating func writeKafkaBool(_ value: Bool) { self.writeInteger(value ? UInt8(1) : 0) }
    @inlinable public mutating func writeKafkaFloat64(_ value: Double) { self.writeInteger(value.bitPattern) }

    @inlinable
    public mutating func writeKafkaUUID(_ value: KafkaUUID) {
        self.writeInteger(value.high)
        self.writeInteger(value.low)
    }

    @inlinable
    public mutating func writeUnsignedVarInt(_ value: UInt32) {
        _ = UnsignedVarInt().writeInteger(value, to: &self)
    }

    /// A length or count, or null when `length` is nil.
    @inlinable
    public mutating func writeKafkaLength(_ length: Int?, flexible: Bool, wide: Bool, _ field: StaticString) throws(KafkaEncodingError) {
        if flexible {
            guard let n = length else { return writeUnsignedVarInt(0) }
            guard n < Int(UInt32.max) else { throw KafkaEncodingError(.tooLong(n), field: field) }
            writeUnsignedVarInt(UInt32(n + 1))
        } else if wide {
            guard let n = length else { self.writeInteger(Int32(-1)); return }
            guard n <= Int(Int32.max) else { throw KafkaEncodingError(.tooLong(n), field: field) }
            self.writeInteger(Int32(n))
        } else {
            guard let n = length else { self.writeInteger(Int16(-1)); return }
            guard n <= Int(Int16.max) else { throw KafkaEncodingError(.tooLong(n), field: field) }
            self.writeInteger(Int16(n))
        }
    }

    @inlinable
    public mutating func writeKafkaString(_ value: String?, flexible: Bool, _ field: StaticString) throws(KafkaEncodingError) {
        guard let value else { return try writeKafkaLength(nil, flexible: flexible, wide: false, field) }
        try writeKafkaLength(value.utf8.count, flexible: flexible, wide: false, field)
        self.writeString(value)
    }

    @inlinable
    public mutating func writeKafkaBytes(_ value: [UInt8]?, flexible: Bool, _ field: StaticString) throws(KafkaEncodingError) {
        guard let value else { return try writeKafkaLength(nil, flexible: flexible, wide: true, field) }
        try writeKafkaLength(value.count, flexible: flexible, wide: true, field)
        self.writeBytes(value)
    }

    @inlinable
    public mutating func writeKafkaSlice(_ value: ByteBuffer?, flexible: Bool, _ field: StaticString) throws(KafkaEncodingError) {
        guard let value else { return try writeKafkaLength(nil, flexible: flexible, wide: true, field) }
        try writeKafkaLength(value.readableBytes, flexible: flexible, wide: true, field)
        self.writeImmutableBuffer(value)
    }

    @inlinable
    public mutating func writeKafkaArrayCount(_ count: Int?, flexible: Bool, _ field: StaticString) throws(KafkaEncodingError) {
        try writeKafkaLength(count, flexible: flexible, wide: true, field)
    }

    /// Writes one tagged field: its tag, then its value prefixed by its size (KIP-482).
    @inlinable
    public mutating func writeKafkaTaggedField(tag: UInt32, _ body: (inout ByteBuffer) throws -> Void) throws {
        writeUnsignedVarInt(tag)
        try self.writeLengthPrefixed(strategy: UnsignedVarInt()) { (buffer: inout ByteBuffer) throws -> Int in
            let start = buffer.writerIndex
            try body(&buffer)
            return buffer.writerIndex - start
        }
    }
}

/// Encoded sizes of the primitive types, mirroring the writes above.
public enum KafkaSize {
    @inlinable
    public static func length(_ length: Int?, flexible: Bool, wide: Bool) -> Int {
        if flexible { return UnsignedVarInt.size(UInt32(truncatingIfNeeded: (length ?? -1) + 1)) }
        return wide ? 4 : 2
    }

    @inlinable
    public static func string(_ value: String?, flexible: Bool) -> Int {
        guard let value else { return length(nil, flexible: flexible, wide: false) }
        let n = value.utf8.count
        return length(n, flexible: flexible, wide: false) + n
    }

    @inlinable
    public static func bytes(_ value: [UInt8]?, flexible: Bool) -> Int {
        guard let value else { return length(nil, flexible: flexible, wide: true) }
        return length(value.count, flexible: flexible, wide: true) + value.count
    }

    @inlinable
    public static func slice(_ value: ByteBuffer?, flexible: Bool) -> Int {
        guard let value else { return length(nil, flexible: flexible, wide: true) }
        return length(value.readableBytes, flexible: flexible, wide: true) + value.readableBytes
    }

    @inlinable
    public static func arrayCount(_ count: Int?, flexible: Bool) -> Int {
        length(count, flexible: flexible, wide: true)
    }

    /// A tagged field's tag, size prefix and value of `valueSize` bytes.
    @inlinable
    public static func taggedField(tag: UInt32, valueSize: Int) -> Int {
        UnsignedVarInt.size(tag) + UnsignedVarInt.size(valueSize) + valueSize
    }
}

/// A tagged field this version of Gregor does not know; kept verbatim so it survives a
/// decode-then-encode round trip (KIP-482).
public struct UnknownTaggedField: Hashable, Sendable {
    public var tag: UInt32
    public var data: ByteBuffer

    public init(tag: UInt32, data: ByteBuffer) {
        self.tag = tag
        self.data = data
    }

    /// Bytes this field takes on the wire.
    @inlinable
    public var size: Int { KafkaSize.taggedField(tag: tag, valueSize: data.readableBytes) }

    @inlinable
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeUnsignedVarInt(tag)
        buffer.writeUnsignedVarInt(UInt32(data.readableBytes))
        buffer.writeImmutableBuffer(data)
    }
}

/// A protocol message or struct generated from Kafka's JSON specs.
public protocol KafkaCodable: Hashable, Sendable {
    /// Decodes the value at `version`, consuming exactly its bytes.
    init(from buffer: inout ByteBuffer, version: Int16) throws
    /// Encodes the value at `version`.
    func write(to buffer: inout ByteBuffer, version: Int16) throws
    /// The bytes `write` produces at `version`.
    func size(version: Int16) -> Int
}

/// A top-level message: a request, a response, a header or a data spec.
public protocol KafkaMessage: KafkaCodable {
    /// The spec's name, e.g. `ProduceRequest`.
    static var messageName: String { get }
    /// The versions the spec lists as valid.
    static var validVersions: ClosedRange<Int16> { get }
    /// The first flexible version (KIP-482), if any.
    static var firstFlexibleVersion: Int16? { get }
}

/// A request or response of a Kafka API.
public protocol KafkaAPIMessage: KafkaMessage {
    static var apiKey: ApiKey { get }
}

/// A response that reports how long a client quota throttled the request (KIP-13, KIP-219):
/// every response whose spec has a top-level `ThrottleTimeMs`.
public protocol KafkaThrottledResponse: KafkaAPIMessage {
    /// The versions that carry `throttle_time_ms`; older ones have no room for it.
    static var throttleTimeVersions: PartialRangeFrom<Int16> { get }
    /// The throttle time, in milliseconds.
    var throttleTimeMs: Int32 { get set }
}

extension KafkaThrottledResponse {
    /// The response reporting `ms` of throttling, if `version` carries the field.
    public func reportingThrottle(_ ms: Int32, version: Int16) -> Self {
        guard Self.throttleTimeVersions.contains(version) else { return self }
        var copy = self
        copy.throttleTimeMs = ms
        return copy
    }
}

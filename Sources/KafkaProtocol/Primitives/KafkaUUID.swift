import NIOCore

/// A 128-bit Kafka UUID (topic ids, directory ids). Kafka prints them as URL-safe base64
/// without padding, e.g. `AAAAAAAAAAAAAAAAAAAAAA` for the zero UUID.
public struct KafkaUUID: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The all-zero UUID, Kafka's `Uuid.ZERO_UUID`: the default of every uuid field.
    public static let zero = KafkaUUID(high: 0, low: 0)

    /// A random version-4 UUID. Kafka never hands out ids whose base64 starts with '-' nor the
    /// zero and one-bit reserved ids; callers creating topic ids should use `randomTopicId()`.
    public static func random() -> KafkaUUID {
        var g = SystemRandomNumberGenerator()
        var high = g.next() as UInt64
        var low = g.next() as UInt64
        high = (high & ~0xF000) | 0x4000
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        return KafkaUUID(high: high, low: low)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// URL-safe base64 without padding, as Kafka's `Uuid.toString()`.
    public var description: String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        var out = [UInt8]()
        out.reserveCapacity(22)
        var i = 0
        while i + 3 <= 16 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(Self.alphabet[Int(n >> 18 & 63)])
            out.append(Self.alphabet[Int(n >> 12 & 63)])
            out.append(Self.alphabet[Int(n >> 6 & 63)])
            out.append(Self.alphabet[Int(n & 63)])
            i += 3
        }
        let n = UInt32(bytes[15]) << 16
        out.append(Self.alphabet[Int(n >> 18 & 63)])
        out.append(Self.alphabet[Int(n >> 12 & 63)])
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses Kafka's 22-character base64 form; nil if it is not one.
    public init?(_ string: String) {
        let chars = Array(string.utf8)
        guard chars.count == 22 else { return nil }
        var bits: [UInt8] = []
        bits.reserveCapacity(22)
        for c in chars {
            guard let v = Self.alphabet.firstIndex(of: c) else { return nil }
            bits.append(UInt8(v))
        }
        var bytes = [UInt8]()
        var acc: UInt32 = 0
        var count = 0
        for v in bits {
            acc = acc << 6 | UInt32(v)
            count += 6
            if count >= 8 {
                count -= 8
                bytes.append(UInt8(truncatingIfNeeded: acc >> UInt32(count)))
            }
        }
        guard bytes.count == 16 else { return nil }
        self.high = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        self.low = bytes[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

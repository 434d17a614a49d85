import NIOCore
@testable import KafkaProtocol

/// A generated message whose generated test extension can build a sample with every field of a
/// version set to a non-default value.
protocol SampledMessage: KafkaMessage {
    static func sample(version: Int16) -> Self
    /// The instance Kafka's no-argument constructor makes.
    static var defaultValue: Self { get }
}

/// Encodes at `version` into a fresh buffer.
func encode<M: KafkaCodable>(_ message: M, version: Int16) throws -> ByteBuffer {
    var buffer = ByteBuffer()
    try message.write(to: &buffer, version: version)
    return buffer
}

/// Builds a buffer from bytes.
func bytes(_ b: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: b) }

/// A small, repeatable PRNG (SplitMix64), so a failing random case can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

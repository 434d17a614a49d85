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

import NIOCore

/// Splits the byte stream into Kafka request frames: a 4-byte size, then that many bytes.
/// The size is checked against `socket.request.max.bytes` before anything is allocated, and a
/// partial frame rewinds so the decoder never loses its place.
struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    /// A frame whose size is negative or above the limit; the connection is closed.
    struct InvalidFrameSize: Error, Equatable, CustomStringConvertible {
        let size: Int32
        let limit: Int
        var description: String { "frame size \(size) outside 0...\(limit) (socket.request.max.bytes)" }
    }

    var maxFrameSize: Int

    mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard size >= 0, Int(size) <= maxFrameSize else { throw InvalidFrameSize(size: size, limit: maxFrameSize) }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}

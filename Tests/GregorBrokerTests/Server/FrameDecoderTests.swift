import NIOCore
import NIOTestUtils
import Testing

@testable import GregorBroker

@Suite struct FrameDecoderTests {
    static func frame(_ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(payload.count))
        buffer.writeBytes(payload)
        return buffer
    }

    static func sizeOnly(_ size: Int32) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(size)
        return buffer
    }

    @Test func verifierSplitsFramesAtEveryByte() throws {
        // The verifier feeds the inputs whole, all at once, and one byte at a time.
        let small: [UInt8] = [0, 18, 0, 3, 0, 0, 0, 7]
        let large = [UInt8]((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31) })
        // A payload whose bytes look like a negative size: the decoder must not read past the frame.
        let tricky: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x80]
        let pairs: [(ByteBuffer, [ByteBuffer])] = [
            (Self.frame(small), [ByteBuffer(bytes: small)]),
            (Self.frame([]), [ByteBuffer()]),
            (Self.frame(large), [ByteBuffer(bytes: large)]),
            (Self.frame(tricky), [ByteBuffer(bytes: tricky)]),
            (Self.frame([]) + Self.frame(small), [ByteBuffer(), ByteBuffer(bytes: small)]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) {
            FrameDecoder(maxFrameSize: 1000)
        }
    }

    @Test func emptyFrameDecodes() throws {
        var decoder = FrameDecoder(maxFrameSize: 100)
        var buffer = Self.sizeOnly(0)
        #expect(try decoder.decode(buffer: &buffer) == ByteBuffer())
        #expect(buffer.readableBytes == 0)
        #expect(try decoder.decode(buffer: &buffer) == nil)
    }

    @Test func partialInputRewinds() throws {
        var decoder = FrameDecoder(maxFrameSize: 100)
        let whole = Self.frame([1, 2, 3, 4, 5])
        for cut in 0..<whole.readableBytes {
            var partial = whole.getSlice(at: 0, length: cut)!
            #expect(try decoder.decode(buffer: &partial) == nil, "cut at \(cut)")
            #expect(partial.readerIndex == 0 && partial.readableBytes == cut, "cut at \(cut)")
        }
        var all = whole
        #expect(try decoder.decode(buffer: &all) == ByteBuffer(bytes: [1, 2, 3, 4, 5]))
    }

    @Test func frameOfExactlyTheLimitDecodes() throws {
        var decoder = FrameDecoder(maxFrameSize: 16)
        var buffer = Self.frame([UInt8](repeating: 7, count: 16))
        #expect(try decoder.decode(buffer: &buffer) == ByteBuffer(bytes: [UInt8](repeating: 7, count: 16)))
    }

    @Test(arguments: [Int32(-1), -4, Int32.min])
    func negativeSizeThrowsWithOnlyTheSizeRead(size: Int32) throws {
        // Only the 4 size bytes have arrived: the error comes now, not after buffering a body.
        var decoder = FrameDecoder(maxFrameSize: 100)
        var buffer = Self.sizeOnly(size)
        #expect(throws: FrameDecoder.InvalidFrameSize(size: size, limit: 100)) {
            try decoder.decode(buffer: &buffer)
        }
    }

    @Test(arguments: [Int32(101), 1 << 20, Int32.max])
    func sizeAboveTheLimitThrowsWithOnlyTheSizeRead(size: Int32) throws {
        var decoder = FrameDecoder(maxFrameSize: 100)
        var buffer = Self.sizeOnly(size)
        #expect(throws: FrameDecoder.InvalidFrameSize(size: size, limit: 100)) {
            try decoder.decode(buffer: &buffer)
        }
    }
}

extension ByteBuffer {
    static func + (lhs: ByteBuffer, rhs: ByteBuffer) -> ByteBuffer {
        var out = lhs
        var rhs = rhs
        out.writeBuffer(&rhs)
        return out
    }
}

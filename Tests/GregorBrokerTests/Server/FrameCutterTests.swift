import NIOCore
import Testing

@testable import GregorBroker

/// The frame cutting the channel handler runs: socket reads in, frames out, taken one at a time.
@Suite struct FrameCutterTests {
    static let small: [UInt8] = [0, 18, 0, 3, 0, 0, 0, 7]
    static let large = [UInt8]((0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31) })
    /// Payload bytes that look like a negative size: the cutter must not read past the frame.
    static let tricky: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x80]
    static let payloads = [small, [], large, tricky, small]
    static var stream: ByteBuffer {
        payloads.reduce(ByteBuffer()) { $0 + FrameDecoderTests.frame($1) }
    }

    /// Feeds `reads` one after another, taking every frame that is whole after each.
    static func cut(_ reads: [ByteBuffer], maxFrameSize: Int = 1000, compactAfter: Int = 1 << 20) throws -> [[UInt8]] {
        var cutter = FrameCutter(maxFrameSize: maxFrameSize, compactAfter: compactAfter)
        var frames: [[UInt8]] = []
        for read in reads {
            cutter.append(read)
            while let frame = try cutter.next() { frames.append(Array(frame.readableBytesView)) }
        }
        #expect(cutter.bufferedBytes == 0)
        return frames
    }

    @Test func wholeStreamInOneRead() throws {
        #expect(try Self.cut([Self.stream]) == Self.payloads)
    }

    @Test func oneByteAtATime() throws {
        let bytes = Array(Self.stream.readableBytesView)
        #expect(try Self.cut(bytes.map { ByteBuffer(bytes: [$0]) }) == Self.payloads)
    }

    @Test func everySplitIntoTwoReads() throws {
        let stream = Self.stream
        for cut in 0...stream.readableBytes {
            let reads = [stream.getSlice(at: 0, length: cut)!, stream.getSlice(at: cut, length: stream.readableBytes - cut)!]
            #expect(try Self.cut(reads) == Self.payloads, "split at \(cut)")
        }
    }

    @Test func framesWaitUntilTaken() throws {
        // A paused connection stops taking frames; what it read stays, in order, for later.
        var cutter = FrameCutter(maxFrameSize: 1000)
        let bytes = Self.stream
        cutter.append(bytes.getSlice(at: 0, length: 20)!)
        cutter.append(bytes.getSlice(at: 20, length: bytes.readableBytes - 20)!)
        #expect(cutter.bufferedBytes == bytes.readableBytes)
        var frames: [[UInt8]] = []
        while let frame = try cutter.next() { frames.append(Array(frame.readableBytesView)) }
        #expect(frames == Self.payloads)
    }

    @Test func compactingConsumedBytesKeepsThePartialFrame() throws {
        // Compacting after every 8 consumed bytes moves the unread bytes to the front many times.
        let bytes = Array(Self.stream.readableBytesView)
        let reads = stride(from: 0, to: bytes.count, by: 3).map { ByteBuffer(bytes: bytes[$0..<min($0 + 3, bytes.count)]) }
        #expect(try Self.cut(reads, compactAfter: 8) == Self.payloads)
    }

    @Test func invalidSizeAfterAValidFrameThrowsAfterDeliveringIt() throws {
        var cutter = FrameCutter(maxFrameSize: 100)
        var input = FrameDecoderTests.frame([9, 9])
        input.writeInteger(Int32(-1))
        cutter.append(input)
        #expect(try cutter.next() == ByteBuffer(bytes: [9, 9]))
        #expect(throws: FrameDecoder.InvalidFrameSize(size: -1, limit: 100)) { try cutter.next() }
    }

    @Test func oversizedFrameFailsOnItsSizeAlone() throws {
        // A 2 GiB size fails on its 4 bytes instead of waiting for (and buffering) the body.
        var cutter = FrameCutter(maxFrameSize: 1024)
        cutter.append(ByteBuffer(bytes: [0x7F, 0xFF]))
        #expect(try cutter.next() == nil)
        cutter.append(ByteBuffer(bytes: [0xFF, 0xFF]))
        #expect(throws: FrameDecoder.InvalidFrameSize(size: Int32.max, limit: 1024)) { try cutter.next() }
    }
}

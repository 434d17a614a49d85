import NIOCore
import Testing

@testable import GregorBroker

/// A large request's rest read straight into the buffer offered for it, as NIO's read loop drives
/// the receive allocator: `nextBufferSize`, `buffer`, the read, `record`, then `channelRead`.
@Suite struct FrameReadAllocatorTests {
    /// A 200 KiB frame's payload, every byte telling its place.
    static let payload = [UInt8]((0..<(200 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) })
    static var frame: ByteBuffer { FrameDecoderTests.frame(payload) }

    /// A connection past NIO's pooled reads, the cutter holding the first `head` bytes of `frame`.
    static func started(head: Int) throws -> (FrameCutter, FrameReadAllocator) {
        let target = FrameReadTarget()
        var allocator = FrameReadAllocator(target: target)
        var cutter = FrameCutter(maxFrameSize: 1 << 20, readTarget: target)
        for _ in 0..<FrameReadAllocator.pooled {
            var small = allocator.buffer(allocator: ByteBufferAllocator())
            small.writeBytes([0, 0, 0, 1, 9])
            _ = allocator.record(actualReadBytes: small.readableBytes)
            cutter.append(small)
            #expect(try cutter.next() == ByteBuffer(bytes: [9]))
        }
        cutter.append(frame.getSlice(at: 0, length: head)!)
        #expect(try cutter.next() == nil)
        return (cutter, allocator)
    }

    /// One socket read of `bytes` as NIO makes it; `dropped`: the read would block and NIO drops
    /// the buffer, then reads `bytes` into the next one.
    static func read(_ bytes: ByteBuffer, _ allocator: inout FrameReadAllocator, _ cutter: inout FrameCutter, dropped: Bool = false) -> ByteBuffer {
        var buffer = allocator.buffer(allocator: ByteBufferAllocator())
        if dropped { buffer = allocator.buffer(allocator: ByteBufferAllocator()) }
        buffer.writeImmutableBuffer(bytes)
        _ = allocator.record(actualReadBytes: bytes.readableBytes)
        cutter.append(buffer)
        return buffer
    }

    @Test func theRestLandsInPlaceAndTheFrameIsNotCopied() throws {
        var (cutter, allocator) = try Self.started(head: 10_000)
        #expect(allocator.nextBufferSize() == nil)               // NIO's pool reuses nothing of its own
        let rest = Self.frame.getSlice(at: 10_000, length: Self.frame.readableBytes - 10_000)!
        let landed = Self.read(rest, &allocator, &cutter)
        #expect(landed.readableBytes == Self.frame.readableBytes)  // the copied head, then the read
        let frame = try #require(try cutter.next())
        #expect(Array(frame.readableBytesView) == Self.payload)
        let at = { (b: ByteBuffer) in b.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } }
        #expect(at(frame) == at(landed) + 4)
        #expect(allocator.nextBufferSize() != nil)
    }

    @Test func aBufferNIODroppedLosesNothing() throws {
        var (cutter, allocator) = try Self.started(head: 70_000)
        let rest = Self.frame.getSlice(at: 70_000, length: Self.frame.readableBytes - 70_000)!
        _ = Self.read(rest, &allocator, &cutter, dropped: true)
        #expect(Array(try #require(try cutter.next()).readableBytesView) == Self.payload)
    }

    @Test func aPartialReadIsFollowedByCopiesNotANewOffer() throws {
        var (cutter, allocator) = try Self.started(head: 4)
        var rest = Self.frame.getSlice(at: 4, length: Self.frame.readableBytes - 4)!
        _ = Self.read(rest.readSlice(length: 50_000)!, &allocator, &cutter)
        #expect(try cutter.next() == nil)
        #expect(allocator.nextBufferSize() != nil)                // one offer a frame
        while rest.readableBytes > 0 {
            _ = Self.read(rest.readSlice(length: min(30_000, rest.readableBytes))!, &allocator, &cutter)
        }
        #expect(Array(try #require(try cutter.next()).readableBytesView) == Self.payload)
        // The next large frame is offered a buffer again, and a small one after it still cuts.
        var next = Self.frame
        next.writeImmutableBuffer(FrameDecoderTests.frame([1, 2, 3]))
        _ = Self.read(next.readSlice(length: 100)!, &allocator, &cutter)
        #expect(try cutter.next() == nil)
        #expect(allocator.nextBufferSize() == nil)
        _ = Self.read(next, &allocator, &cutter)
        #expect(Array(try #require(try cutter.next()).readableBytesView) == Self.payload)
        #expect(try cutter.next() == ByteBuffer(bytes: [1, 2, 3]))
        #expect(cutter.bufferedBytes == 0)
    }

    @Test func nothingIsOfferedWhileNIOsPoolStoresBuffersOrForSmallFrames() throws {
        let target = FrameReadTarget()
        let allocator = FrameReadAllocator(target: target)
        var cutter = FrameCutter(maxFrameSize: 1 << 20, readTarget: target)
        cutter.append(Self.frame.getSlice(at: 0, length: 100)!)
        #expect(try cutter.next() == nil)
        #expect(allocator.nextBufferSize() != nil)
        // Past the pooled reads, a 40 KB frame is still copied as it comes.
        let started = try Self.started(head: 0)
        var later = started.0
        later.append(FrameDecoderTests.frame([UInt8](repeating: 1, count: 40_000)).getSlice(at: 0, length: 10)!)
        #expect(try later.next() == nil)
        #expect(started.1.nextBufferSize() != nil)
    }
}

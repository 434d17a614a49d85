import NIOCore

/// The bytes a connection has read but not yet cut into request frames, and the cutting.
///
/// The channel handler feeds it socket reads and takes frames only while it is willing to handle
/// them, so a paused connection holds at most one socket read beyond its queued requests (NIO's
/// `ByteToMessageHandler` would cut and fire every frame of a read at once). Frames are cut by
/// ``FrameDecoder``, which refuses a bad size on its four bytes, before any body is buffered.
struct FrameCutter {
    private var unframed: ByteBuffer?
    private var decoder: FrameDecoder
    /// Consumed bytes kept at the front of the buffer before they are discarded.
    private let compactAfter: Int
    /// Where a large frame's rest can be read into place (plaintext connections).
    private let readTarget: FrameReadTarget?
    /// A buffer was offered for the frame being read: one offer a frame, so a slow sender's
    /// dribble is appended as it comes rather than offered again (which would copy the prefix).
    private var offered = false

    /// The smallest frame whose rest is offered a buffer of its own (``FrameReadTarget``).
    static let offerAbove = 64 << 10

    init(maxFrameSize: Int, compactAfter: Int = 1 << 20, readTarget: FrameReadTarget? = nil) {
        self.decoder = FrameDecoder(maxFrameSize: maxFrameSize)
        self.compactAfter = compactAfter
        self.readTarget = readTarget
    }

    /// The largest frame size accepted from now on (smaller before authentication).
    var maxFrameSize: Int {
        get { decoder.maxFrameSize }
        set { decoder.maxFrameSize = newValue }
    }

    /// Bytes read and not yet returned as frames (a partial frame, or frames not taken yet).
    var bufferedBytes: Int { unframed?.readableBytes ?? 0 }

    /// Adds a socket read.
    mutating func append(_ bytes: ByteBuffer) {
        if let readTarget, readTarget.take() {
            // The read landed in the buffer offered for it, after a copy of `unframed`.
            unframed = bytes
        } else if unframed == nil {
            unframed = bytes
        } else {
            var bytes = bytes
            // Room for the rest of the frame at once: a 1 MiB produce arriving in 64 KiB reads
            // is copied once, not again on every doubling of the buffer.
            if let size = unframed!.getInteger(at: unframed!.readerIndex, as: Int32.self), size > 0,
               Int(size) <= decoder.maxFrameSize {
                let missing = 4 + Int(size) - unframed!.readableBytes
                if missing > unframed!.writableBytes { unframed!.reserveCapacity(minimumWritableBytes: missing) }
            }
            unframed!.writeBuffer(&bytes)
        }
    }

    /// The next whole frame (without its size prefix), nil until one has arrived; throws
    /// ``FrameDecoder/InvalidFrameSize`` as soon as a bad size has been read.
    mutating func next() throws -> ByteBuffer? {
        guard var buffer = unframed else { return nil }
        unframed = nil
        defer {
            if buffer.readableBytes > 0 {
                if buffer.readerIndex > compactAfter { buffer.discardReadBytes() }
                unframed = buffer
            }
        }
        let frame = try decoder.decode(buffer: &buffer)
        if frame != nil {
            offered = false
        } else if !offered, let readTarget {
            offer(buffer, readTarget)
        }
        return frame
    }

    /// Offers a buffer with room for the whole frame `partial` starts, holding a copy of it.
    private mutating func offer(_ partial: ByteBuffer, _ readTarget: FrameReadTarget) {
        guard let size = partial.getInteger(at: partial.readerIndex, as: Int32.self) else { return }
        let whole = 4 + Int(size)
        guard whole >= Self.offerAbove, whole - partial.readableBytes >= Self.offerAbove / 2, readTarget.accepting else { return }
        var room = ByteBufferAllocator().buffer(capacity: whole)
        room.writeImmutableBuffer(partial)
        readTarget.offer(room)
        offered = true
    }

    /// Drops whatever is buffered (the connection is gone).
    mutating func reset() {
        unframed = nil
        _ = readTarget?.take()
    }
}

import NIOCore

/// A buffer offered for the next socket read of a plaintext connection: one with room for the
/// whole of a large request whose first bytes have arrived, holding a copy of them, so that the
/// rest of the request is read from the socket straight into place instead of being copied from
/// 64 KiB read buffers into one (a 1 MiB produce: 15% of the broker's CPU, as much as the kernel's
/// copy into the page cache). Kafka's `NetworkReceive` allocates a request's buffer once its size
/// is read and reads the rest into it; this is that, inside NIO's read loop.
///
/// The offer is only a hint: ``FrameCutter`` keeps the bytes it had until a read is known to have
/// landed in the offered buffer (``take()``), so a buffer NIO dropped (a read that would block) or
/// never used (a pooled buffer reused instead) loses nothing. Never on TLS: the socket's bytes are
/// ciphertext there, and the handler sees other buffers.
final class FrameReadTarget: @unchecked Sendable {
    // @unchecked Sendable: used only on the connection's event loop, where NIO calls the channel's
    // receive allocator and the channel handler runs; the allocator value must be Sendable.

    enum State {
        /// Nothing offered, or what was offered is gone.
        case none
        /// A buffer waits for the next read.
        case offered(ByteBuffer)
        /// NIO took the buffer for a read that has not returned bytes yet.
        case lent
        /// The last read landed in the offered buffer: the next `channelRead` carries it.
        case filled
    }

    private var state = State.none
    /// Buffers the allocator handed out; NIO's pool keeps the first for the channel's life
    /// (``FrameReadAllocator/pooled``), so nothing large is offered before it is taken.
    private var allocations = 0

    /// Whether a buffer may be offered: not while NIO's read pool would store it.
    var accepting: Bool { allocations >= FrameReadAllocator.pooled }

    /// Offers `buffer` for the next read.
    func offer(_ buffer: ByteBuffer) {
        state = .offered(buffer)
    }

    /// Whether the read just delivered landed in the offered buffer; clears the offer either way.
    func take() -> Bool {
        defer { state = .none }
        if case .filled = state { return true }
        return false
    }

    fileprivate func lend() -> ByteBuffer? {
        allocations &+= 1
        if case .offered(let buffer) = state {
            state = .lent
            return buffer
        }
        state = .none
        return nil
    }

    fileprivate var hasOffer: Bool {
        if case .offered = state { return true }
        return false
    }

    fileprivate func recorded() {
        if case .lent = state { state = .filled }
    }
}

/// NIO's adaptive receive allocator, except that a read goes into the buffer a connection's
/// ``FrameReadTarget`` offers when there is one.
struct FrameReadAllocator: RecvByteBufferAllocator {
    /// The channel's `maxMessagesPerRead` (NIO's default is 4), which is also how many read buffers
    /// NIO's `NIOPooledRecvBufferAllocator` stores, the first ones allocated, for the channel's
    /// life. With one, an offered buffer is never stored (it would be kept, and written through a
    /// copy), and the epoll is level-triggered, so a read that stops short loses nothing.
    static let pooled = 1

    private var adaptive = AdaptiveRecvByteBufferAllocator()
    let target: FrameReadTarget

    init(target: FrameReadTarget) {
        self.target = target
    }

    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        target.lend() ?? adaptive.buffer(allocator: allocator)
    }

    /// None while a buffer is offered: NIO's pool then reuses none of its own and asks
    /// ``buffer(allocator:)`` (given that ``record(actualReadBytes:)`` said the next may be larger).
    func nextBufferSize() -> Int? {
        target.hasOffer ? nil : adaptive.nextBufferSize()
    }

    mutating func record(actualReadBytes: Int) -> Bool {
        // NIO records a read's size right before it fires the read's buffer down the pipeline.
        target.recorded()
        _ = adaptive.record(actualReadBytes: actualReadBytes)
        return true
    }
}

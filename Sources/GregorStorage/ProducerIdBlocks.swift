import NIOCore
import Synchronization

/// Producer ids handed out from blocks that are recorded durably before any id of them is used,
/// as Kafka's controller allocates them (`ProducerIdControlManager`, KIP-730: blocks of 1,000
/// from 0, the next block's start kept in the metadata log as a ProducerIdsRecord). Here that
/// start is kept in `__gregor_producer_ids` in the first log dir, so no id is handed out twice,
/// whether the broker stopped cleanly or crashed; a restart skips the rest of the block it held.
public final class ProducerIdBlocks: Sendable {
    /// `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`.
    public static let blockSize: Int64 = 1000
    public static let fileName = "__gregor_producer_ids"

    private struct State {
        var next: Int64
        /// The end (exclusive) of the block recorded; `next == end` means none is held.
        var end: Int64
        /// Blocks granted by a cluster's metadata store and not yet started (nil alone).
        var granted: [Int64]?
    }

    let path: String
    private let state: Mutex<State>

    /// A broker in a cluster: blocks come from the metadata store, granted ahead of use with
    /// ``grant(blockStart:)``, since ids must be unique across the brokers.
    public init(granted: Void) {
        path = ""
        state = Mutex(State(next: 0, end: 0, granted: []))
    }

    /// Adds a block allocated by the cluster (see ``init(granted:)``).
    public func grant(blockStart: Int64) {
        state.withLock { $0.granted?.append(blockStart) }
    }

    /// Granted blocks not yet started: the cluster grants another when none is left.
    public var spareBlocks: Int { state.withLock { $0.granted?.count ?? 0 } }

    /// Reads where the next block starts; a missing file means no id was ever handed out.
    /// Refuses a file it cannot read rather than hand out ids again.
    public init(directory: String) throws(StorageError) {
        path = directory + "/" + Self.fileName
        var start: Int64 = 0
        if FS.exists(path) {
            guard let file = try? OpenFile(path: path, create: false), let size = try? file.size(),
                let bytes = try? file.read(at: 0, length: Int(size)),
                let line = String(buffer: bytes).split(separator: "\n").first(where: { $0.hasPrefix("next.block.start=") }),
                let value = Int64(line.dropFirst("next.block.start=".count)), value >= 0
            else { throw StorageError(.invalid("\(path) does not say where the next producer id block starts"), path: path) }
            start = value
        }
        state = Mutex(State(next: start, end: start))
    }

    /// The next producer id. When the block is used up, the next one is recorded first; if that
    /// write fails, no id is handed out.
    public func next() throws(StorageError) -> Int64 {
        try state.withLock { (s: inout State) throws(StorageError) -> Int64 in
            if s.next >= s.end, var granted = s.granted {
                guard !granted.isEmpty else { throw StorageError(.invalid("no producer id block granted by the cluster yet"), path: path) }
                s.next = granted.removeFirst()
                s.end = s.next + Self.blockSize
                s.granted = granted
            } else if s.next >= s.end {
                let end = s.next + Self.blockSize
                try FS.writeAtomically(ByteBuffer(string: "version=1\nnext.block.start=\(end)\n"), to: path)
                s.end = end
            }
            defer { s.next += 1 }
            return s.next
        }
    }
}

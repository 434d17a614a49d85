#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The cleaner's key → latest offset map over the dirty part of a log (Kafka's `SkimpyOffsetMap`),
/// bounded by a memory budget (Kafka's `log.cleaner.dedupe.buffer.size`).
///
/// Kafka stores a 16-byte MD5 of each key and accepts the (tiny) risk that two keys collide and
/// one of them loses its latest value. This map stores the key bytes themselves in one arena, so
/// lookups are exact; an entry costs its key plus about 40 bytes, and no per-key allocation.
struct OffsetMap {
    /// Open-addressing table: 0 is empty, otherwise an entry index plus one.
    private var slots: [Int32]
    private var hashes: [Int] = []
    private var keyStarts: [Int] = []
    private var keyLengths: [Int32] = []
    private var offsets: [Int64] = []
    private var arena: [UInt8] = []
    /// The budget in bytes across the table, the entries and the key arena.
    let memoryLimit: Int

    static let bytesPerEntry = 8 + 8 + 4 + 8
    /// Table slots per entry kept at least this many, so probes stay short.
    static let slotsPerEntry = 2

    init(memoryLimit: Int) {
        self.memoryLimit = max(memoryLimit, 4096)
        self.slots = Array(repeating: 0, count: 1024)
    }

    var count: Int { offsets.count }

    /// Bytes in use (with the table sized for the entries present).
    var bytesUsed: Int {
        count * (Self.bytesPerEntry + 4 * Self.slotsPerEntry) + arena.count
    }

    /// Whether `keys` more entries holding `keyBytes` bytes of keys fit in the budget.
    func canFit(keys: Int, keyBytes: Int) -> Bool {
        bytesUsed + keys * (Self.bytesPerEntry + 4 * Self.slotsPerEntry) + keyBytes <= memoryLimit
    }

    /// Records `offset` as the latest for `key` (offsets arrive in increasing order).
    mutating func put(_ key: ByteBuffer, offset: Int64) {
        let hash = Self.hash(key)
        if let entry = find(key, hash: hash) {
            offsets[entry] = offset
            return
        }
        if (count + 1) * Self.slotsPerEntry > slots.count { grow() }
        hashes.append(hash)
        keyStarts.append(arena.count)
        keyLengths.append(Int32(key.readableBytes))
        offsets.append(offset)
        arena.append(contentsOf: key.readableBytesView)
        insertSlot(entry: count - 1, hash: hash)
    }

    /// The latest offset recorded for `key`, or nil.
    func get(_ key: ByteBuffer) -> Int64? {
        find(key, hash: Self.hash(key)).map { offsets[$0] }
    }

    private func find(_ key: ByteBuffer, hash: Int) -> Int? {
        let mask = slots.count - 1
        var i = hash & mask
        while slots[i] != 0 {
            let entry = Int(slots[i] - 1)
            if hashes[entry] == hash && equals(entry, key) { return entry }
            i = (i + 1) & mask
        }
        return nil
    }

    private func equals(_ entry: Int, _ key: ByteBuffer) -> Bool {
        let length = Int(keyLengths[entry])
        guard length == key.readableBytes else { return false }
        let start = keyStarts[entry]
        return arena.withUnsafeBytes { stored in
            key.withUnsafeReadableBytes { given in
                length == 0 || memcmp(stored.baseAddress! + start, given.baseAddress!, length) == 0
            }
        }
    }

    private mutating func insertSlot(entry: Int, hash: Int) {
        let mask = slots.count - 1
        var i = hash & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = Int32(entry + 1)
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        for entry in 0..<count { insertSlot(entry: entry, hash: hashes[entry]) }
    }

    private static func hash(_ key: ByteBuffer) -> Int {
        var hasher = Hasher()
        key.withUnsafeReadableBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}

import NIOCore

/// Kafka's offset checkpoint files (`recovery-point-offset-checkpoint`,
/// `log-start-offset-checkpoint`): a version line `0`, a count line, then `topic partition offset`
/// lines. Written atomically, so a crash leaves the old or the new file, never half of one.
public enum OffsetCheckpoint {
    public static func read(_ path: String) -> [TopicPartition: Int64] {
        guard FS.exists(path), let file = try? OpenFile(path: path, create: false),
            let size = try? file.size(), let bytes = try? file.read(at: 0, length: Int(size))
        else { return [:] }
        let lines = String(buffer: bytes).split(separator: "\n")
        guard lines.count >= 2, lines[0] == "0", let count = Int(lines[1]), lines.count - 2 == count else { return [:] }
        var out: [TopicPartition: Int64] = [:]
        for line in lines.dropFirst(2) {
            let parts = line.split(separator: " ")
            guard parts.count == 3, let p = Int32(parts[1]), let o = Int64(parts[2]) else { return [:] }
            out[TopicPartition(String(parts[0]), p)] = o
        }
        return out
    }

    public static func write(_ offsets: [TopicPartition: Int64], to path: String) throws(StorageError) {
        var text = "0\n\(offsets.count)\n"
        for tp in offsets.keys.sorted() { text += "\(tp.topic) \(tp.partition) \(offsets[tp]!)\n" }
        try FS.writeAtomically(ByteBuffer(string: text), to: path)
    }
}

import NIOCore

/// Kafka's `CheckpointFile`: a version line, a line with the number of entries, then one entry
/// per line. Written to `<path>.tmp`, fsynced and renamed over `path`, so a crash leaves the old
/// file or the new one, never half of one.
enum CheckpointFile {
    static func encode(version: Int, entries: [String]) -> ByteBuffer {
        var text = "\(version)\n\(entries.count)\n"
        for entry in entries { text += entry + "\n" }
        return ByteBuffer(string: text)
    }

    /// The entry lines of the file at `path`, each split at whitespace (Kafka's formatters split
    /// at `\s+`); nil when there is no such file. An empty file holds no entries, as Kafka's
    /// `CheckpointReadBuffer` reads it; another version or a count that does not match the lines
    /// is malformed.
    static func read(_ path: String, version: Int) throws(StorageError) -> [[Substring]]? {
        guard FS.exists(path) else { return nil }
        let file = try OpenFile(path: path, create: false)
        let text = String(buffer: try file.read(at: 0, length: Int(try file.size())))
        guard !text.isEmpty else { return [] }
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .dropLast(text.last?.isNewline == true ? 1 : 0)
        guard let first = lines.first else { return [] }
        func malformed(_ why: String) -> StorageError { StorageError(.invalid("malformed checkpoint file: \(why)"), path: path) }
        guard Int(first) == version else { throw malformed("version \(first), expected \(version)") }
        guard lines.count > 1 else { return [] }
        guard let count = Int(lines[lines.startIndex + 1]) else { throw malformed("entry count \(lines[lines.startIndex + 1])") }
        let entries = lines.dropFirst(2).map { $0.split(whereSeparator: \.isWhitespace) }
        guard entries.count == count else { throw malformed("expected \(count) entries, found \(entries.count)") }
        return entries
    }
}

/// Kafka's offset checkpoint files (`recovery-point-offset-checkpoint`,
/// `log-start-offset-checkpoint`, `replication-offset-checkpoint`): version `0`, then
/// `topic partition offset` lines.
public enum OffsetCheckpoint {
    static let version = 0

    /// The offsets in the file; empty when it is missing or malformed.
    public static func read(_ path: String) -> [TopicPartition: Int64] {
        guard let entries = try? CheckpointFile.read(path, version: version) else { return [:] }
        var out: [TopicPartition: Int64] = [:]
        for parts in entries {
            guard parts.count == 3, let p = Int32(parts[1]), let o = Int64(parts[2]) else { return [:] }
            out[TopicPartition(String(parts[0]), p)] = o
        }
        return out
    }

    public static func write(_ offsets: [TopicPartition: Int64], to path: String) throws(StorageError) {
        let lines = offsets.keys.sorted().map { "\($0.topic) \($0.partition) \(offsets[$0]!)" }
        try FS.writeAtomically(CheckpointFile.encode(version: version, entries: lines), to: path)
    }
}

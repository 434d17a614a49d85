/// A partition's `leader-epoch-checkpoint`, in Kafka's `LeaderEpochCheckpointFile` format so a
/// log dir moves between Gregor and Kafka brokers:
///
///     0            version
///     2            number of entries
///     0 0          leader epoch, start offset
///     3 1200
///
/// Written in full after every change, through a `.tmp` file that is fsynced and renamed.
enum LeaderEpochCheckpoint {
    static let fileName = "leader-epoch-checkpoint"
    static let version = 0

    static func path(_ directory: String) -> String { directory + "/" + fileName }

    static func encode(_ entries: [EpochEntry]) -> [String] {
        entries.map { "\($0.epoch) \($0.startOffset)" }
    }

    /// The entries of the file in `directory`; nil when there is none. A malformed file throws.
    static func read(directory: String) throws(StorageError) -> [EpochEntry]? {
        let p = path(directory)
        guard let lines = try CheckpointFile.read(p, version: version) else { return nil }
        var entries: [EpochEntry] = []
        for parts in lines {
            guard parts.count == 2, let epoch = Int32(parts[0]), let offset = Int64(parts[1]), epoch >= 0, offset >= 0 else {
                throw StorageError(.invalid("malformed leader epoch entry '\(parts.joined(separator: " "))'"), path: p)
            }
            entries.append(EpochEntry(epoch: epoch, startOffset: offset))
        }
        return entries
    }

    static func write(_ entries: [EpochEntry], directory: String) throws(StorageError) {
        try FS.writeAtomically(CheckpointFile.encode(version: version, entries: encode(entries)), to: path(directory))
    }
}

/// The pinned specs' checksums, in `sha256sum` format so `sha256sum -c` can read the file too.
public struct Checksums: Equatable {
    /// File name to lowercase hex SHA-256.
    public var entries: [String: String]

    public init(entries: [String: String]) {
        self.entries = entries
    }

    public init(parsing text: String) throws {
        var entries: [String: String] = [:]
        for (n, line) in text.split(separator: "\n").enumerated() where !line.hasPrefix("#") && !line.isEmpty {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].count == 64 else {
                throw SpecError(file: "specs.sha256", field: nil, reason: "line \(n + 1) is not '<sha256>  <file>'")
            }
            entries[parts[1].trimmed(" ").replacingPrefix("*", with: "")] = parts[0].lowercased()
        }
        self.entries = entries
    }

    public var text: String {
        entries.keys.sorted().map { "\(entries[$0]!)  \($0)" }.joined(separator: "\n") + "\n"
    }

    /// What differs between the pinned checksums and `actual`, one line per file; empty when they match.
    public func differences(from actual: Checksums) -> [String] {
        var out: [String] = []
        for name in Set(entries.keys).union(actual.entries.keys).sorted() {
            switch (entries[name], actual.entries[name]) {
            case (nil, _?): out.append("\(name): not in the pin")
            case (_?, nil): out.append("\(name): missing from the spec directory")
            case let (a?, b?) where a != b: out.append("\(name): checksum \(b) differs from the pinned \(a)")
            default: break
            }
        }
        return out
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}

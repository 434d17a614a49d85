import KafkaProtocol

extension SupportedApis {
    /// The README's compatibility table, from the same table that feeds ApiVersions (a test
    /// keeps the README in step with it).
    public static func markdownTable() -> String {
        var lines = ["| API | Key | Versions | Kafka 4.0 spec |", "|---|---|---|---|"]
        for e in all.entries.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let spec = e.key.validVersions.map { "\($0.lowerBound)-\($0.upperBound)" } ?? "?"
            lines.append("| \(e.key.name) | \(e.key.rawValue) | \(e.versions.lowerBound)-\(e.versions.upperBound) | \(spec) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

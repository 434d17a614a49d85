import KafkaProtocol

extension SupportedApis {
    /// The README's compatibility table, from the same table that feeds ApiVersions (a test
    /// keeps the README in step with it): Gregor's range, Kafka 4.3's, and the versions below
    /// 4.3's that Gregor keeps serving for pre-2.1 clients (KIP-896 removed them from Kafka 4).
    public static func markdownTable() -> String {
        var lines = ["| API | Key | Gregor | Kafka 4.3 | Kept from before Kafka 4 |", "|---|---|---|---|---|"]
        func text(_ r: ClosedRange<Int16>?) -> String {
            r.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" } ?? "-"
        }
        for e in all.entries.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let kafka = e.key.kafkaVersions
            let kept = kafka.flatMap { k in e.versions.lowerBound < k.lowerBound ? e.versions.lowerBound...(k.lowerBound - 1) : nil }
            lines.append("| \(e.key.name) | \(e.key.rawValue) | \(text(e.versions)) | \(text(kafka)) | \(text(kept)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

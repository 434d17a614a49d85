/// The APIs whose messages go into `KafkaProtocol`, the codec the broker and client are built
/// with (`ProtocolSpecs/served-apis.txt`). The other APIs' messages (KRaft's and the controller's,
/// share groups, streams groups…) go into `KafkaProtocolUnserved`, which only the codec's tests
/// build: the broker's release build optimises half the generated code it would otherwise.
public struct ServedApis: Sendable {
    /// Each listed API key with the name the list gives it.
    public let names: [Int: String]
    /// The file the list came from, for errors.
    public let file: String

    /// Parses lines of `KEY NAME`; `#` starts a comment, blank lines are skipped.
    public init(parsing text: String, file: String) throws {
        var names: [Int: String] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.isEmpty { continue }
            guard words.count == 2, let key = Int(words[0]), key >= 0 else {
                throw SpecError(file: file, field: nil, reason: "line \(i + 1): expected 'KEY NAME', got '\(raw)'")
            }
            guard names.updateValue(String(words[1]), forKey: key) == nil else {
                throw SpecError(file: file, field: nil, reason: "line \(i + 1): API key \(key) listed twice")
            }
        }
        self.names = names
        self.file = file
    }

    /// Whether `spec` belongs in `KafkaProtocol`: a request or response of a listed API, or any
    /// message of another kind (headers, data messages such as the group and transaction records,
    /// and KRaft's metadata records): they are small, and the broker reads several.
    public func includes(_ spec: MessageSpec) -> Bool {
        guard spec.kind == .request || spec.kind == .response, let key = spec.apiKey else { return true }
        return names[key] != nil
    }
}

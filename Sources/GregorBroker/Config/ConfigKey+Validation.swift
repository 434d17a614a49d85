// ConfigDef's parsing and validators, in ConfigException's words, for the Alter* handlers and
// CreateTopics; and ConfigDef.convertToString, how Kafka prints a value once parsed.

extension ConfigKey {
    /// Why `value` is not acceptable, in ConfigException's words; nil when it is.
    func problem(with value: String) -> String? {
        let v = value.trimmed
        switch type {
        case .boolean:
            if v.lowercased() != "true" && v.lowercased() != "false" { return "Expected value to be either true or false" }
        case .int:
            guard let n = Int32(v) else { return "Not a number of type INT" }
            return problem(number: Double(n))
        case .long:
            guard let n = Int64(v) else { return "Not a number of type LONG" }
            if case .atLeast(let min) = rule, n < min { return "Value must be at least \(min)" }
        case .double:
            guard let d = Double(v) else { return "Not a number of type DOUBLE" }
            return problem(number: d)
        case .string:
            if case .oneOf(let allowed) = rule, !allowed.contains(v) { return "String must be one of: \(allowed.joined(separator: ", "))" }
            if case .kafkaVersion = rule, !Self.isKafkaVersion(v) { return "Version \(v) is not a valid version" }
        case .list:
            let items = Self.listItems(v)
            if case .oneOf(let allowed) = rule, let bad = items.first(where: { !allowed.contains($0) }) {
                return "Invalid value \(bad) for configuration \(name): String must be one of: \(allowed.joined(separator: ", "))"
            }
            if case .replicaList = rule, items != ["*"] {
                let pair = items.allSatisfy { item in
                    let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                    return parts.count == 2 && Int32(String(parts[0]).trimmed) != nil && Int32(String(parts[1]).trimmed) != nil
                }
                if !pair { return "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..." }
            }
        default: break
        }
        return nil
    }

    private func problem(number n: Double) -> String? {
        switch rule {
        case .atLeast(let min) where n < Double(min): return "Value must be at least \(min)"
        case .between(let lo, _) where n < lo: return "Value must be no less than \(Self.text(lo))"
        case .between(_, let hi) where n > hi: return "Value must be no more than \(Self.text(hi))"
        case .gzipLevel where n != -1 && !(1...9).contains(n): return "Value must be between 1 and 9 or equal to -1"
        default: return nil
        }
    }

    /// The value as Kafka prints it once parsed (`ConfigDef.convertToString`): trimmed, list items
    /// joined by commas, booleans in lower case.
    func normalized(_ value: String) -> String {
        let v = value.trimmed
        switch type {
        case .boolean: return v.lowercased()
        case .int, .long, .short: return Int64(v).map { "\($0)" } ?? v
        case .double: return Double(v).map { "\($0)" } ?? v
        case .list: return Self.listItems(v).joined(separator: ",")
        default: return v
        }
    }

    /// ConfigDef's LIST parsing: comma-separated, whitespace around items ignored, "" is empty.
    static func listItems(_ value: String) -> [String] {
        let v = value.trimmed
        return v.isEmpty ? [] : v.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmed }
    }

    private static func text(_ d: Double) -> String { d == d.rounded() ? "\(Int64(d))" : "\(d)" }
}

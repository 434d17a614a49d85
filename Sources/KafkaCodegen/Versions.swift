/// A spec version range: `"3+"`, `"0-2"`, `"5"` or `"none"`.
public struct Versions: Hashable, Sendable, CustomStringConvertible {
    /// Inclusive bounds; `nil` for "none".
    public var range: ClosedRange<Int>?

    public static let none = Versions(range: nil)
    public static let all = Versions(range: 0...Int(Int16.max))

    public init(range: ClosedRange<Int>?) {
        self.range = range
    }

    /// Parses the spec syntax; nil when it is not valid.
    public init?(parsing text: String) {
        let t = text.trimmed(" ")
        if t == "none" { self.range = nil; return }
        if t.hasSuffix("+"), let lo = Int(t.dropLast()), lo >= 0 {
            self.range = lo...Int(Int16.max)
            return
        }
        let parts = t.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 2, let lo = Int(parts[0]), let hi = Int(parts[1]), lo >= 0, lo <= hi {
            self.range = lo...hi
            return
        }
        if let v = Int(t), v >= 0 { self.range = v...v; return }
        return nil
    }

    public var isEmpty: Bool { range == nil }
    public var lowest: Int? { range?.lowerBound }
    public var highest: Int? { range?.upperBound }

    public func contains(_ v: Int) -> Bool { range?.contains(v) ?? false }

    public func intersection(_ other: Versions) -> Versions {
        guard let a = range, let b = other.range else { return .none }
        let lo = max(a.lowerBound, b.lowerBound)
        let hi = min(a.upperBound, b.upperBound)
        return lo <= hi ? Versions(range: lo...hi) : .none
    }

    /// True when every version of `other` is in `self`.
    public func covers(_ other: Versions) -> Bool {
        guard let b = other.range else { return true }
        guard let a = range else { return false }
        return a.lowerBound <= b.lowerBound && b.upperBound <= a.upperBound
    }

    public var description: String {
        guard let r = range else { return "none" }
        if r.upperBound == Int(Int16.max) { return "\(r.lowerBound)+" }
        if r.lowerBound == r.upperBound { return "\(r.lowerBound)" }
        return "\(r.lowerBound)-\(r.upperBound)"
    }

    /// A Swift condition on `version` that holds exactly for the versions of `self` within
    /// `context` (the versions the code can run at): `nil` when always true, `"false"` when never.
    /// Branches that are always true or false disappear, as in Kafka's `VersionConditional`.
    public func condition(within context: Versions, variable: String = "version") -> String? {
        let live = self.intersection(context)
        guard let r = live.range else { return "false" }
        guard let c = context.range else { return "false" }
        var parts: [String] = []
        if r.lowerBound > c.lowerBound { parts.append("\(variable) >= \(r.lowerBound)") }
        if r.upperBound < c.upperBound { parts.append("\(variable) <= \(r.upperBound)") }
        return parts.isEmpty ? nil : parts.joined(separator: " && ")
    }
}

extension String {
    func trimmed(_ chars: Character) -> String {
        var s = Substring(self)
        while s.first == chars { s = s.dropFirst() }
        while s.last == chars { s = s.dropLast() }
        return String(s)
    }
}

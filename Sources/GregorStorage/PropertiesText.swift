/// The line format of Java's `.properties` files as Kafka's own files use it: `key=value` or
/// `key: value`, `#` and `!` comments, blank lines. Shared by server.properties and a log dir's
/// meta.properties, which differ only in a line without a separator: ignored in server.properties
/// (Java's loader would take it as a key with an empty value), corrupt in meta.properties.
public enum PropertiesText {
    public enum Line: Equatable, Sendable {
        case entry(key: String, value: String)
        case malformed(String)
    }

    /// The entries and malformed lines of `text`, in order; comments and blank lines dropped.
    public static func lines(_ text: String) -> [Line] {
        var out: [Line] = []
        // `isNewline`, not `== "\n"`: a CRLF file's "\r\n" is one Character in Swift.
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            guard let first = line.first, first != "#", first != "!" else { continue }
            guard let sep = line.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                out.append(.malformed(String(raw)))
                continue
            }
            out.append(.entry(key: trim(line[..<sep]), value: trim(line[line.index(after: sep)...])))
        }
        return out
    }

    private static func trim(_ s: Substring) -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(s.drop(while: blank).reversed().drop(while: blank).reversed())
    }
}

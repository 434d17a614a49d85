/// Turning spec names into Swift identifiers and literals.
enum SwiftNames {
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "as", "false", "is", "nil", "self", "super", "throws", "true",
        "try", "Any", "Self", "Type",
    ]

    /// `TopicData` -> `topicData`, `ACLs` -> `acls`, `UUID` -> `uuid`.
    static func property(_ specName: String) -> String {
        let chars = Array(specName)
        var upperRun = 0
        while upperRun < chars.count, chars[upperRun].isUppercase { upperRun += 1 }
        let cut: Int
        if upperRun <= 1 || upperRun == chars.count { cut = upperRun }
        else if chars[upperRun].isLowercase && chars[upperRun] != "s" { cut = upperRun - 1 }
        else { cut = upperRun }
        return String(chars[0..<cut]).lowercased() + String(chars[cut...])
    }

    /// The identifier as it can stand in a declaration or a parameter.
    static func escaped(_ identifier: String) -> String {
        keywords.contains(identifier) ? "`\(identifier)`" : identifier
    }

    /// A Swift string literal.
    static func stringLiteral(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// `Produce` -> `produce`, `AddOffsetsToTxn` -> `addOffsetsToTxn`.
    static func caseName(_ apiName: String) -> String { property(apiName) }

    /// A doc comment line from spec text (which may span several lines in the JSON).
    static func doc(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String($0).trimmed(" ") }.joined(separator: " ")
    }
}

/// Accumulates indented lines of Swift.
final class CodeWriter {
    private(set) var lines: [String] = []
    private var depth = 0

    func line(_ text: String = "") {
        lines.append(text.isEmpty ? "" : String(repeating: "    ", count: depth) + text)
    }

    /// Writes `open`, the body one level deeper, then `close`.
    func block(_ open: String, close: String = "}", _ body: () -> Void) {
        line(open)
        depth += 1
        body()
        depth -= 1
        line(close)
    }

    func append(_ other: [String]) {
        for l in other { lines.append(l.isEmpty ? "" : String(repeating: "    ", count: depth) + l) }
    }

    var text: String { lines.joined(separator: "\n") + "\n" }
}

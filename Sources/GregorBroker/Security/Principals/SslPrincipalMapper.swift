/// Why a principal-mapping rule list was refused, or why a name could not be mapped. Shared by
/// `SslPrincipalMapper` and `KerberosShortNamer`; `kind` says which of Kafka's exceptions it stands for.
struct PrincipalMappingError: Error, Equatable, CustomStringConvertible {
    /// Which of Kafka's exceptions the error stands for.
    enum Kind: Sendable, Equatable {
        /// A rule list Kafka refuses when the config is read (`IllegalArgumentException`).
        case invalidRule
        /// No rule produced a name (`NoMatchingRule`), or a Kerberos rule produced one containing `/` or `@`.
        case noMatchingRule
        /// A Kerberos rule's `[n:format]` names a component the principal lacks, or has a `$` without digits (`BadFormatString`).
        case badFormat
        /// A principal Kafka cannot parse (`KerberosName.parse`: an `@` but not `primary[/instance]@REALM`).
        case malformedName
        /// A replacement Java's `Matcher` rejects while mapping (`$` without a group, `$9` past the last group, a
        /// trailing `\`): a runtime exception in Kafka, so the rule fails instead of falling through to the next.
        case badReplacement
    }

    let kind: Kind
    /// The message, worded as Kafka's where it has one.
    let description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// Kafka's `ssl.principal.mapping.rules` (KIP-371): maps a client certificate's subject, as
/// `X500Principal.getName()` prints it (`CN=alice,OU=eng,O=Example,C=US`), to a short name.
///
/// The value is a comma-separated list of `DEFAULT` (the DN unchanged) and `RULE:pattern/replacement/`
/// with an optional `L` or `U` after the last slash. The first rule whose pattern matches the whole DN
/// gives the name.
struct SslPrincipalMapper: Sendable, Equatable, CustomStringConvertible {
    /// What a rule does to the case of its result (Java's `toLowerCase`/`toUpperCase(Locale.ENGLISH)`).
    enum CaseChange: Sendable, Equatable {
        case none, lower, upper
    }

    /// One entry of the list.
    enum Rule: Sendable, Equatable, CustomStringConvertible {
        /// `DEFAULT`: the DN as it is.
        case `default`
        /// `RULE:pattern/replacement/[L|U]`; `pattern` is a Java regex, `replacement` uses Java's `$n` and `\x`.
        case replace(pattern: String, replacement: String, caseChange: CaseChange)

        /// As Kafka's `Rule.toString()` prints it: the trailing slash is dropped, so `RULE://` prints `RULE:/`.
        var description: String {
            switch self {
            case .default: return "DEFAULT"
            case .replace(let pattern, let replacement, let caseChange):
                let suffix = caseChange == .lower ? "/L" : caseChange == .upper ? "/U" : ""
                return "RULE:\(pattern)/\(replacement)\(suffix)"
            }
        }
    }

    /// The value Kafka uses when the property is unset.
    static let defaultRules = "DEFAULT"
    /// The mapper of `DEFAULT`: the subject unchanged.
    static let defaultMapper = SslPrincipalMapper(default: ())

    private init(default: Void) {
        rules = [.default]
    }

    // Kafka splits the list with one regex and parses each piece with another; both are kept verbatim
    // because the splitting is defined by them: a rule ends at the first comma after its second unescaped
    // slash, anything unparseable becomes a piece of its own (the last alternative), and empty pieces are dropped.
    private static let rulePattern = #"(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)"#
    private static let splitterPattern = #"\s*("# + rulePattern + #")\s*(,\s*|$)"#

    /// The parsed rules, in order; empty when the value held only commas and blanks.
    let rules: [Rule]

    /// Parses a rule list; `nil` means the property is unset (`DEFAULT`).
    init(rules text: String? = nil) throws(PrincipalMappingError) {
        let splitter = Self.builtIn(Self.splitterPattern)
        let parser = Self.builtIn(Self.rulePattern)
        let trimmed = JavaCompat.trim(text ?? Self.defaultRules)
        var parsed: [Rule] = []
        // Java's find() loop: a newline inside the list is matched by no alternative (`.` stops at it), so
        // the search skips ahead and every rule before the last newline is silently dropped.
        for piece in trimmed.matches(of: splitter) {
            guard let range = piece.output[1].range else { continue }
            let rule = String(trimmed.unicodeScalars[range])
            // lookingAt() always succeeds (the last alternative matches nothing), so what matters is how far.
            guard let match = rule.prefixMatch(of: parser), match.range.upperBound == rule.endIndex else {
                let end = rule.prefixMatch(of: parser)?.range.upperBound ?? rule.startIndex
                throw PrincipalMappingError(
                    .invalidRule, "Invalid rule: `\(rule)`, unmatched substring: `\(String(rule.unicodeScalars[end...]))`")
            }
            if match.output[1].range != nil {
                parsed.append(.default)
            } else if let p = match.output[2].range, let r = match.output[4].range {
                let pattern = String(rule.unicodeScalars[p])
                do {
                    _ = try JavaCompat.compile(pattern)
                } catch {
                    throw PrincipalMappingError(.invalidRule, "Invalid rule: `\(rule)`: bad pattern: \(error)")
                }
                let flag = match.output[6].range.map { String(rule.unicodeScalars[$0]) }
                parsed.append(.replace(pattern: pattern, replacement: String(rule.unicodeScalars[r]),
                                       caseChange: flag == "L" ? .lower : flag == "U" ? .upper : .none))
            }
            // Otherwise the piece was empty: Kafka ignores it.
        }
        self.rules = parsed
    }

    /// The short name for a distinguished name: the first rule that applies decides.
    func name(for distinguishedName: String) throws(PrincipalMappingError) -> String {
        for rule in rules {
            if let name = try Self.apply(rule, to: distinguishedName) { return name }
        }
        throw PrincipalMappingError(.noMatchingRule, "No rules apply to \(distinguishedName), rules \(Self.list(rules))")
    }

    /// As Kafka's `toString()`: `SslPrincipalMapper(rules = [RULE:…/…, DEFAULT])`; its tests read the splitting from it.
    var description: String { "SslPrincipalMapper(rules = \(Self.list(rules)))" }

    private static func list(_ rules: [Rule]) -> String { "[" + rules.map(\.description).joined(separator: ", ") + "]" }

    private static func apply(_ rule: Rule, to dn: String) throws(PrincipalMappingError) -> String? {
        guard case .replace(let pattern, let replacement, let caseChange) = rule else { return dn }
        // Validated by init, so compiling again cannot fail; kept as strings because Regex is not Sendable.
        guard let regex = try? JavaCompat.compile(pattern), let whole = dn.wholeMatch(of: regex) else { return nil }
        // Kafka checks matches() but then rewrites with replaceAll(), which also replaces any later match:
        // `RULE:(.*)/x$1/` turns `CN=a` into `xCN=ax`, the second `x` from the empty match at the end.
        let escaped = try escapeLiteralBackReferences(replacement, groups: whole.output.count - 1)
        let result = try JavaCompat.replace(in: dn, regex, with: escaped, all: true)
        switch caseChange {
        case .none: return result
        case .lower: return JavaCompat.lowercase(result)
        case .upper: return result.uppercased()
        }
    }

    /// Kafka's (from NiFi) pre-pass over the replacement: `$n` naming a group the pattern lacks becomes the
    /// literal `\$n`, after shortening `$123` to `$12` or `$1` while that is still too many. Quirks kept:
    /// a pattern with no groups skips the pass (so `$1` then fails at mapping time), `$0…` is left alone,
    /// and each insertion uses offsets in the original text, so after the first escape later ones land one
    /// character early per earlier escape.
    static func escapeLiteralBackReferences(_ text: String, groups: Int) throws(PrincipalMappingError) -> String {
        guard groups > 0 else { return text }
        let original = Array(text.unicodeScalars)
        var value = original
        var i = 0
        while i < original.count {
            guard original[i] == "$", i + 1 < original.count, JavaCompat.isDigit(original[i + 1]) else {
                i += 1
                continue
            }
            let start = i + 1
            var end = start
            while end < original.count, JavaCompat.isDigit(original[end]) { end += 1 }
            defer { i = end }
            let digits = String(String.UnicodeScalarView(original[start..<end]))
            if digits.hasPrefix("0") { continue }
            // Integer.parseInt: more than 2^31-1 throws NumberFormatException out of the mapping.
            guard var index = Int32(digits).map(Int.init) else {
                throw PrincipalMappingError(.badReplacement, "For input string: \"\(digits)\"")
            }
            while index > groups && index >= 10 { index /= 10 }
            if index > groups {
                let at = min(start - 1, value.count)
                value.insert("\\", at: at)
            }
        }
        return String(String.UnicodeScalarView(value))
    }

    private static func builtIn(_ pattern: String) -> Regex<AnyRegexOutput> {
        do { return try JavaCompat.compile(pattern) } catch { fatalError("built-in pattern \(pattern): \(error)") }
    }
}

/// The parts of Java the two mappers rely on (`java.util.regex` over Swift's `Regex`, `trim`, `toLowerCase`).
///
/// Options bring Swift closer to Java's defaults: matching by Unicode scalar (Java matches code points,
/// Swift grapheme clusters), ASCII-only `\d \s \w`, and `\b` defined by `\w` (as in Java 19+; Java 17 also
/// counts non-ASCII letters). Differences that remain, all in what a pattern means, none in the rule syntax:
/// - refused by Swift, accepted by Java (so the rule list is refused): lookbehind, `\p{javaLowerCase}`-style
///   classes, `\1` naming no group, quantifiers with nothing to repeat or stacked (`{2}` first, `a+{2}`);
/// - accepted by Swift, refused by Java: `\x` and `\0` without digits, `\y`, `\Y`;
/// - `$` matches only at the very end (Java also before a final line terminator), `(?i)` folds all of
///   Unicode (Java only ASCII without `(?u)`), `\p{Alpha}` is Unicode (ASCII in Java), and `[[:alpha:]]`
///   is a POSIX class (in Java a set of the characters `:alph`).
enum JavaCompat {
    /// Compiles a Java pattern; throws where Java's `Pattern.compile` would (within the limits above).
    static func compile(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        try Regex(translate(pattern)).matchingSemantics(.unicodeScalar).asciiOnlyCharacterClasses().wordBoundaryKind(.simple)
    }

    /// A pattern Java refuses that Swift would have taken.
    struct SyntaxError: Error, CustomStringConvertible {
        let description: String
    }

    /// Two syntax differences worth bridging: Java reads `\é` (backslash, non-ASCII) as `é` where Swift
    /// refuses it, and Java refuses a `{` that does not open `{n}`, `{n,}` or `{n,m}` where Swift takes it
    /// literally (`a{`, `${n}`). `\Q…\E` and the braces of `\p{…}`-style escapes are passed over.
    static func translate(_ pattern: String) throws(SyntaxError) -> String {
        let s = Array(pattern.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        var classDepth = 0
        func copy(through end: Int) {
            out.append(contentsOf: s[i..<min(end, s.count)])
            i = min(end, s.count)
        }
        while i < s.count {
            let c = s[i]
            if c == "\\", i + 1 < s.count {
                let next = s[i + 1]
                if next == "Q" {
                    var end = i + 2
                    while end < s.count, !(s[end] == "\\" && end + 1 < s.count && s[end + 1] == "E") { end += 1 }
                    copy(through: end + 2)
                } else if !next.isASCII {
                    out.append(next)
                    i += 2
                } else if "pPxNbgk".unicodeScalars.contains(next), i + 2 < s.count, s[i + 2] == "{" {
                    copy(through: (s[(i + 2)...].firstIndex(of: "}") ?? s.count - 1) + 1)
                } else {
                    copy(through: i + 2)
                }
                continue
            }
            if c == "[" {
                classDepth += 1
            } else if c == "]", classDepth > 0 {
                classDepth -= 1
            } else if c == "{", classDepth == 0 {
                var j = i + 1
                let digitsStart = j
                while j < s.count, isDigit(s[j]) { j += 1 }
                guard j > digitsStart else { throw SyntaxError(description: "Illegal repetition near index \(i)") }
                if j < s.count, s[j] == "," {
                    j += 1
                    while j < s.count, isDigit(s[j]) { j += 1 }
                }
                guard j < s.count, s[j] == "}" else { throw SyntaxError(description: "Unclosed counted closure near index \(j)") }
            }
            out.append(c)
            i += 1
        }
        return String(out)
    }

    /// `Matcher.replaceAll` or `replaceFirst`. Swift's `matches(of:)` steps over matches as Java's find() does,
    /// including an empty match right after a non-empty one. The replacement is only read when something matches.
    static func replace(in input: String, _ regex: Regex<AnyRegexOutput>, with replacement: String, all: Bool)
        throws(PrincipalMappingError) -> String
    {
        let matches = all ? input.matches(of: regex) : input.firstMatch(of: regex).map { [$0] } ?? []
        guard !matches.isEmpty else { return input }
        var out = String.UnicodeScalarView()
        var last = input.startIndex
        for match in matches {
            out.append(contentsOf: input.unicodeScalars[last..<match.range.lowerBound])
            out.append(contentsOf: try expand(replacement, input: input, match: match))
            last = match.range.upperBound
        }
        out.append(contentsOf: input.unicodeScalars[last...])
        return String(out)
    }

    /// Java's replacement syntax for one match: `\x` is a literal `x`; `$n` takes the first digit and then
    /// more digits while the number still names a group; `${name}` names a group; an unmatched group is empty.
    static func expand(_ replacement: String, input: String, match: Regex<AnyRegexOutput>.Match)
        throws(PrincipalMappingError) -> String.UnicodeScalarView
    {
        let groups = match.output.count - 1
        let text = Array(replacement.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func group(_ element: AnyRegexOutput.Element) {
            if let range = element.range { out.append(contentsOf: input.unicodeScalars[range]) }
        }
        while i < text.count {
            let c = text[i]
            i += 1
            if c == "\\" {
                guard i < text.count else { throw PrincipalMappingError(.badReplacement, "character to be escaped is missing") }
                out.append(text[i])
                i += 1
            } else if c == "$" {
                guard i < text.count else {
                    throw PrincipalMappingError(.badReplacement, "Illegal group reference: group index is missing")
                }
                if text[i] == "{" {
                    i += 1
                    var name = ""
                    while i < text.count, text[i].isASCII, text[i].properties.isAlphabetic || isDigit(text[i]) {
                        name.unicodeScalars.append(text[i])
                        i += 1
                    }
                    guard !name.isEmpty else { throw PrincipalMappingError(.badReplacement, "named capturing group has 0 length name") }
                    guard i < text.count, text[i] == "}" else {
                        throw PrincipalMappingError(.badReplacement, "named capturing group is missing trailing '}'")
                    }
                    i += 1
                    guard !isDigit(name.unicodeScalars.first!) else {
                        throw PrincipalMappingError(.badReplacement, "capturing group name {\(name)} starts with digit character")
                    }
                    guard let element = match.output[name] else { throw PrincipalMappingError(.badReplacement, "No group with name {\(name)}") }
                    group(element)
                } else {
                    guard isDigit(text[i]) else { throw PrincipalMappingError(.badReplacement, "Illegal group reference") }
                    var number = Int(text[i].value - 48)
                    i += 1
                    while i < text.count, isDigit(text[i]), number * 10 + Int(text[i].value - 48) <= groups {
                        number = number * 10 + Int(text[i].value - 48)
                        i += 1
                    }
                    guard number <= groups else { throw PrincipalMappingError(.badReplacement, "No group \(number)") }
                    group(match.output[number])
                }
            } else {
                out.append(c)
            }
        }
        return out
    }

    /// Java's `\d` and `ASCII.isDigit`: `0`-`9` only.
    static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

    /// `toLowerCase(Locale.ENGLISH)`: Swift's full Unicode mapping plus Java's one context rule, a capital
    /// sigma ending a word (cased letter before, none after, case-ignorable marks skipped) becomes `ς`.
    static func lowercase(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        guard scalars.contains("\u{3A3}") else { return s.lowercased() }
        func cased(from start: Int, by step: Int) -> Bool {
            var i = start
            while i >= 0, i < scalars.count {
                if !scalars[i].properties.isCaseIgnorable { return scalars[i].properties.isCased }
                i += step
            }
            return false
        }
        var out = ""
        for (i, c) in scalars.enumerated() {
            if c == "\u{3A3}", cased(from: i - 1, by: -1), !cased(from: i + 1, by: 1) {
                out.unicodeScalars.append("\u{3C2}")
            } else {
                out += String(c).lowercased()
            }
        }
        return out
    }

    /// `String.trim()`: strips every character up to U+0020 (controls included) from both ends.
    static func trim(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { $0.value > 0x20 }) else { return "" }
        let last = scalars.lastIndex(where: { $0.value > 0x20 })!
        return String(scalars[first...last])
    }
}

/// A Kerberos principal as Kafka's `KerberosName` splits it: `primary[/instance]@REALM`, or a bare name.
struct KerberosName: Sendable, Equatable, CustomStringConvertible {
    /// The first component (`primary`).
    let serviceName: String
    /// The second component; `nil` when the principal has none (`a/@R` gives `""`, not `nil`).
    let hostName: String?
    /// The realm; `nil` only for a bare name without `@`.
    let realm: String?

    /// A name from its parts, as Kafka's constructor (`parse` is how a principal becomes one).
    init(serviceName: String, hostName: String? = nil, realm: String? = nil) {
        self.serviceName = serviceName
        self.hostName = hostName
        self.realm = realm
    }

    /// Parses as Kafka does: at most two components and one realm, none containing `/` or `@`. A name
    /// without `@` is taken whole as the first component, slashes and all (`a/b/c`).
    static func parse(_ principal: String) throws(PrincipalMappingError) -> KerberosName {
        // Split by scalar: a combining mark after `@` must not hide it, as it would in a Character.
        let scalars = Array(principal.unicodeScalars)
        func text(_ slice: ArraySlice<Unicode.Scalar>) -> String { String(String.UnicodeScalarView(slice)) }
        guard let at = scalars.firstIndex(of: "@") else { return KerberosName(serviceName: principal) }
        let name = scalars[..<at], realm = scalars[(at + 1)...]
        let slashes = name.indices.filter { name[$0] == "/" }
        guard !realm.contains("@"), !realm.contains("/"), slashes.count <= 1 else {
            throw PrincipalMappingError(.malformedName, "Malformed Kerberos name: \(principal)")
        }
        guard let slash = slashes.first else { return KerberosName(serviceName: text(name), realm: text(realm)) }
        return KerberosName(serviceName: text(name[..<slash]), hostName: text(name[(slash + 1)...]), realm: text(realm))
    }

    /// `primary[/instance][@REALM]`.
    var description: String {
        serviceName + (hostName.map { "/\($0)" } ?? "") + (realm.map { "@\($0)" } ?? "")
    }
}

/// Kafka's `sasl.kerberos.principal.to.local.rules`: turns a Kerberos principal into a short name with
/// Hadoop-style `auth_to_local` rules, the first that applies deciding.
///
/// - `DEFAULT`: the first component, for a principal in the broker's default realm.
/// - `RULE:[n:format](match)s/pattern/replacement/g/L`: for principals with exactly `n` components, build
///   `format` from `$0` (realm), `$1`, `$2`; keep going only if `match` matches all of it; then apply the
///   sed-style substitution (first match, every match with `g`), then lower- (`L`) or upper-case (`U`).
///   Everything after `]` is optional, and the slash before `L`/`U` is too.
///
/// Errors are `PrincipalMappingError`s and regexes go through `JavaCompat`, both in SslPrincipalMapper.swift.
struct KerberosShortNamer: Sendable, Equatable, CustomStringConvertible {
    /// One parsed rule.
    enum Rule: Sendable, Equatable, CustomStringConvertible {
        /// `DEFAULT`: the first component, if the realm is the default realm.
        case `default`
        /// `pattern == nil` when the rule has no `s/…/…/`; both regexes are Java's, `replacement` uses `$n`.
        case rule(components: Int, format: String, match: String?, pattern: String?, replacement: String,
                  global: Bool, caseChange: SslPrincipalMapper.CaseChange)

        /// As Kafka's `KerberosRule.toString()` prints it.
        var description: String {
            guard case .rule(let n, let format, let match, let pattern, let replacement, let global, let caseChange) = self else {
                return "DEFAULT"
            }
            var s = "RULE:[\(n):\(format)]" + (match.map { "(\($0))" } ?? "")
            if let pattern { s += "s/\(pattern)/\(replacement)/" + (global ? "g" : "") }
            return s + (caseChange == .lower ? "/L" : caseChange == .upper ? "/U" : "")
        }
    }

    // Kafka's grammar, kept as a regex so its corners stay the same: the match regex cannot contain `)`,
    // the sed parts cannot contain `/`, the component count may be empty (then refused as a number).
    private static let ruleParser =
        #"((DEFAULT)|((RULE:\[(\d*):([^\]]*)\](\(([^)]*)\))?(s/([^/]*)/([^/]*)/(g)?)?/?(L|U)?)))"#

    /// The realm `DEFAULT` accepts. Kafka uses the JVM's Kerberos default realm, or `""` without one.
    let defaultRealm: String
    /// The parsed rules, in order.
    let rules: [Rule]

    /// Parses the list as given; `nil` means the property is unset (`["DEFAULT"]`).
    init(defaultRealm: String, rules list: [String]? = nil) throws(PrincipalMappingError) {
        let parser: Regex<AnyRegexOutput>
        do { parser = try JavaCompat.compile(Self.ruleParser) } catch { fatalError("built-in pattern: \(error)") }
        var parsed: [Rule] = []
        for text in list ?? ["DEFAULT"] {
            guard let m = text.prefixMatch(of: parser) else { throw PrincipalMappingError(.invalidRule, "Invalid rule: \(text)") }
            guard m.range.upperBound == text.endIndex else {
                throw PrincipalMappingError(
                    .invalidRule, "Invalid rule: `\(text)`, unmatched substring: `\(String(text.unicodeScalars[m.range.upperBound...]))`")
            }
            func group(_ n: Int) -> String? { m.output[n].range.map { String(text.unicodeScalars[$0]) } }
            if group(2) != nil {
                parsed.append(.default)
                continue
            }
            // Integer.parseInt: `RULE:[:$1]` or a count past 2^31-1 is refused (NumberFormatException).
            guard let count = group(5), let components = Int32(count) else {
                throw PrincipalMappingError(.invalidRule, "Invalid rule: `\(text)`: For input string: \"\(group(5) ?? "")\"")
            }
            for regex in [group(8), group(10)].compactMap({ $0 }) {
                do { _ = try JavaCompat.compile(regex) } catch {
                    throw PrincipalMappingError(.invalidRule, "Invalid rule: `\(text)`: bad pattern \(regex): \(error)")
                }
            }
            let flag = group(13)
            parsed.append(.rule(components: Int(components), format: group(6) ?? "", match: group(8), pattern: group(10),
                                replacement: group(11) ?? "", global: group(12) == "g",
                                caseChange: flag == "L" ? .lower : flag == "U" ? .upper : .none))
        }
        self.defaultRealm = defaultRealm
        self.rules = parsed
    }

    /// Parses the property's text as Kafka's `LIST` type splits it: on commas with any blanks around them,
    /// empty text giving no rules. So a rule cannot contain a comma (`[2:$1,$2]` breaks apart), and a
    /// trailing comma leaves an empty rule, which is refused.
    init(defaultRealm: String, property: String) throws(PrincipalMappingError) {
        let trimmed = JavaCompat.trim(property)
        let list: [String] = trimmed.isEmpty
            ? [] : trimmed.split(separator: #/\s*,\s*/#.asciiOnlyWhitespace(), omittingEmptySubsequences: false).map(String.init)
        try self.init(defaultRealm: defaultRealm, rules: list)
    }

    /// Parses `principal` and maps it.
    func shortName(for principal: String) throws(PrincipalMappingError) -> String {
        try shortName(KerberosName.parse(principal))
    }

    /// The short name: a bare name (no realm) is returned as it is, untouched by any rule.
    func shortName(_ name: KerberosName) throws(PrincipalMappingError) -> String {
        if name.hostName == nil && name.realm == nil { return name.serviceName }
        // $0 is the realm, then the components; Kafka would hold a null realm here (only possible for a
        // KerberosName built by hand) and print it as "null".
        let params = [name.realm, name.serviceName] + (name.hostName.map { [$0] } ?? [])
        for rule in rules {
            if let result = try apply(rule, params) { return result }
        }
        throw PrincipalMappingError(.noMatchingRule, "No rules apply to \(name), rules [\(rules.map(\.description).joined(separator: ", "))]")
    }

    private func apply(_ rule: Rule, _ params: [String?]) throws(PrincipalMappingError) -> String? {
        var result: String?
        var caseChange = SslPrincipalMapper.CaseChange.none
        switch rule {
        case .default:
            // Any number of components: `user/host@REALM` gives `user`.
            if let realm = params[0], realm == defaultRealm { result = params[1] }
        case .rule(let components, let format, let match, let pattern, let replacement, let global, let change):
            caseChange = change
            guard params.count - 1 == components else { break }
            let base = try Self.replaceParameters(format, params.map { $0 ?? "null" })
            if let match, let regex = try? JavaCompat.compile(match), base.wholeMatch(of: regex) == nil { break }
            if let pattern, let regex = try? JavaCompat.compile(pattern) {
                result = try JavaCompat.replace(in: base, regex, with: replacement, all: global)
            } else {
                result = base
            }
        }
        guard let name = result else { return nil }
        // A name still holding `/` or `@` stops the search with an error rather than trying the next rule.
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == "@" }) {
            throw PrincipalMappingError(.noMatchingRule, "Non-simple name \(name) after auth_to_local rule \(rule)")
        }
        switch caseChange {
        case .none: return name
        case .lower: return JavaCompat.lowercase(name)
        case .upper: return name.uppercased()
        }
    }

    /// Fills a rule's format: text is copied, `$n` becomes `params[n]` (`$0` the realm), digits read greedily
    /// (`$10` is parameter ten, not `$1` then `0`). Substituted text is not scanned again.
    static func replaceParameters(_ format: String, _ params: [String]) throws(PrincipalMappingError) -> String {
        let text = Array(format.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < text.count {
            guard text[i] == "$" else {
                out.append(text[i])
                i += 1
                continue
            }
            var end = i + 1
            while end < text.count, JavaCompat.isDigit(text[end]) { end += 1 }
            let digits = String(String.UnicodeScalarView(text[(i + 1)..<end]))
            guard let number = Int32(digits) else {
                throw PrincipalMappingError(.badFormat, "bad format in username mapping in \(digits)")
            }
            guard number < params.count else {
                throw PrincipalMappingError(
                    .badFormat, "index \(number) from \(format) is outside of the valid range 0 to \(params.count - 1)")
            }
            out.append(contentsOf: params[Int(number)].unicodeScalars)
            i = end
        }
        return String(out)
    }

    /// As Kafka's `toString()`.
    var description: String { "KerberosShortNamer(principalToLocalRules = [\(rules.map(\.description).joined(separator: ", "))])" }
}

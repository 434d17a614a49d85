import Testing

@testable import GregorBroker

/// `ssl.principal.mapping.rules` as Kafka parses and applies it (expected values checked against Kafka's
/// SslPrincipalMapper).
struct SslPrincipalMapperTests {
    static func mapper(_ rules: String?, sourceLocation: SourceLocation = #_sourceLocation) -> SslPrincipalMapper? {
        do { return try SslPrincipalMapper(rules: rules) } catch {
            Issue.record("refused \(String(reflecting: rules)): \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    static func map(_ rules: String, _ dn: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        guard let m = mapper(rules, sourceLocation: sourceLocation) else { return nil }
        do { return try m.name(for: dn) } catch {
            Issue.record("\(dn): \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    static func mappingError(_ rules: String, _ dn: String, sourceLocation: SourceLocation = #_sourceLocation) -> PrincipalMappingError? {
        guard let m = mapper(rules, sourceLocation: sourceLocation) else { return nil }
        do {
            let name = try m.name(for: dn)
            Issue.record("mapped \(dn) to \(name)", sourceLocation: sourceLocation)
            return nil
        } catch { return error }
    }

    /// The rules as Kafka's toString() lists them: how the splitting is observed.
    static func split(_ rules: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        mapper(rules, sourceLocation: sourceLocation).map { String($0.description.dropFirst("SslPrincipalMapper(rules = ".count).dropLast()) }
    }

    @Test func acceptsWellFormedRuleLists() {
        for rules in [
            "DEFAULT",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT",
            "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/",
            "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L",
            "RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U",
            // Letters of DEFAULT, L and U inside a character class are just characters.
            "RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/",
            "RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/",
        ] {
            #expect(Self.mapper(rules) != nil, "\(rules)")
        }
    }

    @Test func refusesMalformedRuleLists() {
        for rules in [
            "default", "DEFAUL", "DEFAULT/L", "DEFAULT/U",
            "RULE:CN=(.*?),OU=ServiceUsers.*/$1",  // no slash after the replacement
            "rule:^CN=(.*?),OU=ServiceUsers.*$/$1/",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/L",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/U",
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/LU",
            "RULE:^CN=([^,]*).*$/$1/ , RULE:^OU=(.*)$/$1/X",
            "RULE:(a{)/x/",  // Java: illegal repetition
        ] {
            let error = #expect(throws: PrincipalMappingError.self, "\(rules)") { try SslPrincipalMapper(rules: rules) }
            #expect(error?.kind == .invalidRule, "\(rules)")
        }
        let error = #expect(throws: (any Error).self) { try SslPrincipalMapper(rules: "DEFAULT/L") }
        #expect(error.map { "\($0)" } == "Invalid rule: `DEFAULT/L`, unmatched substring: `/L`")
    }

    @Test func theFirstRuleMatchingTheWholeNameDecides() {
        let rules = [
            "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L",
            "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L",
            "RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U",
            "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U",
            "DEFAULT",
        ].joined(separator: ", ")
        #expect(Self.map(rules, "CN=Duke,OU=ServiceUsers,O=Org,C=US") == "duke")
        #expect(Self.map(rules, "CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US") == "duke@sme")
        #expect(Self.map(rules, "cn=duke,ou=sme,dc=mycp,dc=com") == "DUKE@SME")
        #expect(Self.map(rules, "cN=duke,OU=JavaSoft,O=Sun Microsystems") == "DUKE")
        #expect(Self.map(rules, "OU=JavaSoft,O=Sun Microsystems,C=US") == "OU=JavaSoft,O=Sun Microsystems,C=US")
    }

    @Test func unsetMeansDefault() throws {
        #expect(Self.mapper(nil)?.rules == [.default])
        #expect(try Self.mapper(nil)?.name(for: "CN=alice,OU=eng,O=Example,C=US") == "CN=alice,OU=eng,O=Example,C=US")
    }

    @Test func aNameNoRuleMatchesIsAnError() {
        let error = Self.mappingError("RULE:^CN=(.*)$/$1/", "OU=x")
        #expect(error?.kind == .noMatchingRule)
        #expect(error?.description == "No rules apply to OU=x, rules [RULE:^CN=(.*)$/$1]")
        #expect(Self.mappingError("", "CN=a")?.kind == .noMatchingRule)
    }

    @Test func splitting() {
        #expect(Self.split("") == "[]")
        #expect(Self.split("DEFAULT") == "[DEFAULT]")
        #expect(Self.split("RULE://") == "[RULE:/]")
        #expect(Self.split("RULE:/.*/") == "[RULE:/.*]")
        #expect(Self.split("RULE:/.*/L") == "[RULE:/.*/L]")
        #expect(Self.split("RULE://,DEFAULT") == "[RULE:/, DEFAULT]")
        #expect(Self.split("  RULE:// ,  DEFAULT  ") == "[RULE:/, DEFAULT]")
        // Blanks inside a rule are part of its pattern or replacement.
        #expect(Self.split("  RULE:   /     / ,  DEFAULT  ") == "[RULE:   /     , DEFAULT]")
        #expect(Self.split("  RULE:  /     /U   ,DEFAULT  ") == "[RULE:  /     /U, DEFAULT]")
        #expect(Self.split("  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  ") == "[RULE:([A-Z]*)/$1/U, RULE:([a-z]+)/$1, DEFAULT]")
    }

    @Test func emptyPiecesAreIgnored() {
        #expect(Self.split(",   , , ,      , , ,   ") == "[]")
        #expect(Self.split(",,RULE://,,,DEFAULT,,") == "[RULE:/, DEFAULT]")
        #expect(Self.split(",  , RULE: /   /    ,,,   DEFAULT, ,   ") == "[RULE: /   , DEFAULT]")
        #expect(Self.split("     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,") == "[RULE:   /  /U, DEFAULT]")
    }

    @Test func backslashEscapesSlashesAndIsKept() {
        #expect(Self.split(#"RULE:\/\\\(\)\n\t/\/\//"#) == #"[RULE:\/\\\(\)\n\t/\/\/]"#)
        #expect(Self.split(#"RULE:\**\/+/*/L,RULE:\/*\**/**/"#) == #"[RULE:\**\/+/*/L, RULE:\/*\**/**]"#)
        #expect(Self.map(#"RULE:^CN=([^,]*),O=a\/b$/$1/"#, "CN=x,O=a/b") == "x")
    }

    @Test func aRuleEndsAtTheFirstCommaAfterItsSecondSlash() {
        #expect(
            Self.split(#"RULE:,RULE:,/,RULE:,\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT"#)
                == #"[RULE:,RULE:,/,RULE:,\//U, RULE:,/RULE:,, RULE:,RULE:,/L,RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]"#)
        // So a comma in a pattern needs no escaping, and `\\,` in a DN is matched as it is printed.
        #expect(Self.map(#"RULE:^CN=((\\, *|\w)+)(,.*|$)/$1/,DEFAULT"#, #"CN=Tkac\, Adam,OU=ITZ,DC=geodis,DC=cz"#) == #"Tkac\, Adam"#)
    }

    @Test func aNewlineInTheListDropsTheRulesBeforeIt() {
        #expect(Self.split("RULE:^CN=([^x]*)$/A/\nRULE:^CN=([^x]*)$/B/\nDEFAULT") == "[DEFAULT]")
        // After a comma the newline is just a blank.
        #expect(Self.split("RULE:^CN=([^x]*)$/A/\n,DEFAULT") == "[RULE:^CN=([^x]*)$/A, DEFAULT]")
    }

    @Test func replacementUsesJavaGroupSyntax() {
        #expect(Self.map("RULE:^CN=([^,]*),.*$/$1-$12-$0/", "CN=a,O=b") == "a-a2-CN=a,O=b")
        #expect(Self.map("RULE:^CN=(?<user>[^,]*).*$/${user}/", "CN=alice,O=b") == "alice")
        #expect(Self.map(#"RULE:^(.*)$/\$1/"#, "abc") == "$1")
        #expect(Self.map("RULE:^CN=(x)?([^,]*).*$/[$1]/", "CN=a") == "[]")  // a group that took no part is empty
    }

    @Test func referencesToMissingGroupsBecomeLiteral() throws {
        #expect(Self.map("RULE:^CN=([^,]*),.*$/$1-$2/", "CN=a,O=b") == "a-$2")
        #expect(Self.map("RULE:^CN=([^,]*).*$/$5$1/", "CN=a,O=b") == "$5a")
        // Kafka's pre-pass inserts its second backslash one character early, so `$6` stays a group reference.
        #expect(Self.mappingError("RULE:^CN=([^,]*).*$/$5$6/", "CN=a,O=b")?.kind == .badReplacement)
        #expect(Self.mappingError("RULE:^CN=([^,]*).*$/$5x$5/", "CN=a,O=b")?.kind == .badReplacement)
        #expect(try SslPrincipalMapper.escapeLiteralBackReferences("$5$6", groups: 1) == #"\$\5$6"#)
    }

    @Test func aBadReplacementFailsInsteadOfFallingThrough() {
        // Without groups the pre-pass is skipped and Java's Matcher refuses `$1`; DEFAULT is never reached.
        #expect(Self.mappingError("RULE:CN=.*/$1/,DEFAULT", "CN=a,O=b")?.kind == .badReplacement)
        #expect(Self.mappingError("RULE:^CN=([^,]*).*$/$/", "CN=a")?.kind == .badReplacement)
        #expect(Self.mappingError("RULE:^CN=([^,]*).*$/$99999999999/", "CN=a")?.kind == .badReplacement)
    }

    @Test func everyMatchIsReplacedNotJustTheWholeName() {
        #expect(Self.map("RULE:(.*)/x$1/", "CN=a") == "xCN=ax")
        #expect(Self.map("RULE:.*?/y/", "abc") == "yaybycy")
    }

    @Test func caseFolding() {
        #expect(Self.map("RULE:^CN=([^,]*).*$/$1/L,DEFAULT", "CN=ÀB") == "àb")
        #expect(Self.map("RULE:^CN=(.*)$/$1/L", "CN=ΟΔΟΣ") == "οδος")  // Java's final sigma
        #expect(Self.map("RULE:^CN=(.*)$/$1/U", "CN=straße") == "STRASSE")
    }

    @Test func javaRegexDialect() {
        let rules = #"RULE:^CN=(\w+)$/$1/, RULE:^CN=(.)$/<$1>/, DEFAULT"#
        #expect(Self.map(rules, "CN=ab") == "ab")
        #expect(Self.map(rules, "CN=\u{E9}") == "<\u{E9}>")  // `\w` is ASCII
        #expect(Self.map(rules, "CN=e\u{301}") == "CN=e\u{301}")  // `.` is one code point, not a grapheme
    }
}

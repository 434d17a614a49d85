import Testing

@testable import GregorBroker

/// `sasl.kerberos.principal.to.local.rules` as Kafka parses and applies it (expected values checked
/// against Kafka's KerberosShortNamer).
struct KerberosShortNamerTests {
    static func namer(_ rules: [String]?, realm: String = "REALM.COM", sourceLocation: SourceLocation = #_sourceLocation)
        -> KerberosShortNamer?
    {
        do { return try KerberosShortNamer(defaultRealm: realm, rules: rules) } catch {
            Issue.record("refused \(String(describing: rules)): \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    static func error(_ namer: KerberosShortNamer?, _ principal: String, sourceLocation: SourceLocation = #_sourceLocation)
        -> PrincipalMappingError?
    {
        do {
            let name = try namer?.shortName(for: principal)
            Issue.record("mapped \(principal) to \(String(describing: name))", sourceLocation: sourceLocation)
            return nil
        } catch { return error }
    }

    @Test func parsesPrincipals() throws {
        #expect(try KerberosName.parse("App.service-name/example.com@REALM.COM")
                == KerberosName(serviceName: "App.service-name", hostName: "example.com", realm: "REALM.COM"))
        #expect(try KerberosName.parse("App.service-name@REALM.COM") == KerberosName(serviceName: "App.service-name", realm: "REALM.COM"))
        #expect(try KerberosName.parse("user/host@REALM.COM") == KerberosName(serviceName: "user", hostName: "host", realm: "REALM.COM"))
        #expect(try KerberosName.parse("a/@R") == KerberosName(serviceName: "a", hostName: "", realm: "R"))
        #expect(try KerberosName.parse("user@") == KerberosName(serviceName: "user", realm: ""))
        // Without `@` the whole text is the first component, slashes included.
        #expect(try KerberosName.parse("a/b/c") == KerberosName(serviceName: "a/b/c"))
        for malformed in ["a/b/c@R", "a@b@c", "a@R/x"] {
            let error = #expect(throws: PrincipalMappingError.self) { try KerberosName.parse(malformed) }
            #expect(error?.kind == .malformedName, "\(malformed)")
        }
        #expect(try KerberosName.parse("user/host@REALM.COM").description == "user/host@REALM.COM")
    }

    @Test func rulesThenDefault() throws {
        let n = Self.namer([#"RULE:[1:$1](App\..*)s/App\.(.*)/$1/g"#, #"RULE:[2:$1](App\..*)s/App\.(.*)/$1/g"#, "DEFAULT"])
        #expect(try n?.shortName(for: "App.service-name/example.com@REALM.COM") == "service-name")
        #expect(try n?.shortName(for: "App.service-name@REALM.COM") == "service-name")
        #expect(try n?.shortName(for: "user/host@REALM.COM") == "user")
    }

    @Test func defaultTakesTheFirstComponentOnlyInTheDefaultRealm() throws {
        let n = Self.namer(nil)
        #expect(n?.rules == [.default])
        #expect(try n?.shortName(for: "user/host@REALM.COM") == "user")
        let e = Self.error(n, "user@OTHER.COM")
        #expect(e?.kind == .noMatchingRule)
        #expect(e?.description == "No rules apply to user@OTHER.COM, rules [DEFAULT]")
        // Kafka's realm is "" when the JVM has no Kerberos configuration; then `user@` is in it.
        #expect(try Self.namer(["DEFAULT"], realm: "")?.shortName(for: "user@") == "user")
    }

    @Test func aBareNameSkipsTheRules() throws {
        #expect(try Self.namer([])?.shortName(for: "a/b") == "a/b")
        #expect(Self.error(Self.namer([]), "a@R")?.kind == .noMatchingRule)
    }

    @Test func lowerAndUpperCase() throws {
        for (flag, expected) in [("L", ["user", "test", "xyz_user_xyz", "service-name", "user"]),
                                 ("U", ["USER", "TEST", "XYZ_USER_XYZ", "SERVICE-NAME", "USER"])] {
            let n = Self.namer(["RULE:[1:$1]/\(flag)", "RULE:[2:$1](Test.*)s/ABC///\(flag)", "RULE:[2:$1](ABC.*)s/ABC/XYZ/g/\(flag)",
                                #"RULE:[2:$1](App\..*)s/App\.(.*)/$1/g/"# + flag, "RULE:[2:$1]/\(flag)", "DEFAULT"])
            let principals = ["User@REALM.COM", "TestABC/host@FOO.COM", "ABC_User_ABC/host@FOO.COM",
                              "App.SERVICE-name/example.com@REALM.COM", "User/root@REALM.COM"]
            let names: [String?] = try principals.map { try n?.shortName(for: $0) }
            #expect(names == expected)
        }
        // The slash before L or U may be left out.
        #expect(try Self.namer(["RULE:[1:$1]L"])?.shortName(for: "USER@R") == "user")
    }

    @Test func refusesMalformedRules() {
        for rule in ["default", "DEFAUL", "DEFAULT/L", "DEFAULT/g", "rule:[1:$1]", "rule:[1:$1]/L/U", "rule:[1:$1]/U/L",
                     "rule:[1:$1]/LU", "RULE:[1:$1/L", "RULE:[1:$1]/l", "RULE:[2:$1](ABC.*)s/ABC/XYZ/L/g",
                     "RULE:[:$1]", "RULE:[1:$1](a)b)", "RULE:[1:$1]s/a/b/c/", ""] {
            let error = #expect(throws: PrincipalMappingError.self, "\(rule)") {
                try KerberosShortNamer(defaultRealm: "REALM.COM", rules: [rule])
            }
            #expect(error?.kind == .invalidRule, "\(rule)")
        }
    }

    @Test func formatMatchAndSubstitution() throws {
        let classic = Self.namer([#"RULE:[1:$1@$0](.*@EXAMPLE\.COM)s/@.*//"#, "DEFAULT"], realm: "R")
        #expect(try classic?.shortName(for: "joe@EXAMPLE.COM") == "joe")
        #expect(try classic?.shortName(for: "joe@R") == "joe")
        #expect(Self.error(classic, "joe@OTHER.COM")?.kind == .noMatchingRule)
        #expect(try Self.namer(["RULE:[1:$1]s/a/x/"])?.shortName(for: "banana@R") == "bxnana")
        #expect(try Self.namer(["RULE:[1:$1]s/a/x/g"])?.shortName(for: "banana@R") == "bxnxnx")
        #expect(try Self.namer(["RULE:[2:$2]s/.*/x/g"])?.shortName(for: "a/b@R") == "xx")  // and the empty match at the end
        #expect(try Self.namer([#"RULE:[1:$1](u.*)s/u/\$/"#])?.shortName(for: "user@R") == "$ser")
        #expect(try Self.namer(["RULE:[1:$1]s/(?<n>u)/${n}${n}/"])?.shortName(for: "user@R") == "uuser")
        // A rule for two components does not see a one-component name.
        #expect(Self.error(Self.namer(["RULE:[2:$1]"]), "user@R")?.kind == .noMatchingRule)
    }

    @Test func aNonSimpleResultStopsTheSearch() {
        let e = Self.error(Self.namer(["RULE:[2:$1/$2]", "DEFAULT"]), "user/host@REALM.COM")
        #expect(e?.kind == .noMatchingRule)
        #expect(e?.description == "Non-simple name user/host after auth_to_local rule RULE:[2:$1/$2]")
    }

    @Test func mappingErrors() throws {
        #expect(Self.error(Self.namer(["RULE:[1:$2]"]), "joe@R")?.kind == .badFormat)
        #expect(Self.error(Self.namer(["RULE:[1:$1$]"]), "joe@R")?.kind == .badFormat)
        #expect(Self.error(Self.namer(["RULE:[1:$10]"]), "joe@R")?.kind == .badFormat)
        // The replacement is read only when the substitution matches.
        let n = Self.namer(["RULE:[1:$1]s/(o)/$2/"])
        #expect(Self.error(n, "joe@R")?.kind == .badReplacement)
        #expect(try n?.shortName(for: "xyz@R") == "xyz")
    }

    @Test func replaceParameters() throws {
        let five = ["too", "many", "parameters", "are", "ok"]
        #expect(try KerberosShortNamer.replaceParameters("", []) == "")
        #expect(try KerberosShortNamer.replaceParameters("hello", []) == "hello")
        #expect(try KerberosShortNamer.replaceParameters("", five) == "")
        #expect(try KerberosShortNamer.replaceParameters("hello", five) == "hello")
        #expect(try KerberosShortNamer.replaceParameters("hello $0", five) == "hello too")
        #expect(try KerberosShortNamer.replaceParameters("hello $0", ["no recursion $1"]) == "hello no recursion $1")
        #expect(throws: (any Error).self) { try KerberosShortNamer.replaceParameters("$0", []) }
        #expect(throws: (any Error).self) { try KerberosShortNamer.replaceParameters("hello $a", ["does not matter"]) }
    }

    @Test func propertyTextIsSplitOnCommas() throws {
        let n = try KerberosShortNamer(defaultRealm: "R", property: " RULE:[1:$1]/L ,DEFAULT ")
        #expect(n.description == "KerberosShortNamer(principalToLocalRules = [RULE:[1:$1]/L, DEFAULT])")
        #expect(try KerberosShortNamer(defaultRealm: "R", property: "").rules == [])
        #expect(throws: (any Error).self) { try KerberosShortNamer(defaultRealm: "R", property: "DEFAULT,") }
        #expect(throws: (any Error).self) { try KerberosShortNamer(defaultRealm: "R", property: "RULE:[2:$1,$2]") }
    }
}

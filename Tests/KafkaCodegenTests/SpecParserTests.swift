import Foundation
import Testing
@testable import KafkaCodegen

@Suite struct SpecParserTests {
    func fixture() throws -> String {
        let url = Bundle.module.url(forResource: "GregorExampleMessage", withExtension: "json", subdirectory: "Fixtures")!
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test func stripsCommentsButNotSlashesInStrings() {
        let text = "{ // a comment\n \"about\": \"see http://x//y\" // another\n}"
        #expect(JSONComments.strip(text) == "{ \n \"about\": \"see http://x//y\" \n}")
        #expect(JSONComments.strip("\"a\\\"//b\" // c") == "\"a\\\"//b\" ")
    }

    @Test func parsesEveryFeatureOfTheFixture() throws {
        let spec = try SpecParser(file: "GregorExampleMessage.json").parse(try fixture())
        #expect(spec.kind == .data)
        #expect(spec.validVersions == Versions(parsing: "0-3"))
        #expect(spec.flexibleVersions == Versions(parsing: "2+"))
        #expect(spec.structs.map(\.name).sorted() == ["Common", "Entry", "Host"])
        let byName = Dictionary(uniqueKeysWithValues: spec.fields.map { ($0.name, $0) })
        #expect(byName["Int"]?.defaultValue == "0x7fffffff")
        #expect(byName["Legacy"]?.flexibleVersions == Versions.none)
        #expect(byName["Slice"]?.zeroCopy == true)
        #expect(byName["TaggedStruct"]?.tag == 2)  // written as the string "2" in the spec
        #expect(byName["Words"]?.type == .array(.string))
        #expect(byName["Entries"]?.fields?.first?.mapKey == true)
        #expect(byName["Id"]?.ignorable == true)
    }

    @Test func versionRanges() {
        #expect(Versions(parsing: "3+")?.range == 3...Int(Int16.max))
        #expect(Versions(parsing: "0-2")?.range == 0...2)
        #expect(Versions(parsing: "5")?.range == 5...5)
        #expect(Versions(parsing: "none") == Versions.none)
        #expect(Versions(parsing: "2-1") == nil)
        #expect(Versions(parsing: "x+") == nil)
        let valid = Versions(parsing: "0-11")!
        #expect(Versions(parsing: "0+")!.condition(within: valid) == nil)
        #expect(Versions(parsing: "3+")!.condition(within: valid) == "version >= 3")
        #expect(Versions(parsing: "0-6")!.condition(within: valid) == "version <= 6")
        #expect(Versions(parsing: "2-4")!.condition(within: valid) == "version >= 2 && version <= 4")
        #expect(Versions(parsing: "12+")!.condition(within: valid) == "false")
    }

    /// Each invalid spec is refused with the file and the field named.
    @Test(arguments: [
        (#"{"name":"A","type":"int33","versions":"0+"}"#, "M.A", "unknown type \"int33\""),
        (#"{"name":"A","type":"int32","versions":"zero"}"#, "M.A", "\"versions\" is not a version range: zero"),
        (#"{"name":"A","type":"int32","versions":"0+","nullableVersions":"0+"}"#, "M.A", "nullableVersions given, but int32 cannot be null"),
        (#"{"name":"A","type":"int32","versions":"0+","default":"abc"}"#, "M.A", "default \"abc\" is not a valid int32"),
        (#"{"name":"A","type":"int8","versions":"0+","default":"300"}"#, "M.A", "default \"300\" is not a valid int8"),
        (#"{"name":"A","type":"[]Missing","versions":"0+"}"#, "M.A", "unknown struct type Missing"),
        (#"{"name":"A","type":"int32","versions":"0+","tag":0}"#, "M.A", "a tag given without taggedVersions"),
        (#"{"name":"A","type":"int32","versions":"0+","tag":0,"taggedVersions":"0+"}"#, "M.A", "taggedVersions 0+ are not all flexible (1+)"),
        (#"{"name":"A","type":"int32","versions":"0+","typo":true}"#, "M.A", "unknown key \"typo\""),
        (#"{"name":"A","type":"string","versions":"0+","default":"null"}"#, "M.A", "default null, but the field is not nullable"),
        (#"{"name":"A","type":"int32","versions":"0+","zeroCopy":true}"#, "M.A", "zeroCopy is only for bytes"),
    ])
    func rejectsInvalidFields(field: String, path: String, reason: String) {
        let text = #"{"type":"data","name":"M","validVersions":"0-2","flexibleVersions":"1+","fields":["# + field + "]}"
        #expect(throws: SpecError(file: "M.json", field: path, reason: reason)) {
            _ = try SpecParser(file: "M.json").parse(text)
        }
    }

    @Test func rejectsDuplicateTagsAndFields() {
        let tags = #"{"type":"data","name":"M","validVersions":"0","flexibleVersions":"0+","fields":["#
            + #"{"name":"A","type":"int32","versions":"0+","tag":1,"taggedVersions":"0+"},"#
            + #"{"name":"B","type":"int32","versions":"0+","tag":1,"taggedVersions":"0+"}]}"#
        #expect(throws: SpecError(file: "M.json", field: "M.B", reason: "tag 1 is used twice")) {
            _ = try SpecParser(file: "M.json").parse(tags)
        }
        let noKey = #"{"type":"request","name":"XRequest","validVersions":"0","fields":[]}"#
        #expect(throws: SpecError(file: "X.json", field: nil, reason: "a request needs an apiKey")) {
            _ = try SpecParser(file: "X.json").parse(noKey)
        }
        #expect(throws: SpecError.self) { _ = try SpecParser(file: "Y.json").parse("{ not json") }
    }
}

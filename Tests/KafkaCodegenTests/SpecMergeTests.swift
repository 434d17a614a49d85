import Testing
@testable import KafkaCodegen

/// Two pins of one message, merged as Gregor merges Kafka 4.0's and 4.3's specs (KIP-896).
@Suite struct SpecMergeTests {
    func spec(_ valid: String, _ fields: String, name: String = "ThingRequest") throws -> MessageSpec {
        try SpecParser(file: "\(name).json").parse("""
            { "apiKey": 9, "type": "request", "name": "\(name)", "validVersions": "\(valid)", "flexibleVersions": "3+",
              "fields": [\(fields)] }
            """)
    }

    // The older pin: versions 0-3, with a field only v0 had between two others, and a struct.
    let olderFields = """
        { "name": "Id", "type": "int32", "versions": "0+" },
        { "name": "MaxCount", "type": "int32", "versions": "0", "default": "1" },
        { "name": "Topics", "type": "[]Topic", "versions": "0+", "fields": [
          { "name": "Name", "type": "string", "versions": "0+" },
          { "name": "Legacy", "type": "int64", "versions": "0-1" } ] }
        """

    @Test func oldOnlyVersionsComeBackWithTheirFieldsInPlace() throws {
        let newer = try spec("2-4", """
            { "name": "Id", "type": "int32", "versions": "2+" },
            { "name": "Topics", "type": "[]Topic", "versions": "0+", "fields": [
              { "name": "Name", "type": "string", "versions": "0+" },
              { "name": "TopicId", "type": "uuid", "versions": "4+" } ] }
            """)
        let merged = try SpecMerge.merge(newer: newer, older: try spec("0-3", olderFields))
        #expect(merged.validVersions == Versions(parsing: "0-4") && merged.kafkaVersions == Versions(parsing: "2-4"))
        #expect(merged.deprecatedVersions == Versions(parsing: "0-1"))
        #expect(merged.fields.map(\.name) == ["Id", "MaxCount", "Topics"])
        #expect(merged.fields[0].versions == Versions(parsing: "0+"))
        #expect(merged.fields[1].versions == Versions(parsing: "0") && merged.fields[1].defaultValue == "1")
        let topic = try #require(merged.structs.first { $0.name == "Topic" })
        #expect(topic.fields.map(\.name) == ["Name", "Legacy", "TopicId"])
        #expect(topic.fields[1].versions == Versions(parsing: "0-1"))
        #expect(merged.fields[2].fields?.map(\.name) == ["Name", "Legacy", "TopicId"])
    }

    @Test func aNewerPinWithoutVersionsKeepsTheOlderDefinition() throws {
        let stub = try SpecParser(file: "ThingRequest.json").parse(
            #"{ "apiKey": 9, "type": "request", "name": "ThingRequest", "validVersions": "none" }"#)
        let merged = try SpecMerge.merge(newer: stub, older: try spec("0-3", olderFields))
        #expect(merged.validVersions == Versions(parsing: "0-3") && merged.kafkaVersions == .none)
        #expect(merged.fields.map(\.name) == ["Id", "MaxCount", "Topics"])
    }

    @Test func aPinThatKeepsEveryVersionIsTakenAsItIs() throws {
        let newer = try spec("0-4", #"{ "name": "Id", "type": "int32", "versions": "0+" }"#)
        #expect(try SpecMerge.merge(newer: newer, older: try spec("0-3", olderFields)) == newer)
    }

    @Test func aFieldWhoseTypeChangedIsRefused() throws {
        let newer = try spec("1-4", #"{ "name": "Id", "type": "int64", "versions": "0+" }"#)
        #expect(throws: SpecError.self) { try SpecMerge.merge(newer: newer, older: try spec("0-3", olderFields)) }
    }

    @Test func aFieldThatWouldSkipVersionsIsRefused() throws {
        // Id only from v3 in the newer pin, v0 in the older: the merged field would have a hole at v1-2.
        let newer = try spec("2-4", #"{ "name": "Id", "type": "int32", "versions": "3+" }"#)
        let older = try spec("0-3", #"{ "name": "Id", "type": "int32", "versions": "0+" }"#)
        #expect(throws: SpecError.self) { try SpecMerge.merge(newer: newer, older: older) }
    }
}

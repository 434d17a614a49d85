import ArgumentParser
import Crypto
import Foundation
import KafkaCodegen

/// Regenerates the codec from Kafka's JSON message specs.
@main
struct KafkaCodegenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-codegen",
        abstract: "Generate Gregor's Kafka codec from Kafka's JSON message specs.",
        discussion: "Run from the repository root. See ProtocolSpecs/README.md."
    )

    @Option(help: "Directory holding the *.json message specs of the Kafka release Gregor follows.")
    var specs: String = "../shared/kafka-protocol-specs-4.3"

    @Option(help: "The checksum list those specs must match.")
    var checksums: String = "ProtocolSpecs/specs-4.3.sha256"

    @Option(help: "Directory holding an older pin's specs, for the versions the newer one dropped (KIP-896).")
    var olderSpecs: String = "../shared/kafka-protocol-specs"

    @Option(help: "The checksum list the older specs must match.")
    var olderChecksums: String = "ProtocolSpecs/specs-4.0.sha256"

    @Option(help: "Where the codec's generated Swift goes.")
    var output: String = "Sources/KafkaProtocol/Generated"

    @Option(help: "The APIs whose messages the broker and client are built with (the rest go to --unserved-output).")
    var servedApis: String = "ProtocolSpecs/served-apis.txt"

    @Option(help: "Where the generated messages of the other APIs go (a module only the codec's tests build).")
    var unservedOutput: String = "Sources/KafkaProtocolUnserved/Generated"

    @Option(help: "Where the tests' generated sample builders go.")
    var testOutput: String = "Tests/KafkaProtocolTests/Generated"

    @Option(help: "Our own example spec that exercises every generator feature, generated into the tests.")
    var fixtureSpecs: String = "Tests/KafkaCodegenTests/Fixtures"

    @Flag(help: "Rewrite the checksum list from the spec directory (when moving the pin) instead of verifying it.")
    var updateChecksums = false

    func run() throws {
        try verify(specs, against: checksums)
        try verify(olderSpecs, against: olderChecksums)
        let generator = try Generator(directory: URL(fileURLWithPath: specs), older: URL(fileURLWithPath: olderSpecs))
        let served = try ServedApis(parsing: String(contentsOfFile: servedApis, encoding: .utf8), file: servedApis)
        try generator.validate(served)
        try Generator.write(generator.libraryFiles(served: served), into: URL(fileURLWithPath: output))
        try Generator.write(generator.unservedLibraryFiles(served), into: URL(fileURLWithPath: unservedOutput))
        var testFiles = generator.sampleFiles(served: served)
        let fixture = try Generator(directory: URL(fileURLWithPath: fixtureSpecs))
        testFiles += fixture.libraryFiles(extraImport: "KafkaProtocol").map { ("Fixture/" + $0.0, $0.1) }
        testFiles += fixture.sampleFiles(listName: "allFixtureMessages").map { ("Fixture/" + $0.0, $0.1) }
        try Generator.write(testFiles, into: URL(fileURLWithPath: testOutput))
        print("kafka-codegen: \(generator.specs.count) specs -> \(output) and \(unservedOutput), samples and fixture -> \(testOutput)")
    }

    func verify(_ dir: String, against list: String) throws {
        let actual = try Self.checksums(of: URL(fileURLWithPath: dir))
        guard !actual.entries.isEmpty else { throw ValidationError("no *.json specs in \(dir)") }
        if updateChecksums {
            try actual.text.write(toFile: list, atomically: true, encoding: .utf8)
            print("kafka-codegen: wrote \(actual.entries.count) checksums to \(list)")
            return
        }
        let pinned = try Checksums(parsing: String(contentsOfFile: list, encoding: .utf8))
        let diff = pinned.differences(from: actual)
        guard diff.isEmpty else {
            throw ValidationError("the specs in \(dir) do not match \(list):\n" + diff.joined(separator: "\n")
                + "\nTo move the pin, see ProtocolSpecs/README.md.")
        }
    }

    static func checksums(of dir: URL) throws -> Checksums {
        var entries: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".json") {
            let data = try Data(contentsOf: dir.appendingPathComponent(name))
            entries[name] = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        }
        return Checksums(entries: entries)
    }
}

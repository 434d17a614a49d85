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

    @Option(help: "Directory holding Kafka's *.json message specs.")
    var specs: String = "../shared/kafka-protocol-specs"

    @Option(help: "The pinned checksum list the specs must match.")
    var checksums: String = "ProtocolSpecs/specs.sha256"

    @Option(help: "Where the codec's generated Swift goes.")
    var output: String = "Sources/KafkaProtocol/Generated"

    @Option(help: "Where the tests' generated sample builders go.")
    var testOutput: String = "Tests/KafkaProtocolTests/Generated"

    @Option(help: "Our own example spec that exercises every generator feature, generated into the tests.")
    var fixtureSpecs: String = "Tests/KafkaCodegenTests/Fixtures"

    @Flag(help: "Rewrite the checksum list from the spec directory (when moving the pin) instead of verifying it.")
    var updateChecksums = false

    func run() throws {
        let specDir = URL(fileURLWithPath: specs)
        let actual = try Self.checksums(of: specDir)
        guard !actual.entries.isEmpty else { throw ValidationError("no *.json specs in \(specs)") }
        if updateChecksums {
            try actual.text.write(toFile: checksums, atomically: true, encoding: .utf8)
            print("kafka-codegen: wrote \(actual.entries.count) checksums to \(checksums)")
        } else {
            let pinned = try Checksums(parsing: String(contentsOfFile: checksums, encoding: .utf8))
            let diff = pinned.differences(from: actual)
            guard diff.isEmpty else {
                throw ValidationError("the specs in \(specs) do not match \(checksums):\n" + diff.joined(separator: "\n")
                    + "\nTo move the pin, see ProtocolSpecs/README.md.")
            }
        }
        let generator = try Generator(directory: specDir)
        try Generator.write(generator.libraryFiles(), into: URL(fileURLWithPath: output))
        var testFiles = generator.sampleFiles()
        let fixture = try Generator(directory: URL(fileURLWithPath: fixtureSpecs))
        testFiles += fixture.libraryFiles(extraImport: "KafkaProtocol").map { ("Fixture/" + $0.0, $0.1) }
        testFiles += fixture.sampleFiles(listName: "allFixtureMessages").map { ("Fixture/" + $0.0, $0.1) }
        try Generator.write(testFiles, into: URL(fileURLWithPath: testOutput))
        print("kafka-codegen: \(generator.specs.count) specs -> \(output), samples and fixture -> \(testOutput)")
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

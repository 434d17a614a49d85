import Foundation

/// Reads a directory of specs and produces every generated file, as (relative path, contents).
/// Output depends only on the specs, so a rerun changes no byte.
public struct Generator {
    public let specs: [MessageSpec]

    /// Parses every `*.json` file of `directory`, sorted by name.
    public init(directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        var specs: [MessageSpec] = []
        for name in names {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            specs.append(try SpecParser(file: name).parse(text))
        }
        try self.init(specs: specs)
    }

    public init(specs: [MessageSpec]) throws {
        self.specs = specs
        var names: Set<String> = []
        for s in specs where !names.insert(s.name).inserted {
            throw SpecError(file: s.fileName, field: nil, reason: "a second spec named \(s.name)")
        }
        for req in requests {
            guard let resp = responses[req.apiKey!] else {
                throw SpecError(file: req.fileName, field: nil, reason: "no response spec for API key \(req.apiKey!)")
            }
            guard resp.validVersions == req.validVersions, resp.flexibleVersions == req.flexibleVersions else {
                throw SpecError(file: resp.fileName, field: nil, reason: "versions differ from \(req.fileName)")
            }
        }
    }

    var requests: [MessageSpec] { specs.filter { $0.kind == .request }.sorted { $0.apiKey! < $1.apiKey! } }
    var responses: [Int: MessageSpec] {
        Dictionary(specs.filter { $0.kind == .response }.map { ($0.apiKey!, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Library files, relative to the generated folder.
    public func libraryFiles(extraImport: String? = nil) -> [(String, String)] {
        var files = specs.map { ("Messages/\($0.name).swift", MessageEmitter(spec: $0).source(extraImport: extraImport)) }
        if !requests.isEmpty {
            files.append(("ApiKey.swift", ApiKeyEmitter(requests: requests, responses: responses).source()))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// Test-support files, relative to the tests' generated folder.
    public func sampleFiles(listName: String = "allGeneratedMessages") -> [(String, String)] {
        var files = specs.map { ("Samples/\($0.name)+Sample.swift", MessageEmitter(spec: $0).sampleSource()) }
        let w = CodeWriter()
        for l in MessageEmitter.header("the spec directory") { w.line(l) }
        w.line()
        w.line("@testable import KafkaProtocol")
        w.line()
        w.line("/// Every generated message, for tests that walk all of them.")
        w.line("let \(listName): [any SampledMessage.Type] = [")
        for s in specs.sorted(by: { $0.name < $1.name }) { w.line("    \(s.name).self,") }
        w.line("]")
        files.append(("Samples/\(listName.prefix(1).uppercased() + listName.dropFirst()).swift", w.text))
        return files.sorted { $0.0 < $1.0 }
    }

    /// Replaces the `.swift` files under `folder` with `files`, leaving other files alone.
    public static func write(_ files: [(String, String)], into folder: URL) throws {
        let fm = FileManager.default
        if let existing = fm.enumerator(atPath: folder.path) {
            for case let rel as String in existing where rel.hasSuffix(".swift") && !files.contains(where: { $0.0 == rel }) {
                try fm.removeItem(at: folder.appendingPathComponent(rel))
            }
        }
        for (rel, text) in files {
            let url = folder.appendingPathComponent(rel)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            if let old = try? String(contentsOf: url, encoding: .utf8), old == text { continue }
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }
}

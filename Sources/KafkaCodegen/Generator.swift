import Foundation

/// Reads a directory of specs and produces every generated file, as (relative path, contents).
/// Output depends only on the specs, so a rerun changes no byte.
public struct Generator {
    public let specs: [MessageSpec]

    /// Parses every `*.json` file of `directory`, sorted by name. With `older`, a second pin's
    /// directory, each message is merged with its older definition (`SpecMerge`): requests and
    /// responses are matched by API key (Kafka renames an API now and then: KIP-1142 made
    /// ListClientMetricsResources ListConfigResources), other specs by name.
    public init(directory: URL, older: URL? = nil) throws {
        var specs = try Self.parse(directory)
        if let older {
            let old = try Self.parse(older)
            func match(_ a: MessageSpec, _ b: MessageSpec) -> Bool {
                a.kind == b.kind && (a.apiKey != nil ? a.apiKey == b.apiKey : a.name == b.name)
            }
            specs = try specs.map { s in try old.first { match(s, $0) }.map { try SpecMerge.merge(newer: s, older: $0) } ?? s }
            for o in old where !specs.contains(where: { match($0, o) }) {
                var kept = o
                kept.kafkaVersions = .none
                specs.append(kept)
            }
        }
        try self.init(specs: specs.sorted { $0.fileName < $1.fileName })
    }

    static func parse(_ directory: URL) throws -> [MessageSpec] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            return try SpecParser(file: name).parse(text)
        }
    }

    public init(specs: [MessageSpec]) throws {
        self.specs = specs
        var names: Set<String> = []
        for s in specs where !names.insert(s.name).inserted {
            throw SpecError(file: s.fileName, field: nil, reason: "a second spec named \(s.name)")
        }
        for req in requests {
            guard !req.validVersions.isEmpty else {
                throw SpecError(file: req.fileName, field: nil, reason: "no valid versions (and no older pin that has some)")
            }
            guard let resp = responses[req.apiKey!] else {
                throw SpecError(file: req.fileName, field: nil, reason: "no response spec for API key \(req.apiKey!)")
            }
            guard resp.validVersions == req.validVersions, resp.flexibleVersions == req.flexibleVersions else {
                throw SpecError(file: resp.fileName, field: nil, reason: "versions differ from \(req.fileName)")
            }
        }
    }

    /// Checks `served` against the specs: every key it lists is an API of theirs, by the same name.
    public func validate(_ served: ServedApis) throws {
        for (key, name) in served.names.sorted(by: { $0.key < $1.key }) {
            guard let req = requests.first(where: { $0.apiKey == key }) else {
                throw SpecError(file: served.file, field: nil, reason: "API key \(key) (\(name)) is in no spec")
            }
            guard req.apiName == name else {
                throw SpecError(file: served.file, field: nil, reason: "API key \(key) is \(req.apiName) in the specs, not \(name)")
            }
        }
    }

    var requests: [MessageSpec] { specs.filter { $0.kind == .request }.sorted { $0.apiKey! < $1.apiKey! } }
    var responses: [Int: MessageSpec] {
        Dictionary(specs.filter { $0.kind == .response }.map { ($0.apiKey!, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Library files, relative to the generated folder: with `served`, the API keys whose messages
    /// the broker and client speak, only the messages `served.includes` keeps (those APIs' requests
    /// and responses, and every message of another kind); without, every message.
    public func libraryFiles(extraImport: String? = nil, served: ServedApis? = nil) -> [(String, String)] {
        var files = specs.filter { served?.includes($0) ?? true }
            .map { ("Messages/\($0.name).swift", MessageEmitter(spec: $0).source(extraImport: extraImport)) }
        if !requests.isEmpty {
            files.append(("ApiKey.swift", ApiKeyEmitter(requests: requests, responses: responses).source()))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    /// The messages of the APIs `served` does not list, for the module only the codec's tests build
    /// (`KafkaProtocolUnserved`); relative to its generated folder.
    public func unservedLibraryFiles(_ served: ServedApis) -> [(String, String)] {
        specs.filter { !served.includes($0) }
            .map { ("Messages/\($0.name).swift", MessageEmitter(spec: $0).source(extraImport: "KafkaProtocol")) }
            .sorted { $0.0 < $1.0 }
    }

    /// Test-support files, relative to the tests' generated folder: a sample builder per message,
    /// the list of them all and, with API specs, each key's request and response types (across
    /// both modules when `served` splits them).
    public func sampleFiles(listName: String = "allGeneratedMessages", served: ServedApis? = nil) -> [(String, String)] {
        var files = specs.map { spec in
            ("Samples/\(spec.name)+Sample.swift",
             MessageEmitter(spec: spec).sampleSource(unserved: served.map { !$0.includes(spec) } ?? false))
        }
        let w = CodeWriter()
        for l in MessageEmitter.header("the spec directory") { w.line(l) }
        w.line()
        w.line("@testable import KafkaProtocol")
        if served != nil { w.line("@testable import KafkaProtocolUnserved") }
        w.line()
        w.line("/// Every generated message, for tests that walk all of them.")
        w.line("let \(listName): [any SampledMessage.Type] = [")
        for s in specs.sorted(by: { $0.name < $1.name }) { w.line("    \(s.name).self,") }
        w.line("]")
        files.append(("Samples/\(listName.prefix(1).uppercased() + listName.dropFirst()).swift", w.text))
        if !requests.isEmpty {
            files.append(("Samples/ApiKey+MessageTypes.swift",
                          ApiKeyEmitter(requests: requests, responses: responses).messageTypesSource(unserved: served != nil)))
        }
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

/// Emits `ApiKey`: every API key with, as data, its versions and header versions.
struct ApiKeyEmitter {
    /// Request specs, sorted by API key.
    let requests: [MessageSpec]
    let responses: [Int: MessageSpec]

    func source() -> String {
        let w = CodeWriter()
        for l in MessageEmitter.header("every *Request.json and *Response.json") { w.line(l) }
        w.line()
        w.line("/// A Kafka API key. A struct rather than an enum so that keys this version does not know")
        w.line("/// can still be carried, logged and refused.")
        w.block("public struct ApiKey: RawRepresentable, Hashable, Sendable, CustomStringConvertible {") {
            w.line("public var rawValue: Int16")
            w.line()
            w.line("public init(rawValue: Int16) {")
            w.line("    self.rawValue = rawValue")
            w.line("}")
            for r in requests {
                w.line()
                w.line("/// \(r.apiName) (key \(r.apiKey!)).")
                w.line("public static let \(SwiftNames.escaped(SwiftNames.caseName(r.apiName))): ApiKey = ApiKey(rawValue: \(r.apiKey!))")
            }
            w.line()
            w.line("/// Every key in the specs, in key order.")
            w.line("public static let allKnown: [ApiKey] = [")
            for r in requests { w.line("    .\(SwiftNames.escaped(SwiftNames.caseName(r.apiName))),") }
            w.line("]")
            w.line()
            w.line("public var description: String { name }")
            emitSwitch(w, "/// The API's name, e.g. `Produce`.", "public var name: String", default: "\"Unknown(\\(rawValue))\"") {
                SwiftNames.stringLiteral($0.apiName)
            }
            emitSwitch(w, "/// Every version the pinned specs define, the newest pin's and those only an older pin has; nil for an unknown key.",
                "public var validVersions: ClosedRange<Int16>?", default: "nil") { MessageEmitter.swiftRange($0.validVersions) }
            emitSwitch(w, "/// The versions the newest pin (the Kafka release Gregor follows) defines; nil when that release dropped the API.",
                "public var kafkaVersions: ClosedRange<Int16>?", default: "nil") { MessageEmitter.swiftRange($0.kafkaVersions) }
            emitSwitch(w, "/// The first flexible version (KIP-482), if any.", "public var firstFlexibleVersion: Int16?", default: "nil") {
                $0.flexibleVersions.lowest.map { String($0) } ?? "nil"
            }
            emitSwitch(w, "/// Versions Kafka deprecates (KIP-896 removes many in 4.0).",
                "public var deprecatedVersions: ClosedRange<Int16>?", default: "nil") { MessageEmitter.swiftRange($0.deprecatedVersions) }
            emitSwitch(w, "/// Whether the spec marks its newest version as unstable (not to be advertised).",
                "public var latestVersionUnstable: Bool", default: "false") { $0.latestVersionUnstable ? "true" : "false" }
            w.line()
            w.line("/// The request header version for `apiVersion`: 2 when flexible, else 1; ControlledShutdown v0")
            w.line("/// alone uses header v0.")
            w.block("public func requestHeaderVersion(_ apiVersion: Int16) -> Int16 {") {
                w.line("if self == .controlledShutdown && apiVersion == 0 { return 0 }")
                w.line("guard let flexible = firstFlexibleVersion, apiVersion >= flexible else { return 1 }")
                w.line("return 2")
            }
            w.line()
            w.line("/// The response header version for `apiVersion`: 1 when flexible, else 0. ApiVersionsResponse")
            w.line("/// always uses v0, so a client that sent a version the broker does not know can still parse it (KIP-511).")
            w.block("public func responseHeaderVersion(_ apiVersion: Int16) -> Int16 {") {
                w.line("if self == .apiVersions { return 0 }")
                w.line("guard let flexible = firstFlexibleVersion, apiVersion >= flexible else { return 0 }")
                w.line("return 1")
            }
        }
        return w.text
    }

    /// Test support: each key's generated request and response types. The library leaves them
    /// out so that it need not link the messages of APIs Gregor does not serve.
    func messageTypesSource(unserved: Bool) -> String {
        let w = CodeWriter()
        for l in MessageEmitter.header("every *Request.json and *Response.json") { w.line(l) }
        w.line()
        w.line("@testable import KafkaProtocol")
        if unserved { w.line("@testable import KafkaProtocolUnserved") }
        w.line()
        w.block("extension ApiKey {") {
            emitSwitch(w, "/// The generated request type.", "var requestType: (any KafkaAPIMessage.Type)?", default: "nil", first: true) {
                "\($0.name).self"
            }
            emitSwitch(w, "/// The generated response type.", "var responseType: (any KafkaAPIMessage.Type)?", default: "nil") {
                responses[$0.apiKey!].map { "\($0.name).self" } ?? "nil"
            }
        }
        return w.text
    }

    func emitSwitch(_ w: CodeWriter, _ doc: String, _ decl: String, default def: String, first: Bool = false,
                    _ value: (MessageSpec) -> String) {
        if !first { w.line() }
        w.line(doc)
        w.block("\(decl) {") {
            w.block("switch rawValue {", close: "}") {
                for r in requests { w.line("case \(r.apiKey!): return \(value(r))") }
                w.line("default: return \(def)")
            }
        }
    }
}

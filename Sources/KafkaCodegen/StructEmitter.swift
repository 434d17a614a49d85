import Foundation

/// Emits one Swift struct: a message's top level or one of its nested structs.
struct StructEmitter {
    let message: MessageSpec
    /// The Swift type name, e.g. `ProduceRequest` or `ProduceRequest.TopicProduceData`.
    let qualifiedName: String
    let fields: [FieldSpec]
    /// Versions this struct's code can run at.
    let context: Versions
    let isTopLevel: Bool

    var codes: [FieldCode] {
        fields.map { FieldCode(spec: $0, context: context, flexibleVersions: message.flexibleVersions, owner: message.name) }
    }
    var regular: [FieldCode] { codes.filter { !$0.spec.isTagged } }
    var tagged: [FieldCode] { codes.filter { $0.spec.isTagged }.sorted { $0.spec.tag! < $1.spec.tag! } }
    var simpleName: String { String(qualifiedName.split(separator: ".").last!) }

    /// `nil` when every context version is flexible, `"false"` when none is.
    var flexibleCondition: String? { message.flexibleVersions.condition(within: context) }
    /// Versions the tagged-field section runs at.
    var flexibleContext: Versions { context.intersection(message.flexibleVersions) }

    func emit(_ w: CodeWriter, conformances: String, statics: [String]) {
        w.block("public struct \(simpleName): \(conformances) {") {
            for s in statics { w.line(s) }
            if !statics.isEmpty { w.line() }
            for c in codes {
                w.line("/// \(SwiftNames.doc(c.spec.about.isEmpty ? c.spec.name : c.spec.about))")
                w.line("/// - Versions: \(versionNote(c.spec))")
                w.line("public var \(c.escapedName): \(c.swiftType)")
            }
            w.line("/// Tagged fields this version of the codec does not know, kept for re-encoding (KIP-482).")
            w.line("public var unknownTaggedFields: [UnknownTaggedField]")
            w.line()
            emitInit(w)
            w.line()
            emitDecode(w)
            w.line()
            emitWrite(w)
            w.line()
            emitSize(w)
        }
    }

    func versionNote(_ f: FieldSpec) -> String {
        var parts = ["\(f.versions)"]
        if !f.nullableVersions.isEmpty { parts.append("nullable \(f.nullableVersions)") }
        if let t = f.tag { parts.append("tag \(t) in \(f.taggedVersions)") }
        if f.ignorable { parts.append("ignorable") }
        if f.mapKey { parts.append("map key") }
        if f.zeroCopy { parts.append("zero-copy") }
        if let d = f.defaultValue { parts.append("default \(d)") }
        return parts.joined(separator: "; ")
    }

    func emitInit(_ w: CodeWriter) {
        var params = codes.map { "\($0.escapedName): \($0.swiftType) = \($0.defaultExpr)" }
        params.append("unknownTaggedFields: [UnknownTaggedField] = []")
        w.line("public init(")
        for (i, p) in params.enumerated() { w.line("    \(p)\(i == params.count - 1 ? "" : ",")") }
        w.block(") {") {
            for c in codes { w.line("self.\(c.name) = \(c.escapedName)") }
            w.line("self.unknownTaggedFields = unknownTaggedFields")
        }
    }

    /// Prepends `let flexible` when the body uses it.
    func withFlexible(_ body: [String]) -> [String] {
        let uses = body.contains { $0.replacingOccurrences(of: "flexible:", with: "").contains("flexible") }
        guard uses else { return body }
        let value: String
        switch flexibleCondition {
        case nil: value = "true"
        case "false": value = "false"
        case let c?: value = c
        }
        return ["let flexible: Bool = \(value)"] + body
    }

    func guarded(_ cond: String?, _ body: [String], otherwise: [String] = []) -> [String] {
        switch cond {
        case nil: return body
        case "false": return otherwise
        case let c?:
            if otherwise.isEmpty { return ["if \(c) {"] + indent(body) + ["}"] }
            return ["if \(c) {"] + indent(body) + ["} else {"] + indent(otherwise) + ["}"]
        }
    }

    var literalName: String { SwiftNames.stringLiteral(isTopLevel ? message.name : simpleName) }

    func emitDecode(_ w: CodeWriter) {
        w.block("public init(from buffer: inout ByteBuffer, version: Int16) throws {") {
            if isTopLevel {
                w.block("guard Self.validVersions.contains(version) else {") {
                    w.line("throw KafkaDecodingError(.unsupportedVersion, field: \"\", message: Self.messageName, version: version)")
                }
            }
            w.line("self.init()")
            w.block("do {") { w.line("try self.decodeFields(from: &buffer, version: version)") }
            w.block("catch let error as KafkaDecodingError {") {
                w.line(isTopLevel ? "throw error.inMessage(Self.messageName, version: version)" : "throw error.within(\(literalName))")
            }
        }
        w.line()
        var body: [String] = []
        for c in regular {
            body += guarded(c.live.condition(within: context), c.read(into: "self.\(c.name)", from: "buffer"))
        }
        if flexibleCondition != "false" {
            var cases: [String] = []
            for c in tagged where c.live.range != nil {
                let when = c.spec.taggedVersions.condition(within: flexibleContext).map { " where \($0)" } ?? ""
                cases += ["case \(c.spec.tag!)\(when):", "    var tagged: ByteBuffer = try buffer.readKafkaTaggedFieldData(\(c.literal))"]
                cases += indent(c.read(into: "self.\(c.name)", from: "tagged"))
            }
            let keep = "self.unknownTaggedFields.append(UnknownTaggedField(tag: tag, data: try buffer.readKafkaTaggedFieldData(\"TaggedFields\")))"
            let dispatch = cases.isEmpty ? [keep] : ["switch tag {"] + cases + ["default:", "    " + keep, "}"]
            let loop = [
                "let tagCount: UInt32 = try buffer.readUnsignedVarInt(\"TaggedFields\")",
                "for _ in 0..<tagCount {",
                "    let tag: UInt32 = try buffer.readUnsignedVarInt(\"TaggedFields\")",
            ] + indent(dispatch) + ["}"]
            body += guarded(flexibleCondition.map { _ in "flexible" }, loop)
        }
        w.block("mutating func decodeFields(from buffer: inout ByteBuffer, version: Int16) throws {") {
            w.append(withFlexible(body))
        }
    }

    func notInVersionCheck(_ c: FieldCode) -> [String] {
        guard !c.spec.ignorable else { return [] }
        return ["if self.\(c.name) != \(c.defaultExpr) { throw KafkaEncodingError(.fieldNotInVersion, field: \(c.literal)) }"]
    }
}

/// Encoding and sizing: the two always walk the fields in the same order with the same conditions.
extension StructEmitter {
    func emitWrite(_ w: CodeWriter) {
        w.block("public func write(to buffer: inout ByteBuffer, version: Int16) throws {") {
            if isTopLevel {
                w.block("guard Self.validVersions.contains(version) else {") {
                    w.line("throw KafkaEncodingError(.unsupportedVersion, message: Self.messageName, version: version, field: \"\")")
                }
            }
            w.block("do {") { w.line("try self.writeFields(to: &buffer, version: version)") }
            w.block("catch let error as KafkaEncodingError {") {
                w.line(isTopLevel ? "throw error.inMessage(Self.messageName, version: version)" : "throw error.within(\(literalName))")
            }
        }
        w.line()
        var body: [String] = []
        for c in regular {
            body += guarded(c.live.condition(within: context), c.write("self.\(c.name)", to: "buffer"), otherwise: notInVersionCheck(c))
        }
        if flexibleCondition != "false" {
            var section = ["\(tagged.isEmpty ? "let" : "var") tagCount: Int = self.unknownTaggedFields.count"]
            for c in tagged {
                section += guarded(c.live.condition(within: flexibleContext), ["if self.\(c.name) != \(c.defaultExpr) { tagCount += 1 }"])
            }
            section += ["buffer.writeUnsignedVarInt(UInt32(tagCount))"]
            let flushUnknown = { (below: String?) -> [String] in
                let limit = below.map { " && self.unknownTaggedFields[unknownIndex].tag < \($0)" } ?? ""
                return ["while unknownIndex < self.unknownTaggedFields.count\(limit) {",
                    "    self.unknownTaggedFields[unknownIndex].write(to: &buffer)", "    unknownIndex += 1", "}"]
            }
            if tagged.isEmpty {
                section += ["for field in self.unknownTaggedFields { field.write(to: &buffer) }"]
            } else {
                section += ["var unknownIndex: Int = 0"]
                for c in tagged {
                    section += flushUnknown(String(c.spec.tag!))
                    let write = ["if self.\(c.name) != \(c.defaultExpr) {",
                        "    try buffer.writeKafkaTaggedField(tag: \(c.spec.tag!)) { (buffer: inout ByteBuffer) throws in"]
                        + indent(indent(c.write("self.\(c.name)", to: "buffer"))) + ["    }", "}"]
                    section += guarded(c.live.condition(within: flexibleContext), write, otherwise: notInVersionCheck(c))
                }
                section += flushUnknown(nil)
            }
            let rejectTags = [
                "if !self.unknownTaggedFields.isEmpty { throw KafkaEncodingError(.fieldNotInVersion, field: \"TaggedFields\") }"
            ] + tagged.flatMap(notInVersionCheck)
            body += guarded(flexibleCondition.map { _ in "flexible" }, section, otherwise: rejectTags)
        } else {
            body += ["if !self.unknownTaggedFields.isEmpty { throw KafkaEncodingError(.fieldNotInVersion, field: \"TaggedFields\") }"]
        }
        w.block("func writeFields(to buffer: inout ByteBuffer, version: Int16) throws {") {
            w.append(withFlexible(body))
        }
    }

    func emitSize(_ w: CodeWriter) {
        var body = ["var size: Int = 0"]
        for c in regular {
            body += guarded(c.live.condition(within: context), c.size("self.\(c.name)", into: "size"))
        }
        if flexibleCondition != "false" {
            var section = ["\(tagged.isEmpty ? "let" : "var") tagCount: Int = self.unknownTaggedFields.count",
                "for field in self.unknownTaggedFields { size += field.size }"]
            for c in tagged {
                let one = ["if self.\(c.name) != \(c.defaultExpr) {", "    tagCount += 1", "    var fieldSize: Int = 0"]
                    + indent(c.size("self.\(c.name)", into: "fieldSize"))
                    + ["    size += KafkaSize.taggedField(tag: \(c.spec.tag!), valueSize: fieldSize)", "}"]
                section += guarded(c.live.condition(within: flexibleContext), one)
            }
            section += ["size += UnsignedVarInt.size(tagCount)"]
            body += guarded(flexibleCondition.map { _ in "flexible" }, section)
        }
        body += ["return size"]
        w.block("public func size(version: Int16) -> Int {") {
            w.append(withFlexible(body))
        }
    }

    /// A test helper that sets every field the version carries to a non-default value.
    func emitSample(_ w: CodeWriter) {
        var body = ["var value = \(qualifiedName)()"]
        for c in regular {
            body += guarded(c.live.condition(within: context), ["value.\(c.name) = \(c.sampleExpr())"])
        }
        for c in tagged {
            body += guarded(c.live.condition(within: context), ["value.\(c.name) = \(c.sampleExpr())"])
        }
        if flexibleCondition != "false" {
            // Tag 1000 is unused by every spec: it stands for a field from a newer Kafka.
            body += guarded(flexibleCondition.map { _ in "flexible" },
                ["value.unknownTaggedFields = [UnknownTaggedField(tag: 1000, data: ByteBuffer(bytes: [0xAB, 0xCD]))]"])
        }
        body += ["return value"]
        w.block("static func sample(version: Int16) -> \(qualifiedName) {") {
            w.append(withFlexible(body))
        }
        if isTopLevel {
            w.line()
            w.line("static var defaultValue: \(qualifiedName) { \(qualifiedName)() }")
        }
    }
}

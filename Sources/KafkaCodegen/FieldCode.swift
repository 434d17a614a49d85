/// The Swift for one field: its declaration, default, and the statements that read, write and
/// size it. Everything is straight-line code with explicit types, so the type checker stays fast.
struct FieldCode {
    let spec: FieldSpec
    /// Versions the enclosing struct's code can run at.
    let context: Versions
    /// The message's flexible versions.
    let flexibleVersions: Versions
    /// The message type that holds every struct of the spec, for fully qualified names.
    let owner: String

    var name: String { SwiftNames.property(spec.name) }
    var escapedName: String { SwiftNames.escaped(name) }
    var literal: String { SwiftNames.stringLiteral(spec.name) }

    /// Versions in which this field is on the wire, within the context.
    var live: Versions { spec.versions.intersection(context) }

    var baseType: String { Self.swiftType(spec.type, zeroCopy: spec.zeroCopy, owner: owner) }
    var swiftType: String { spec.isOptional ? optionalType : baseType }
    var optionalType: String { baseType.hasPrefix("[") || !baseType.contains(" ") ? baseType + "?" : "(\(baseType))?" }

    static func swiftType(_ type: FieldType, zeroCopy: Bool, owner: String) -> String {
        switch type {
        case .bool: return "Bool"
        case .int8: return "Int8"
        case .int16: return "Int16"
        case .int32: return "Int32"
        case .int64: return "Int64"
        case .uint16: return "UInt16"
        case .float64: return "Double"
        case .string: return "String"
        case .bytes: return zeroCopy ? "ByteBuffer" : "[UInt8]"
        case .uuid: return "KafkaUUID"
        case .records: return "ByteBuffer"
        case .structure(let n): return "\(owner).\(n)"
        case .array(let e): return "[\(swiftType(e, zeroCopy: zeroCopy, owner: owner))]"
        }
    }

    /// The value a new instance starts with, as Kafka's generated constructors set it.
    var defaultExpr: String {
        let d = spec.defaultValue
        if spec.isOptional && (d == "null" || spec.type == .records) { return "nil" }
        switch spec.type {
        case .bool: return d ?? "false"
        case .int8, .int16, .int32, .int64, .uint16:
            guard let d, let v = Literals.integer(d) else { return "0" }
            return d.lowercased().contains("0x") ? d : String(v)
        case .float64: return d.flatMap { Double($0) }.map { "\($0)" } ?? "0.0"
        case .string: return SwiftNames.stringLiteral(d ?? "")
        case .bytes: return spec.zeroCopy ? "ByteBuffer()" : "[]"
        case .records: return "ByteBuffer()"
        case .uuid:
            if let d, !d.isEmpty { return "KafkaUUID(\(SwiftNames.stringLiteral(d)))!" }
            return ".zero"
        case .structure(let n): return "\(owner).\(n)()"
        case .array: return "[]"
        }
    }

    /// The `flexible` expression for this field (RequestHeader's ClientId is never compact).
    var flexibleExpr: String {
        guard let own = spec.flexibleVersions else { return "flexible" }
        switch own.condition(within: live) {
        case nil: return "true"
        case "false": return "false"
        case let c?: return "(\(c))"
        }
    }

    /// The condition, within the live versions, under which null is allowed.
    var nullableCondition: String? { spec.nullableVersions.condition(within: live) }

    // MARK: Reading

    /// Statements that read the field from `buf` into `target`.
    func read(into target: String, from buf: String) -> [String] {
        guard spec.isOptional else { return readValue(into: target, from: buf, nullable: false) }
        switch nullableCondition {
        case nil: return readValue(into: target, from: buf, nullable: true)
        case "false": return readValue(into: target, from: buf, nullable: false)
        case let c?:
            return ["if \(c) {"] + indent(readValue(into: target, from: buf, nullable: true)) + ["} else {"]
                + indent(readValue(into: target, from: buf, nullable: false)) + ["}"]
        }
    }

    private func readValue(into target: String, from buf: String, nullable: Bool) -> [String] {
        guard case .array(let element) = spec.type else {
            return ["\(target) = \(readElement(spec.type, from: buf, nullable: nullable))"]
        }
        let elementType = Self.swiftType(element, zeroCopy: spec.zeroCopy, owner: owner)
        // Struct elements are large; reserve only a little, since the count is checked against
        // the bytes left but each element may decode into far more memory than one byte.
        let reserve = element.structName == nil ? "count" : "Swift.min(count, 64)"
        var body = [
            "var array: [\(elementType)] = []",
            "array.reserveCapacity(\(reserve))",
            "for _ in 0..<count {",
            "    array.append(\(readElement(element, from: buf, nullable: false)))",
            "}",
            "\(target) = array",
        ]
        if nullable {
            body = ["if let count = try \(buf).readKafkaArrayCount(\(literal), flexible: \(flexibleExpr)) {"] + indent(body)
                + ["} else {", "    \(target) = nil", "}"]
            return body
        }
        return ["do {", "    let count: Int = try \(buf).readKafkaNonNullArrayCount(\(literal), flexible: \(flexibleExpr))"]
            + indent(body) + ["}"]
    }

    private func readElement(_ type: FieldType, from buf: String, nullable: Bool) -> String {
        let f = flexibleExpr
        switch type {
        case .bool: return "try \(buf).readKafkaBool(\(literal))"
        case .int8: return "try \(buf).readKafkaInt8(\(literal))"
        case .int16: return "try \(buf).readKafkaInt16(\(literal))"
        case .int32: return "try \(buf).readKafkaInt32(\(literal))"
        case .int64: return "try \(buf).readKafkaInt64(\(literal))"
        case .uint16: return "try \(buf).readKafkaUInt16(\(literal))"
        case .float64: return "try \(buf).readKafkaFloat64(\(literal))"
        case .uuid: return "try \(buf).readKafkaUUID(\(literal))"
        case .string:
            return "try \(buf).readKafka\(nullable ? "Nullable" : "")String(\(literal), flexible: \(f))"
        case .bytes where !spec.zeroCopy:
            return "try \(buf).readKafka\(nullable ? "Nullable" : "")Bytes(\(literal), flexible: \(f))"
        case .bytes, .records:
            return "try \(buf).readKafka\(nullable ? "Nullable" : "")Slice(\(literal), flexible: \(f))"
        case .structure(let n):
            let value = "try \(owner).\(n)(from: &\(buf), version: version)"
            return nullable ? "try \(buf).readKafkaStructPresence(\(literal)) ? \(value) : nil" : value
        case .array:
            preconditionFailure("arrays of arrays are rejected by the parser")
        }
    }

    // MARK: Writing

    /// Statements that write `value` (the field's Swift value) to `buf`.
    func write(_ value: String, to buf: String) -> [String] {
        var out: [String] = []
        if spec.isOptional {
            switch nullableCondition {
            case nil: break
            case "false": out.append("if \(value) == nil { throw KafkaEncodingError(.nullNotAllowed, field: \(literal)) }")
            case let c?: out.append("if !(\(c)) && \(value) == nil { throw KafkaEncodingError(.nullNotAllowed, field: \(literal)) }")
            }
        }
        guard case .array(let element) = spec.type else {
            return out + writeElement(spec.type, value, to: buf, optional: spec.isOptional)
        }
        let each = writeElement(element, "element", to: buf, optional: false)
        if spec.isOptional {
            return out + ["if let array = \(value) {",
                "    try \(buf).writeKafkaArrayCount(array.count, flexible: \(flexibleExpr), \(literal))",
                "    for element in array {"] + indent(indent(each)) + ["    }", "} else {",
                "    try \(buf).writeKafkaArrayCount(nil, flexible: \(flexibleExpr), \(literal))", "}"]
        }
        return out + ["try \(buf).writeKafkaArrayCount(\(value).count, flexible: \(flexibleExpr), \(literal))",
            "for element in \(value) {"] + indent(each) + ["}"]
    }

    private func writeElement(_ type: FieldType, _ v: String, to buf: String, optional: Bool) -> [String] {
        let f = flexibleExpr
        switch type {
        case .bool: return ["\(buf).writeKafkaBool(\(v))"]
        case .int8, .int16, .int32, .int64, .uint16: return ["\(buf).writeInteger(\(v))"]
        case .float64: return ["\(buf).writeKafkaFloat64(\(v))"]
        case .uuid: return ["\(buf).writeKafkaUUID(\(v))"]
        case .string: return ["try \(buf).writeKafkaString(\(v), flexible: \(f), \(literal))"]
        case .bytes where !spec.zeroCopy: return ["try \(buf).writeKafkaBytes(\(v), flexible: \(f), \(literal))"]
        case .bytes, .records: return ["try \(buf).writeKafkaSlice(\(v), flexible: \(f), \(literal))"]
        case .structure:
            guard optional else { return ["try \(v).write(to: &\(buf), version: version)"] }
            return ["if let value = \(v) {", "    \(buf).writeInteger(Int8(1))",
                "    try value.write(to: &\(buf), version: version)", "} else {", "    \(buf).writeInteger(Int8(-1))", "}"]
        case .array:
            preconditionFailure("arrays of arrays are rejected by the parser")
        }
    }

    // MARK: Sizing

    /// Statements that add the encoded size of `value` to `acc`.
    func size(_ value: String, into acc: String) -> [String] {
        guard case .array(let element) = spec.type else {
            return ["\(acc) += \(sizeElement(spec.type, value, optional: spec.isOptional))"]
        }
        let count = spec.isOptional ? "\(value)?.count" : "\(value).count"
        var out = ["\(acc) += KafkaSize.arrayCount(\(count), flexible: \(flexibleExpr))"]
        if let fixed = Self.fixedSize(element) {
            out.append("\(acc) += \(fixed) * (\(count)\(spec.isOptional ? " ?? 0" : ""))")
        } else {
            let seq = spec.isOptional ? "\(value) ?? []" : value
            out += ["for element in \(seq) {", "    \(acc) += \(sizeElement(element, "element", optional: false))", "}"]
        }
        return out
    }

    static func fixedSize(_ type: FieldType) -> Int? {
        switch type {
        case .bool, .int8: return 1
        case .int16, .uint16: return 2
        case .int32: return 4
        case .int64, .float64: return 8
        case .uuid: return 16
        default: return nil
        }
    }

    private func sizeElement(_ type: FieldType, _ v: String, optional: Bool) -> String {
        if let fixed = Self.fixedSize(type) { return String(fixed) }
        let f = flexibleExpr
        switch type {
        case .string: return "KafkaSize.string(\(v), flexible: \(f))"
        case .bytes where !spec.zeroCopy: return "KafkaSize.bytes(\(v), flexible: \(f))"
        case .bytes, .records: return "KafkaSize.slice(\(v), flexible: \(f))"
        case .structure:
            return optional ? "1 + (\(v)?.size(version: version) ?? 0)" : "\(v).size(version: version)"
        default:
            preconditionFailure("unreachable: \(type)")
        }
    }

    // MARK: Samples for tests

    /// A value that differs from the default, for round-trip tests.
    func sampleExpr() -> String {
        guard case .array(let element) = spec.type else { return sampleElement(spec.type) }
        let one = sampleElement(element)
        return Self.fixedSize(element) != nil || element == .string ? "[\(one), \(one)]" : "[\(one)]"
    }

    private func sampleElement(_ type: FieldType) -> String {
        switch type {
        case .bool: return spec.defaultValue == "true" ? "false" : "true"
        case .int8, .int16, .int32, .int64, .uint16:
            let d = spec.defaultValue.flatMap(Literals.integer) ?? 0
            return String(d == 0 || d == -1 ? 7 : (d > 0 ? d - 1 : d + 1))
        case .float64: return "1.5"
        case .string: return SwiftNames.stringLiteral("\(spec.name)-sample-é")
        case .bytes: return spec.zeroCopy ? "ByteBuffer(bytes: [1, 2, 3])" : "[1, 2, 3]"
        case .records: return "ByteBuffer(bytes: [0, 1, 2, 3, 4])"
        case .uuid: return "KafkaUUID(high: 0x0102_0304_0506_0708, low: 0x1112_1314_1516_1718)"
        case .structure(let n): return "\(owner).\(n).sample(version: version)"
        case .array: preconditionFailure("arrays of arrays are rejected by the parser")
        }
    }
}

func indent(_ lines: [String]) -> [String] {
    lines.map { $0.isEmpty ? $0 : "    " + $0 }
}

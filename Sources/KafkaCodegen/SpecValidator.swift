/// Checks a parsed spec the way Kafka's generator does before any code is written.
struct SpecValidator {
    let file: String
    let message: MessageSpec

    func validate() throws {
        var seen: Set<String> = []
        for s in message.structs {
            guard seen.insert(s.name).inserted else { throw fail(s.name, "struct \(s.name) is declared twice") }
            if s.name == message.name { throw fail(s.name, "a struct has the message's own name") }
        }
        try validate(fields: message.fields, in: message.name)
        for s in message.structs { try validate(fields: s.fields, in: s.name) }
    }

    func validate(fields: [FieldSpec], in parent: String) throws {
        var names: Set<String> = []
        var tags: Set<Int> = []
        for f in fields {
            let path = parent + "." + f.name
            guard names.insert(f.name).inserted else { throw fail(path, "duplicate field name") }
            if !f.nullableVersions.isEmpty && !f.type.canBeNullable {
                throw fail(path, "nullableVersions given, but \(f.type) cannot be null")
            }
            if f.zeroCopy && f.type != .bytes { throw fail(path, "zeroCopy is only for bytes") }
            if let name = f.type.structName, !message.structs.contains(where: { $0.name == name }) {
                throw fail(path, "unknown struct type \(name)")
            }
            switch (f.tag, f.taggedVersions.isEmpty) {
            case (nil, true): break
            case (nil, false): throw fail(path, "taggedVersions given without a tag")
            case (.some, true): throw fail(path, "a tag given without taggedVersions")
            case (.some(let t), false):
                guard tags.insert(t).inserted else { throw fail(path, "tag \(t) is used twice") }
                guard message.flexibleVersions.covers(f.taggedVersions) else {
                    throw fail(path, "taggedVersions \(f.taggedVersions) are not all flexible (\(message.flexibleVersions))")
                }
                guard f.taggedVersions == f.versions else {
                    throw fail(path, "taggedVersions \(f.taggedVersions) differ from versions \(f.versions)")
                }
            }
            if let d = f.defaultValue { try validateDefault(d, f, path) }
        }
    }

    func validateDefault(_ d: String, _ f: FieldSpec, _ path: String) throws {
        switch f.type {
        case .bool:
            guard d == "true" || d == "false" else { throw fail(path, "default \"\(d)\" is not a bool") }
        case .int8, .int16, .int32, .int64, .uint16:
            guard let v = Literals.integer(d), Literals.fits(v, f.type) else {
                throw fail(path, "default \"\(d)\" is not a valid \(f.type)")
            }
        case .float64:
            guard Double(d) != nil else { throw fail(path, "default \"\(d)\" is not a float64") }
        case .string:
            if d == "null" && f.nullableVersions.isEmpty { throw fail(path, "default null, but the field is not nullable") }
        case .uuid:
            break
        case .bytes, .records, .array, .structure:
            guard d == "null" || d.isEmpty else { throw fail(path, "only null can be the default of \(f.type)") }
            if d == "null" && f.nullableVersions.isEmpty { throw fail(path, "default null, but the field is not nullable") }
        }
    }

    func fail(_ field: String, _ reason: String) -> SpecError {
        SpecError(file: file, field: field, reason: reason)
    }
}

/// Integer literals as specs write them: decimal or `0x` hexadecimal, possibly negative.
enum Literals {
    static func integer(_ text: String) -> Int64? {
        var t = Substring(text)
        var negative = false
        if t.hasPrefix("-") { negative = true; t = t.dropFirst() }
        let value: Int64?
        if t.hasPrefix("0x") || t.hasPrefix("0X") { value = Int64(t.dropFirst(2), radix: 16) } else { value = Int64(t) }
        guard let v = value else { return nil }
        return negative ? -v : v
    }

    static func fits(_ v: Int64, _ type: FieldType) -> Bool {
        switch type {
        case .int8: return Int64(Int8.min)...Int64(Int8.max) ~= v
        case .int16: return Int64(Int16.min)...Int64(Int16.max) ~= v
        case .int32: return Int64(Int32.min)...Int64(Int32.max) ~= v
        case .uint16: return 0...Int64(UInt16.max) ~= v
        case .int64: return true
        default: return false
        }
    }
}

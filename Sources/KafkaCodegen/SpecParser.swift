import Foundation

/// Reads one spec file into a `MessageSpec`, rejecting anything Kafka's generator would reject
/// with an error that names the file and the field.
public struct SpecParser {
    let file: String

    public init(file: String) {
        self.file = file
    }

    static let messageKeys: Set<String> = [
        "apiKey", "type", "listeners", "name", "validVersions", "flexibleVersions", "deprecatedVersions",
        "latestVersionUnstable", "fields", "commonStructs",
    ]
    static let fieldKeys: Set<String> = [
        "name", "type", "versions", "nullableVersions", "taggedVersions", "tag", "default", "ignorable",
        "mapKey", "zeroCopy", "flexibleVersions", "about", "fields", "entityType",
    ]

    /// Parses spec text (with `//` comments).
    public func parse(_ text: String) throws -> MessageSpec {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(JSONComments.strip(text).utf8))
        } catch {
            throw SpecError(file: file, field: nil, reason: "not valid JSON: \(error.localizedDescription)")
        }
        guard let top = json as? [String: Any] else { throw fail(nil, "the top level is not an object") }
        for key in top.keys.sorted() where !Self.messageKeys.contains(key) {
            throw fail(nil, "unknown key \"\(key)\"")
        }
        let name = try string(top, "name", field: nil)
        guard let kind = MessageKind(rawValue: try string(top, "type", field: nil)) else {
            throw fail(nil, "unknown type \"\(top["type"] ?? "")\"")
        }
        var apiKey: Int?
        if let k = top["apiKey"] {
            guard let n = k as? Int, (0...Int(Int16.max)).contains(n) else { throw fail(nil, "apiKey is not a valid int16") }
            apiKey = n
        }
        if (kind == .request || kind == .response) && apiKey == nil { throw fail(nil, "a \(kind.rawValue) needs an apiKey") }
        // Kafka 4 keeps "none" stubs of the ZooKeeper-era APIs; the generator takes those from an older pin.
        let valid = try versions(top, "validVersions", field: nil, required: true)
        let flexible = try versions(top, "flexibleVersions", field: nil, required: false)
        let deprecated = try versions(top, "deprecatedVersions", field: nil, required: false)
        var structs: [StructSpec] = []
        var common: [String: StructSpec] = [:]
        for raw in (top["commonStructs"] as? [Any]) ?? [] {
            guard let obj = raw as? [String: Any] else { throw fail(nil, "a common struct is not an object") }
            let sname = try string(obj, "name", field: "commonStructs")
            let sversions = try versions(obj, "versions", field: sname, required: true)
            let fields = try (obj["fields"] as? [Any] ?? []).map { try parseField($0, parent: sname, structs: &structs) }
            let spec = StructSpec(name: sname, versions: sversions, fields: fields)
            common[sname] = spec
            structs.append(spec)
        }
        guard let rawFields = top["fields"] as? [Any] ?? (valid.isEmpty ? [] : nil) else { throw fail(nil, "missing \"fields\"") }
        let fields = try rawFields.map { try parseField($0, parent: name, structs: &structs) }
        var message = MessageSpec(
            fileName: file, name: name, kind: kind, apiKey: apiKey, validVersions: valid,
            flexibleVersions: flexible, deprecatedVersions: deprecated,
            latestVersionUnstable: (top["latestVersionUnstable"] as? Bool) ?? false,
            fields: fields, structs: structs
        )
        message.kafkaVersions = valid
        try SpecValidator(file: file, message: message).validate()
        return message
    }

    func parseField(_ raw: Any, parent: String, structs: inout [StructSpec]) throws -> FieldSpec {
        guard let obj = raw as? [String: Any] else { throw fail(parent, "a field is not an object") }
        let name = try string(obj, "name", field: parent + ".?")
        let path = parent + "." + name
        for key in obj.keys.sorted() where !Self.fieldKeys.contains(key) {
            throw fail(path, "unknown key \"\(key)\"")
        }
        let typeText = try string(obj, "type", field: path)
        guard let type = FieldType(parsing: typeText) else { throw fail(path, "unknown type \"\(typeText)\"") }
        let fieldVersions = try versions(obj, "versions", field: path, required: true)
        var tag: Int?
        if let t = obj["tag"] {
            if let n = t as? Int { tag = n } else if let s = t as? String, let n = Int(s) { tag = n }
            guard let n = tag, n >= 0 else { throw fail(path, "tag is not a non-negative integer") }
        }
        var defaultValue: String?
        if let d = obj["default"] {
            // Foundation bridges JSON numbers and booleans alike, so the field's type decides.
            if let s = d as? String { defaultValue = s }
            else if type == .bool, let b = d as? Bool { defaultValue = b ? "true" : "false" }
            else if type != .bool, let n = d as? Int { defaultValue = String(n) }
            else { throw fail(path, "default \(d) does not fit type \(typeText)") }
        }
        var nested: [FieldSpec]?
        if let rawNested = obj["fields"] as? [Any] {
            guard let sname = type.structName else { throw fail(path, "has fields but type \(typeText) is not a struct") }
            let children = try rawNested.map { try parseField($0, parent: sname, structs: &structs) }
            structs.append(StructSpec(name: sname, versions: fieldVersions, fields: children))
            nested = children
        }
        return FieldSpec(
            name: name, type: type, versions: fieldVersions,
            nullableVersions: try versions(obj, "nullableVersions", field: path, required: false),
            taggedVersions: try versions(obj, "taggedVersions", field: path, required: false),
            tag: tag, defaultValue: defaultValue,
            ignorable: try bool(obj, "ignorable", field: path),
            mapKey: try bool(obj, "mapKey", field: path),
            zeroCopy: try bool(obj, "zeroCopy", field: path),
            flexibleVersions: obj["flexibleVersions"] == nil ? nil : try versions(obj, "flexibleVersions", field: path, required: true),
            about: (obj["about"] as? String) ?? "",
            fields: nested
        )
    }

    func fail(_ field: String?, _ reason: String) -> SpecError {
        SpecError(file: file, field: field, reason: reason)
    }

    func string(_ obj: [String: Any], _ key: String, field: String?) throws -> String {
        guard let s = obj[key] as? String, !s.isEmpty else { throw fail(field, "missing or empty \"\(key)\"") }
        return s
    }

    func bool(_ obj: [String: Any], _ key: String, field: String) throws -> Bool {
        guard let v = obj[key] else { return false }
        guard let b = v as? Bool else { throw fail(field, "\"\(key)\" is not a bool") }
        return b
    }

    func versions(_ obj: [String: Any], _ key: String, field: String?, required: Bool) throws -> Versions {
        guard let raw = obj[key] else {
            if required { throw fail(field, "missing \"\(key)\"") }
            return .none
        }
        guard let text = raw as? String, let v = Versions(parsing: text) else {
            throw fail(field, "\"\(key)\" is not a version range: \(raw)")
        }
        return v
    }
}

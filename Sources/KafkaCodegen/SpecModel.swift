/// The type of a spec field.
public indirect enum FieldType: Hashable, Sendable {
    case bool, int8, int16, int32, int64, uint16, float64, string, bytes, uuid, records
    case structure(String)
    case array(FieldType)

    /// Parses a spec type such as `int32`, `[]string` or `[]TopicData`; nil when unknown.
    public init?(parsing text: String) {
        if text.hasPrefix("[]") {
            guard let element = FieldType(parsing: String(text.dropFirst(2))) else { return nil }
            if case .array = element { return nil }
            self = .array(element)
            return
        }
        switch text {
        case "bool": self = .bool
        case "int8": self = .int8
        case "int16": self = .int16
        case "int32": self = .int32
        case "int64": self = .int64
        case "uint16": self = .uint16
        case "float64": self = .float64
        case "string": self = .string
        case "bytes": self = .bytes
        case "uuid": self = .uuid
        case "records": self = .records
        default:
            guard let first = text.unicodeScalars.first, first.properties.isUppercase,
                text.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) })
            else { return nil }
            self = .structure(text)
        }
    }

    public var isArray: Bool { if case .array = self { return true } else { return false } }

    public var structName: String? {
        switch self {
        case .structure(let n): return n
        case .array(let e): return e.structName
        default: return nil
        }
    }

    /// Types that may be null in some versions (Kafka allows nullable strings, bytes, records,
    /// arrays and structs).
    public var canBeNullable: Bool {
        switch self {
        case .string, .bytes, .records, .array, .structure: return true
        default: return false
        }
    }
}

/// One field of a message or struct.
public struct FieldSpec: Hashable, Sendable {
    public var name: String
    public var type: FieldType
    public var versions: Versions
    public var nullableVersions: Versions
    public var taggedVersions: Versions
    public var tag: Int?
    /// The raw `default` text, if the spec gives one.
    public var defaultValue: String?
    public var ignorable: Bool
    public var mapKey: Bool
    public var zeroCopy: Bool
    /// Field-level override of the message's flexible versions (RequestHeader's ClientId).
    public var flexibleVersions: Versions?
    public var about: String
    /// Nested fields when the field declares a struct inline.
    public var fields: [FieldSpec]?

    /// Nullable in at least one version: the Swift property is optional.
    public var isOptional: Bool { !nullableVersions.isEmpty }
    public var isTagged: Bool { tag != nil }
}

/// A struct declared inline or in `commonStructs`.
public struct StructSpec: Hashable, Sendable {
    public var name: String
    public var versions: Versions
    public var fields: [FieldSpec]
}

/// What a spec file describes.
public enum MessageKind: String, Hashable, Sendable {
    case request, response, header, data, metadata
}

/// One parsed spec file.
public struct MessageSpec: Hashable, Sendable {
    public var fileName: String
    public var name: String
    public var kind: MessageKind
    public var apiKey: Int?
    public var validVersions: Versions
    public var flexibleVersions: Versions
    public var deprecatedVersions: Versions
    public var latestVersionUnstable: Bool
    public var fields: [FieldSpec]
    /// Every struct, inline and common, in declaration order.
    public var structs: [StructSpec]
    /// The versions the newest pin defines (Kafka 4.3's range); `validVersions` also holds the
    /// versions only an older pin defines (see `SpecMerge`).
    public var kafkaVersions: Versions = .none

    /// The API name a request/response pair shares, e.g. `Produce`.
    public var apiName: String {
        for suffix in ["Request", "Response"] where name.hasSuffix(suffix) {
            return String(name.dropLast(suffix.count))
        }
        return name
    }
}

/// An invalid spec: names the file and the field.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var field: String?
    public var reason: String

    public init(file: String, field: String?, reason: String) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    public var description: String {
        if let field { return "\(file): field \(field): \(reason)" }
        return "\(file): \(reason)"
    }
}

/// Errors that name where in a message they happened; generated code fills the path in as the
/// error leaves each struct, so primitives only need to know their own field.
public protocol CodecError: Error, Hashable, Sendable, CustomStringConvertible {
    var message: String { get set }
    var version: Int16 { get set }
    var field: String { get set }
}

extension CodecError {
    /// The same error seen from the struct that holds the failing field.
    public func within(_ structName: String) -> Self {
        var copy = self
        copy.field = structName + "." + self.field
        return copy
    }

    /// The same error with the message name and version filled in.
    public func inMessage(_ name: String, version: Int16) -> Self {
        var copy = self
        copy.message = name
        copy.version = version
        return copy
    }
}

/// A message that could not be decoded: names the message, the version and the field, so a
/// malformed frame from a client can be logged precisely before the connection is closed.
public struct KafkaDecodingError: CodecError {
    /// What was wrong with the input.
    public enum Kind: Hashable, Sendable {
        /// The input ended inside the field.
        case truncated
        /// A length or count below -1 (or -1 where null is not allowed).
        case negativeLength(Int)
        /// A length or count larger than the bytes left in the input.
        case lengthExceedsInput(length: Int, available: Int)
        /// A varint longer than its type allows.
        case invalidVarint
        /// A string that is not valid UTF-8.
        case invalidUTF8
        /// Null in a version where the field is not nullable.
        case unexpectedNull
        /// A version the message does not have.
        case unsupportedVersion
        /// Any other invalid value.
        case invalidValue(String)
    }

    public var kind: Kind
    /// The message being decoded, e.g. `ProduceRequest`; empty below the message level.
    public var message: String
    /// The version being decoded; -1 below the message level.
    public var version: Int16
    /// The field path, e.g. `TopicProduceData.PartitionProduceData.Records`.
    public var field: String

    public init(_ kind: Kind, field: StaticString) {
        self.init(kind, field: String(describing: field))
    }

    public init(_ kind: Kind, field: String, message: String = "", version: Int16 = -1) {
        self.kind = kind
        self.field = field
        self.message = message
        self.version = version
    }

    public var description: String {
        "cannot decode \(message.isEmpty ? "message" : message) v\(version) at \(field): \(kind)"
    }
}

/// A message that cannot be written at the requested version.
public struct KafkaEncodingError: CodecError {
    /// Why the message cannot be written.
    public enum Kind: Hashable, Sendable {
        /// The message has no such version.
        case unsupportedVersion
        /// A non-default value in a field the version lacks, and the field is not ignorable.
        case fieldNotInVersion
        /// Null in a field that is not nullable at this version.
        case nullNotAllowed
        /// A string, byte array or array longer than the encoding can express.
        case tooLong(Int)
    }

    public var kind: Kind
    public var message: String
    public var version: Int16
    public var field: String

    public init(_ kind: Kind, field: StaticString) {
        self.init(kind, message: "", version: -1, field: String(describing: field))
    }

    public init(_ kind: Kind, message: String, version: Int16, field: String) {
        self.kind = kind
        self.message = message
        self.version = version
        self.field = field
    }

    public var description: String {
        "cannot encode \(message) v\(version) field \(field): \(kind)"
    }
}

/// Why an etcd call failed. Compare `code` to tell the cases apart; `description` is for logs.
public struct EtcdError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure, open to new kinds without breaking a `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case unreachable, connectionLost, timeout, server, malformedAnswer, leaseNotFound, compacted, watchCanceled, invalidEndpoint
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No endpoint could be reached: the request was not sent anywhere.
        public static let unreachable = Code(.unreachable)
        /// The connection broke after the request was sent: a write may or may not have applied.
        /// A watch ends with it when its connection drops.
        public static let connectionLost = Code(.connectionLost)
        /// No answer within the request timeout; a write may or may not have applied.
        public static let timeout = Code(.timeout)
        /// etcd answered with an error: see `httpStatus`, `grpcCode` and `message`.
        public static let server = Code(.server)
        /// The answer was not what etcd's gateway sends (bad JSON, a missing field, an unexpected status).
        public static let malformedAnswer = Code(.malformedAnswer)
        /// The lease expired or was revoked (or never existed).
        public static let leaseNotFound = Code(.leaseNotFound)
        /// The revision asked for was compacted away: re-list, then watch from the listing's revision.
        /// `compactRevision` says the oldest revision still kept, when etcd said so.
        public static let compacted = Code(.compacted)
        /// etcd cancelled a watch for a reason other than compaction (`message` has its reason).
        public static let watchCanceled = Code(.watchCanceled)
        /// A `metadata.store` value that names no usable endpoint.
        public static let invalidEndpoint = Code(.invalidEndpoint)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// The HTTP status of an error answer.
    public var httpStatus: Int?
    /// etcd's gRPC status code in an error answer (5 not found, 9 failed precondition, 11 out of range, 14 unavailable).
    public var grpcCode: Int?
    /// With `.compacted`, the compaction revision etcd reported.
    public var compactRevision: Int64?

    public init(code: Code, message: String, httpStatus: Int? = nil, grpcCode: Int? = nil, compactRevision: Int64? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.grpcCode = grpcCode
        self.compactRevision = compactRevision
    }

    public var description: String {
        var text = "etcd \(code): \(message)"
        if let httpStatus { text += " (HTTP \(httpStatus)" + (grpcCode.map { ", gRPC code \($0)" } ?? "") + ")" }
        if let compactRevision { text += " (compacted at revision \(compactRevision))" }
        return text
    }

    static func unreachable(_ message: String) -> EtcdError { EtcdError(code: .unreachable, message: message) }
    static func connectionLost(_ message: String) -> EtcdError { EtcdError(code: .connectionLost, message: message) }
    static func timeout(_ message: String) -> EtcdError { EtcdError(code: .timeout, message: message) }
    static func malformed(_ message: String) -> EtcdError { EtcdError(code: .malformedAnswer, message: message) }
    static func invalidEndpoint(_ message: String) -> EtcdError { EtcdError(code: .invalidEndpoint, message: message) }

    /// An error answer from the gateway, sorted into the codes callers act on. etcd's messages are
    /// stable strings (`rpctypes` in etcd's source), and the gateway keeps them verbatim.
    static func answer(httpStatus: Int, grpcCode: Int?, message: String) -> EtcdError {
        var code = Code.server
        if message.contains("requested lease not found") {
            code = .leaseNotFound
        } else if message.contains("required revision has been compacted") {
            code = .compacted
        }
        return EtcdError(code: code, message: message, httpStatus: httpStatus, grpcCode: grpcCode)
    }
}

import KafkaProtocol
import NIOCore

/// A broker's `host:port`.
public struct BrokerAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or a bare host (port 9092).
    public init(parsing text: String) throws(GregorClientError) {
        var hostPart = Substring(text)
        var port = 9092
        if hostPart.hasPrefix("["), let close = hostPart.firstIndex(of: "]") {
            let rest = hostPart[hostPart.index(after: close)...]
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            if rest.hasPrefix(":") {
                guard let p = Int(rest.dropFirst()), (1...65535).contains(p) else { throw .invalidArgument("invalid bootstrap server '\(text)'") }
                port = p
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            guard let p = Int(hostPart[hostPart.index(after: colon)...]), (1...65535).contains(p) else {
                throw .invalidArgument("invalid bootstrap server '\(text)'")
            }
            port = p
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { throw .invalidArgument("invalid bootstrap server '\(text)'") }
        self.host = String(hostPart)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// What the client reports; each description is one line fit for `gregor: …` on stderr.
public enum GregorClientError: Error, Equatable, CustomStringConvertible {
    case cannotConnect(String, reason: String)
    case timedOut(String, api: String)
    case connectionClosed(String)
    case unsupportedApi(String)
    case malformedResponse(String)
    case broker(ErrorCode, String?, context: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .cannotConnect(let address, let reason): return "cannot connect to \(address): \(reason)"
        case .timedOut(let address, let api): return "\(address) did not answer \(api) in time"
        case .connectionClosed(let address): return "connection to \(address) closed"
        case .unsupportedApi(let api): return "the broker does not support \(api) at any version this client knows"
        case .malformedResponse(let what): return "malformed response: \(what)"
        case .broker(let code, let message, let context):
            let text = message.flatMap { $0.isEmpty ? nil : $0 } ?? code.defaultMessage ?? ""
            return "\(context): \(code.name)\(text.isEmpty ? "" : ": \(text)")"
        case .invalidArgument(let message): return message
        }
    }

    /// Throws `.broker` unless `code` is NONE.
    static func check(_ code: Int16, _ message: String? = nil, _ context: @autoclosure () -> String) throws(GregorClientError) {
        guard code != 0 else { return }
        throw .broker(ErrorCode(rawValue: code), message, context: context())
    }
}

/// Timeouts for connecting and for each request.
public struct ClientTimeouts: Sendable {
    public var connect: Duration
    public var request: Duration

    public init(connect: Duration = .seconds(5), request: Duration = .seconds(30)) {
        self.connect = connect
        self.request = request
    }
}

/// A request whose response type the client knows.
public protocol ClientRequest: KafkaAPIMessage {
    associatedtype Response: KafkaAPIMessage
    /// The versions this client's code fills in correctly; the codec may know newer ones whose
    /// fields it leaves at their defaults (Produce v13 names topics by id, for instance).
    static var clientVersions: ClosedRange<Int16> { get }
}

extension ClientRequest {
    public static var clientVersions: ClosedRange<Int16> { validVersions }
}

extension ApiVersionsRequest: ClientRequest { public typealias Response = ApiVersionsResponse }
extension MetadataRequest: ClientRequest { public typealias Response = MetadataResponse }
extension CreateTopicsRequest: ClientRequest { public typealias Response = CreateTopicsResponse }
extension DeleteTopicsRequest: ClientRequest { public typealias Response = DeleteTopicsResponse }
extension CreatePartitionsRequest: ClientRequest { public typealias Response = CreatePartitionsResponse }
extension ListOffsetsRequest: ClientRequest { public typealias Response = ListOffsetsResponse }
extension DescribeConfigsRequest: ClientRequest { public typealias Response = DescribeConfigsResponse }
extension IncrementalAlterConfigsRequest: ClientRequest { public typealias Response = IncrementalAlterConfigsResponse }
extension ProduceRequest: ClientRequest {
    public typealias Response = ProduceResponse
    /// v13 names topics by id (KIP-516); this client names them.
    public static var clientVersions: ClosedRange<Int16> { validVersions.lowerBound...12 }
}
extension FetchRequest: ClientRequest { public typealias Response = FetchResponse }
extension OffsetForLeaderEpochRequest: ClientRequest { public typealias Response = OffsetForLeaderEpochResponse }

/// A connection to one broker after ApiVersions: each request goes at the highest version both
/// this codec and the broker support.
public final class KafkaClient: Sendable {
    let connection: KafkaConnection
    /// The broker's version range per API key.
    public let brokerVersions: [Int16: ClosedRange<Int16>]
    public let timeouts: ClientTimeouts
    /// How this connection was secured; connections to other brokers (leaders, coordinators) are made alike.
    public let security: ClientSecurity

    private init(connection: KafkaConnection, brokerVersions: [Int16: ClosedRange<Int16>], timeouts: ClientTimeouts, security: ClientSecurity) {
        self.connection = connection
        self.brokerVersions = brokerVersions
        self.timeouts = timeouts
        self.security = security
    }

    public var address: BrokerAddress { connection.address }

    /// Connects (over TLS with `security.tls`), negotiates versions with ApiVersions (KIP-511:
    /// when the broker does not know our ApiVersions version it answers at v0 with its own
    /// range, and we retry within it), and logs in with `security.sasl`.
    public static func connect(
        to address: BrokerAddress, clientId: String? = "gregor-cli", timeouts: ClientTimeouts = ClientTimeouts(),
        security: ClientSecurity = ClientSecurity()
    ) async throws -> KafkaClient {
        let connection = try await KafkaConnection.connect(to: address, clientId: clientId, timeout: timeouts.connect, tls: security.tls)
        do {
            var version = ApiVersionsRequest.validVersions.upperBound
            var response: ApiVersionsResponse
            while true {
                let request = ApiVersionsRequest(clientSoftwareName: "gregor-cli", clientSoftwareVersion: "1.0")
                do {
                    response = try await connection.send(request, version: version, expecting: ApiVersionsResponse.self, timeout: timeouts.request)
                } catch GregorClientError.malformedResponse where version > 0 {
                    version = 0
                    continue
                }
                if response.errorCode == ErrorCode.unsupportedVersion.rawValue,
                    let theirs = response.apiKeys.first(where: { $0.apiKey == ApiKey.apiVersions.rawValue }),
                    theirs.maxVersion < version
                {
                    version = max(0, theirs.maxVersion)
                    continue
                }
                try GregorClientError.check(response.errorCode, nil, "ApiVersions")
                break
            }
            var versions: [Int16: ClosedRange<Int16>] = [:]
            for key in response.apiKeys where key.minVersion <= key.maxVersion {
                versions[key.apiKey] = key.minVersion...key.maxVersion
            }
            let client = KafkaClient(connection: connection, brokerVersions: versions, timeouts: timeouts, security: security)
            if let sasl = security.sasl { try await client.authenticate(sasl) }
            return client
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Connects to `bootstrap` (`host:port`).
    public static func connect(bootstrap: String, timeouts: ClientTimeouts = ClientTimeouts()) async throws -> KafkaClient {
        try await connect(to: BrokerAddress(parsing: bootstrap), timeouts: timeouts)
    }

    public func close() async {
        await connection.close()
    }

    /// The highest version of `R` both sides support.
    public func version<R: ClientRequest>(of _: R.Type) throws(GregorClientError) -> Int16 {
        guard let theirs = brokerVersions[R.apiKey.rawValue] else { throw .unsupportedApi("\(R.apiKey)") }
        let ours = R.clientVersions
        let low = max(ours.lowerBound, theirs.lowerBound)
        let high = min(ours.upperBound, theirs.upperBound)
        guard low <= high else { throw .unsupportedApi("\(R.apiKey)") }
        return high
    }

    /// Sends `request` at the negotiated version and waits for its response.
    public func send<R: ClientRequest>(_ request: R, timeout: Duration? = nil) async throws -> R.Response {
        let version = try version(of: R.self)
        return try await send(request, version: version, timeout: timeout)
    }

    /// Sends `request` at `version` and waits for its response.
    public func send<R: ClientRequest>(_ request: R, version: Int16, timeout: Duration? = nil) async throws -> R.Response {
        try await connection.send(request, version: version, expecting: R.Response.self, timeout: timeout ?? timeouts.request)
    }
}

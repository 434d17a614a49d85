/// One etcd member's client URL: the gateway speaks plain HTTP/1.1 there.
public struct EtcdEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// etcd's default client port.
    public static let defaultPort = 2379

    public init(host: String, port: Int = EtcdEndpoint.defaultPort) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The endpoints in `metadata.store`'s value: `etcd://h:p,h:p`, `h:p,h:p` or
    /// `http://h:p,http://h:p` (the port defaults to 2379; an IPv6 host goes in brackets).
    public static func parse(_ text: String) throws -> [EtcdEndpoint] {
        var rest = Substring(text).trimmingSpaces()
        for scheme in ["etcd://", "http://"] where rest.lowercased().hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
        }
        var endpoints: [EtcdEndpoint] = []
        for item in rest.split(separator: ",", omittingEmptySubsequences: false) {
            endpoints.append(try parseOne(item.trimmingSpaces(), in: text))
        }
        guard !endpoints.isEmpty else { throw EtcdError.invalidEndpoint("no etcd endpoint in '\(text)'") }
        return endpoints
    }

    private static func parseOne(_ item: Substring, in text: String) throws -> EtcdEndpoint {
        var item = item
        let lowered = item.lowercased()
        if lowered.hasPrefix("https://") {
            throw EtcdError.invalidEndpoint("'\(item)' in '\(text)': TLS to etcd is not supported")
        }
        for scheme in ["etcd://", "http://"] where lowered.hasPrefix(scheme) {
            item = item.dropFirst(scheme.count)
        }
        while item.hasSuffix("/") { item = item.dropLast() }
        guard !item.isEmpty else { throw EtcdError.invalidEndpoint("an empty endpoint in '\(text)'") }
        let host: Substring
        var portText: Substring?
        if item.hasPrefix("[") {
            guard let close = item.firstIndex(of: "]") else {
                throw EtcdError.invalidEndpoint("'\(item)' in '\(text)': an IPv6 address without its ']'")
            }
            host = item[item.index(after: item.startIndex)..<close]
            let after = item[item.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw EtcdError.invalidEndpoint("'\(item)' in '\(text)': expected ':port' after ']'") }
                portText = after.dropFirst()
            }
        } else if let colon = item.lastIndex(of: ":") {
            host = item[..<colon]
            portText = item[item.index(after: colon)...]
        } else {
            host = item
        }
        guard !host.isEmpty, !host.contains("/") else { throw EtcdError.invalidEndpoint("'\(item)' in '\(text)' names no host") }
        var port = defaultPort
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw EtcdError.invalidEndpoint("'\(item)' in '\(text)': '\(portText)' is not a port")
            }
            port = value
        }
        return EtcdEndpoint(host: String(host), port: port)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while s.first?.isWhitespace == true { s = s.dropFirst() }
        while s.last?.isWhitespace == true { s = s.dropLast() }
        return s
    }
}

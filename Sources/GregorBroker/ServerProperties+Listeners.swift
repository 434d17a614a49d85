extension ServerProperties {
    /// `listeners`, `listener.security.protocol.map`, `advertised.listeners` and the listener
    /// names for clusters, checked as Kafka's KafkaConfig checks them.
    func configureListeners(_ c: inout BrokerConfig) throws(InvalidValue) {
        var map = SecurityProtocol.defaultMap
        if let v = raw("listener.security.protocol.map") {
            map = [:]
            for item in v.split(separator: ",").map({ String($0).trimmed }) where !item.isEmpty {
                let parts = item.split(separator: ":", maxSplits: 1).map { String($0).trimmed }
                guard parts.count == 2, let p = SecurityProtocol(rawValue: parts[1].uppercased()) else {
                    throw InvalidValue(key: "listener.security.protocol.map", value: v,
                                       reason: "expected NAME:PROTOCOL pairs with a protocol of \(SecurityProtocol.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                map[parts[0].uppercased()] = p
            }
        }
        if let v = raw("listeners") {
            var bound: [Listener] = []
            for e in try endpoints("listeners", v) {
                guard let p = map[e.name] else {
                    throw InvalidValue(key: "listeners", value: v, reason: "no security protocol defined for listener \(e.name) in listener.security.protocol.map")
                }
                guard !bound.contains(where: { $0.name == e.name }) else {
                    throw InvalidValue(key: "listeners", value: v, reason: "each listener must have a different name; \(e.name) is listed twice")
                }
                guard e.port == 0 || !bound.contains(where: { $0.port == e.port }) else {
                    throw InvalidValue(key: "listeners", value: v, reason: "each listener must have a different port; \(e.port) is listed twice")
                }
                bound.append(Listener(name: e.name, host: e.host.isEmpty ? "::" : e.host, port: e.port, securityProtocol: p))
            }
            guard !bound.isEmpty else { throw InvalidValue(key: "listeners", value: v, reason: "no listener") }
            c.listeners = bound
        }
        // Unset, advertised.listeners is listeners; a wildcard or empty host is advertised as
        // localhost (Kafka advertises the machine's canonical host name).
        if let v = raw("advertised.listeners") {
            var advertised: [ListenerEndpoint] = []
            for e in try endpoints("advertised.listeners", v) {
                guard c.listeners.contains(where: { $0.name == e.name }) else {
                    throw InvalidValue(key: "advertised.listeners", value: v, reason: "listener \(e.name) is not in listeners")
                }
                guard !e.host.isEmpty, e.host != "0.0.0.0", e.host != "::" else {
                    throw InvalidValue(key: "advertised.listeners", value: v, reason: "cannot advertise the wildcard address of \(e.name)")
                }
                advertised.append(e)
            }
            c.advertisedListeners = advertised
        } else {
            c.advertisedListeners = c.listeners.map { l in
                let wildcard = l.host.isEmpty || l.host == "::" || l.host == "0.0.0.0"
                return ListenerEndpoint(name: l.name, host: wildcard ? "localhost" : l.host, port: l.port)
            }
        }
        for listener in c.listeners where listener.securityProtocol.usesTLS {
            c.tls[listener.name] = try tlsSettings(listener: listener.name)
        }
        for key in ["inter.broker.listener.name", "control.plane.listener.name"] {
            guard let v = raw(key)?.trimmed.uppercased(), !v.isEmpty else { continue }
            guard c.listeners.contains(where: { $0.name == v }) else {
                throw InvalidValue(key: key, value: v, reason: "listener \(v) is not in listeners")
            }
            if key == "inter.broker.listener.name" { c.interBrokerListenerName = v } else { c.controlPlaneListenerName = v }
        }
    }

    /// `PLAINTEXT://host:port,NAME://[::1]:port` as endpoints.
    func endpoints(_ key: String, _ v: String) throws(InvalidValue) -> [ListenerEndpoint] {
        var out: [ListenerEndpoint] = []
        for item in v.split(separator: ",") {
            let s = String(item).trimmed
            guard let scheme = s.firstRange(of: "://"), scheme.lowerBound > s.startIndex else {
                throw InvalidValue(key: key, value: v, reason: "expected NAME://host:port")
            }
            let hostPort = s[scheme.upperBound...]
            guard let colon = hostPort.lastIndex(of: ":"), let port = Int(hostPort[hostPort.index(after: colon)...]), (0...65535).contains(port) else {
                throw InvalidValue(key: key, value: v, reason: "expected NAME://host:port")
            }
            var host = String(hostPort[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            out.append(ListenerEndpoint(name: String(s[..<scheme.lowerBound]).uppercased(), host: host, port: port))
        }
        return out
    }
}

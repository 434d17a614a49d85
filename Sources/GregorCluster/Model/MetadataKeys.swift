/// Where each fact lives in etcd, under `metadata.store.prefix` (default `/gregor`).
///
///     <prefix>/cluster/id                    the cluster id (written once, by the first broker)
///     <prefix>/controller                    ControllerRecord, under the controller's lease
///     <prefix>/controller-epoch              the last controller epoch handed out
///     <prefix>/brokers/<id>                  BrokerRegistration, under the broker's lease
///     <prefix>/topics/<name>                 TopicRecord
///     <prefix>/partitions/<name>/<index>     PartitionState
///     <prefix>/producer-ids                  where the next block of producer ids starts (KIP-730)
///     <prefix>/security/<kind>/<entry>       one ACL, SCRAM credential, client quota entity or
///                                            delegation token (kind acls, scram, quotas, tokens)
///
/// Topic names are `[a-zA-Z0-9._-]`, so they never contain the separator; a security entry's
/// name is everything after its kind and may contain it (a SCRAM user name may).
public struct MetadataKeys: Hashable, Sendable {
    public let prefix: String

    public init(prefix: String = "/gregor") {
        var p = prefix
        while p.hasSuffix("/") { p.removeLast() }
        self.prefix = p
    }

    public var clusterId: String { "\(prefix)/cluster/id" }
    public var controller: String { "\(prefix)/controller" }
    public var controllerEpoch: String { "\(prefix)/controller-epoch" }
    public var producerIds: String { "\(prefix)/producer-ids" }
    public var brokers: String { "\(prefix)/brokers/" }
    public func broker(_ id: Int32) -> String { "\(prefix)/brokers/\(id)" }
    public var topics: String { "\(prefix)/topics/" }
    public func topic(_ name: String) -> String { "\(prefix)/topics/\(name)" }
    public var partitions: String { "\(prefix)/partitions/" }
    public func partitions(of topic: String) -> String { "\(prefix)/partitions/\(topic)/" }
    public func partition(_ key: PartitionKey) -> String { "\(prefix)/partitions/\(key.topic)/\(key.partition)" }
    /// One entry of a security store (the security issue's ACLs, SCRAM credentials, quotas and
    /// delegation tokens, which KRaft keeps as records in the metadata log).
    public func security(_ kind: String, _ entry: String) -> String { "\(prefix)/security/\(kind)/\(entry)" }
    /// Everything the cluster keeps: brokers watch this one range.
    public var all: String { "\(prefix)/" }

    /// What a key under the prefix names, or nil for a key Gregor does not know.
    public enum Parsed: Hashable, Sendable {
        case clusterId
        case controller
        case controllerEpoch
        case producerIds
        case broker(Int32)
        case topic(String)
        case partition(PartitionKey)
        case security(kind: String, entry: String)
    }

    public func parse(_ key: String) -> Parsed? {
        guard key.hasPrefix(prefix + "/") else { return nil }
        let parts = key.dropFirst(prefix.count + 1).split(separator: "/", omittingEmptySubsequences: false)
        switch (parts.first, parts.count) {
        case ("cluster", 2) where parts[1] == "id": return .clusterId
        case ("controller", 1): return .controller
        case ("controller-epoch", 1): return .controllerEpoch
        case ("producer-ids", 1): return .producerIds
        case ("brokers", 2): return Int32(parts[1]).map { .broker($0) }
        case ("topics", 2) where !parts[1].isEmpty: return .topic(String(parts[1]))
        case ("partitions", 3) where !parts[1].isEmpty:
            return Int32(parts[2]).map { .partition(PartitionKey(String(parts[1]), $0)) }
        case ("security", 3...) where !parts[1].isEmpty && !parts[2].isEmpty:
            return .security(kind: String(parts[1]), entry: parts[2...].joined(separator: "/"))
        default: return nil
        }
    }
}

import Foundation
import GregorCluster

extension ClusterMember: SecurityEntrySink {
    /// etcd refuses a transaction of more than `--max-txn-ops` (128 by default) compares or
    /// operations, so a larger change is written in parts, each one atomic: Kafka validates each
    /// ACL creation on its own too, though it commits them as one batch of records.
    static let securityOpsPerTxn = 100

    func commitSecurity(_ kind: String, puts: [String: [UInt8]], deletes: [String]) async throws -> Bool {
        let changes: [(String, [UInt8]?)] = puts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + deletes.sorted().map { ($0, nil) }
        var start = 0
        while start < changes.count {
            let part = changes[start..<min(changes.count, start + Self.securityOpsPerTxn)]
            let revisions = state.withLock { $0.revisions }
            var compares: [EtcdCompare] = []
            var ops: [EtcdOp] = []
            for (entry, value) in part {
                let key = keys.security(kind, entry)
                compares.append(.modRevision(key: key, equals: revisions[key] ?? 0))
                ops.append(value.map { .put(key: key, value: $0, lease: 0) } ?? .delete(key: key))
            }
            let result = try await etcd.txn(if: compares, then: ops)
            // Either way the watch brings this revision's state: the change made, or the newer
            // entries the next attempt decides on.
            await waitForRevision(result.revision)
            guard result.succeeded else { return false }
            start += part.count
        }
        return true
    }

    /// Hands a revision's security entries to the stores that keep them.
    func applySecurity(_ changes: [String: [(key: String, value: [UInt8]?)]], broker: Broker) {
        for (kind, entries) in changes.sorted(by: { $0.key < $1.key }) {
            let undecodable: [String]
            switch kind {
            case AclStore.kind: undecodable = broker.acls?.apply(entries) ?? []
            case ScramCredentialStore.kind: undecodable = broker.scramCredentials.apply(entries)
            case ClientQuotas.kind: undecodable = broker.clientQuotas.apply(entries)
            case DelegationTokens.kind: undecodable = broker.delegationTokens.apply(entries)
            default:
                logger.warning("etcd holds security entries of an unknown kind \(kind); ignored")
                continue
            }
            for entry in undecodable { logger.error("etcd's \(keys.security(kind, entry)) does not decode; ignored") }
        }
    }
}

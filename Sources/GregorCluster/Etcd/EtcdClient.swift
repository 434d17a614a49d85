import Foundation
import Logging
import NIOCore

/// A client of etcd's v3 API through its JSON gateway (HTTP/1.1), for the cluster's metadata.
///
/// Unary calls share keep-alive connections. When an endpoint refuses or drops a connection
/// before the request went out, the next endpoint is tried; a request that went out and lost its
/// answer is tried again only if it reads (a write would risk applying twice) and otherwise fails
/// with `.connectionLost`. No request outlives `requestTimeout` (`range(prefix:)` makes one per page).
public final class EtcdClient: Sendable {
    /// The members to try, in order, starting from the last one that answered.
    public let endpoints: [EtcdEndpoint]
    /// How long one request may take, connecting to every endpoint included.
    public let requestTimeout: TimeAmount
    let logger: Logger
    let pool: EtcdConnectionPool

    /// Keys per request of `range(prefix:)`: bounds one answer's size whatever the prefix holds.
    static let rangePageSize: Int64 = 500

    public init(endpoints: [EtcdEndpoint], group: any EventLoopGroup, requestTimeout: TimeAmount = .seconds(5), logger: Logger) {
        precondition(!endpoints.isEmpty, "an etcd client needs at least one endpoint")
        self.endpoints = endpoints
        self.requestTimeout = requestTimeout
        self.logger = logger
        self.pool = EtcdConnectionPool(endpoints: endpoints, group: group)
    }

    deinit {
        pool.close()
    }

    /// Closes idle connections. Calls still running finish; later calls open new connections.
    public func close() {
        pool.close()
    }

    // MARK: - Keys

    /// The key, or nil if it is absent; at `revision` if not 0 (`.compacted` if that is gone).
    public func get(_ key: String, revision: Int64 = 0) async throws -> EtcdKeyValue? {
        var request = WireRangeRequest.key(key)
        if revision > 0 { request.revision = WireInt64(revision) }
        let answer: WireRangeResponse = try await call("/v3/kv/range", request, idempotent: true)
        _ = try header(answer.header, "/v3/kv/range")
        return answer.kvs?.first?.keyValue
    }

    /// Every key starting with `prefix`, sorted by key, as of one revision (returned with them).
    /// Read in pages, all at the first page's revision, so the listing is one consistent snapshot
    /// (`.compacted` if etcd compacts that revision between pages: list again).
    public func range(prefix: String) async throws -> (kvs: [EtcdKeyValue], revision: Int64) {
        var request = WireRangeRequest.prefix(prefix)
        request.limit = WireInt64(Self.rangePageSize)
        var kvs: [EtcdKeyValue] = []
        var revision: Int64 = 0
        while true {
            let answer: WireRangeResponse = try await call("/v3/kv/range", request, idempotent: true)
            if revision == 0 {
                revision = try header(answer.header, "/v3/kv/range")
                request.revision = WireInt64(revision)
            }
            let page = answer.kvs ?? []
            kvs += page.map(\.keyValue)
            guard answer.more == true, let last = page.last?.key else { return (kvs, revision) }
            // The next page starts just after the last key: the smallest key greater than it.
            request.key = WireBytes(last.bytes + [0])
        }
    }

    /// Puts a value (under `lease`, if not 0) and returns the revision of the put.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], lease: Int64 = 0) async throws -> Int64 {
        let request = WirePutRequest(key: WireBytes(key), value: WireBytes(value), lease: lease == 0 ? nil : WireInt64(lease))
        let answer: WireHeaderAnswer = try await call("/v3/kv/put", request, idempotent: false)
        return try header(answer.header, "/v3/kv/put")
    }

    /// Deletes a key (absent or not) and returns the store revision after.
    @discardableResult
    public func delete(_ key: String) async throws -> Int64 {
        let answer: WireDeleteRangeResponse = try await call("/v3/kv/deleterange", WireDeleteRangeRequest(key: WireBytes(key)),
                                                             idempotent: false)
        return try header(answer.header, "/v3/kv/deleterange")
    }

    /// Deletes every key starting with `prefix` and returns how many and the store revision after.
    @discardableResult
    public func delete(prefix: String) async throws -> (deleted: Int64, revision: Int64) {
        let range = WireRangeRequest.prefix(prefix)
        let answer: WireDeleteRangeResponse = try await call("/v3/kv/deleterange", WireDeleteRangeRequest(key: range.key, rangeEnd: range.rangeEnd),
                                                             idempotent: false)
        return (answer.deleted?.value ?? 0, try header(answer.header, "/v3/kv/deleterange"))
    }

    /// Runs `success` if every compare holds, else `failure`, atomically at one revision.
    public func txn(if compares: [EtcdCompare], then success: [EtcdOp], else failure: [EtcdOp] = []) async throws -> EtcdTxnResult {
        let request = WireTxnRequest(compare: compares.map(WireCompare.init), success: success.map(WireOp.init), failure: failure.map(WireOp.init))
        let answer: WireTxnResponse = try await call("/v3/kv/txn", request, idempotent: false)
        let responses = try (answer.responses ?? []).map { op -> EtcdOpResponse in
            if let range = op.responseRange { return .range((range.kvs ?? []).map(\.keyValue)) }
            if let delete = op.responseDeleteRange { return .delete(deleted: delete.deleted?.value ?? 0) }
            if op.responsePut != nil { return .put }
            throw EtcdError.malformed("/v3/kv/txn: a response of a kind this client never asks for")
        }
        return EtcdTxnResult(succeeded: answer.succeeded ?? false, revision: try header(answer.header, "/v3/kv/txn"), responses: responses)
    }

    /// Discards the history before `revision`: reads and watches from earlier revisions then
    /// fail with `.compacted`. Returns the store revision.
    @discardableResult
    public func compact(revision: Int64) async throws -> Int64 {
        let answer: WireHeaderAnswer = try await call("/v3/kv/compaction", WireCompactionRequest(revision: WireInt64(revision)), idempotent: true)
        return try header(answer.header, "/v3/kv/compaction")
    }

    // MARK: - Leases

    /// A new lease; etcd raises a TTL below its minimum (2 s with default election settings) to it.
    public func grantLease(ttlSeconds: Int64) async throws -> (id: Int64, ttl: Int64) {
        let answer: WireLeaseGrantResponse = try await call("/v3/lease/grant", WireLeaseGrantRequest(ttl: WireInt64(ttlSeconds)), idempotent: false)
        if let error = answer.error, !error.isEmpty { throw EtcdError(code: .server, message: error) }
        guard let id = answer.id?.value, id != 0 else { throw EtcdError.malformed("/v3/lease/grant: no lease id in the answer") }
        return (id, answer.ttl?.value ?? ttlSeconds)
    }

    /// Renews a lease to its full TTL and returns that TTL. Throws `.leaseNotFound` once the
    /// lease has expired or been revoked: the gateway then answers 200 with no TTL at all.
    @discardableResult
    public func keepAlive(lease: Int64) async throws -> Int64 {
        let path = "/v3/lease/keepalive"
        let response = try await post(path, WireLeaseRequest(id: WireInt64(lease)), idempotent: true)
        try check(response, path)
        // A stream on the gateway even for one request: the first `{"result": ...}` line.
        guard let line = response.body.readableBytesView.split(separator: UInt8(ascii: "\n")).first else {
            throw EtcdError.malformed("\(path): an empty answer")
        }
        let answer = try decode(WireLeaseKeepAliveLine.self, Data(line), path)
        if let error = answer.error {
            throw EtcdError.answer(httpStatus: error.httpCode ?? 200, grpcCode: error.grpcCode, message: error.message)
        }
        guard let ttl = answer.result?.ttl?.value, ttl > 0 else {
            throw EtcdError(code: .leaseNotFound, message: "lease \(lease) has expired or was revoked")
        }
        return ttl
    }

    /// Revokes a lease, deleting every key under it. Throws `.leaseNotFound` if it is already gone.
    public func revoke(lease: Int64) async throws {
        let answer: WireHeaderAnswer = try await call("/v3/lease/revoke", WireLeaseRequest(id: WireInt64(lease)), idempotent: false)
        _ = try header(answer.header, "/v3/lease/revoke")
    }

    /// The seconds a lease has left, or nil if it has expired or was revoked (etcd answers TTL -1).
    public func timeToLive(lease: Int64) async throws -> Int64? {
        let answer: WireLeaseTimeToLiveResponse = try await call("/v3/lease/timetolive", WireLeaseRequest(id: WireInt64(lease)), idempotent: true)
        _ = try header(answer.header, "/v3/lease/timetolive")
        let ttl = answer.ttl?.value ?? 0
        return ttl < 0 ? nil : ttl
    }
}

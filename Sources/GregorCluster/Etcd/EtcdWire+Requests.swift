// Request bodies for the gateway. Each CodingKey is etcd's proto field name: the gateway drops
// a field it does not know without a word, so a wrong name shows up only as wrong behaviour.

struct WireRangeRequest: Encodable {
    var key: WireBytes
    var rangeEnd: WireBytes?
    var limit: WireInt64?
    /// 0 (left out) reads the newest revision; a page after the first pins the first page's.
    var revision: WireInt64?

    private enum CodingKeys: String, CodingKey {
        case key, limit, revision
        case rangeEnd = "range_end"
    }

    static func key(_ key: String) -> WireRangeRequest { WireRangeRequest(key: WireBytes(key)) }
    static func prefix(_ prefix: String) -> WireRangeRequest {
        WireRangeRequest(key: WireBytes(prefix.isEmpty ? [0] : Array(prefix.utf8)), rangeEnd: WireBytes(prefixRangeEnd(prefix)))
    }
}

struct WirePutRequest: Encodable {
    var key: WireBytes
    var value: WireBytes
    var lease: WireInt64?
}

struct WireDeleteRangeRequest: Encodable {
    var key: WireBytes
    var rangeEnd: WireBytes?

    private enum CodingKeys: String, CodingKey {
        case key
        case rangeEnd = "range_end"
    }
}

struct WireTxnRequest: Encodable {
    var compare: [WireCompare]
    var success: [WireOp]
    var failure: [WireOp]
}

/// A compare in etcd's form (kept apart from `EtcdCompare` so the wire format stays internal).
struct WireCompare: Encodable {
    var compare: EtcdCompare

    private enum CodingKeys: String, CodingKey {
        case target, key, result, version, value
        case createRevision = "create_revision", modRevision = "mod_revision"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("EQUAL", forKey: .result)
        // The compared field is a proto oneof: it is written even at 0, which is how etcd tells
        // "compare against 0" (key absent) from "no target given".
        switch compare {
        case .modRevision(let key, let revision):
            try container.encode("MOD", forKey: .target)
            try container.encode(WireBytes(key), forKey: .key)
            try container.encode(WireInt64(revision), forKey: .modRevision)
        case .createRevision(let key, let revision):
            try container.encode("CREATE", forKey: .target)
            try container.encode(WireBytes(key), forKey: .key)
            try container.encode(WireInt64(revision), forKey: .createRevision)
        case .value(let key, let value):
            try container.encode("VALUE", forKey: .target)
            try container.encode(WireBytes(key), forKey: .key)
            try container.encode(WireBytes(value), forKey: .value)
        case .version(let key, let version):
            try container.encode("VERSION", forKey: .target)
            try container.encode(WireBytes(key), forKey: .key)
            try container.encode(WireInt64(version), forKey: .version)
        }
    }
}

/// A request op in etcd's form: an object with one member named for the kind of request.
struct WireOp: Encodable {
    var op: EtcdOp

    private enum CodingKeys: String, CodingKey {
        case requestRange = "request_range", requestPut = "request_put", requestDeleteRange = "request_delete_range"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch op {
        case .put(let key, let value, let lease):
            try container.encode(WirePutRequest(key: WireBytes(key), value: WireBytes(value), lease: lease == 0 ? nil : WireInt64(lease)),
                                 forKey: .requestPut)
        case .delete(let key):
            try container.encode(WireDeleteRangeRequest(key: WireBytes(key)), forKey: .requestDeleteRange)
        case .deletePrefix(let prefix):
            let range = WireRangeRequest.prefix(prefix)
            try container.encode(WireDeleteRangeRequest(key: range.key, rangeEnd: range.rangeEnd), forKey: .requestDeleteRange)
        case .get(let key):
            try container.encode(WireRangeRequest.key(key), forKey: .requestRange)
        case .getPrefix(let prefix):
            try container.encode(WireRangeRequest.prefix(prefix), forKey: .requestRange)
        }
    }
}

struct WireCompactionRequest: Encodable {
    var revision: WireInt64
}

struct WireLeaseGrantRequest: Encodable {
    var ttl: WireInt64

    private enum CodingKeys: String, CodingKey {
        case ttl = "TTL"
    }
}

/// The body of keepalive, revoke and timetolive: just the lease.
struct WireLeaseRequest: Encodable {
    var id: WireInt64

    private enum CodingKeys: String, CodingKey {
        case id = "ID"
    }
}

struct WireWatchRequest: Encodable {
    struct Create: Encodable {
        var key: WireBytes
        var rangeEnd: WireBytes?
        var startRevision: WireInt64?
        /// Asks for etcd's periodic empty answers, which move a quiet watch's revision forward.
        var progressNotify: Bool

        private enum CodingKeys: String, CodingKey {
            case key
            case rangeEnd = "range_end", startRevision = "start_revision", progressNotify = "progress_notify"
        }
    }

    var createRequest: Create

    private enum CodingKeys: String, CodingKey {
        case createRequest = "create_request"
    }
}

// The values the etcd client hands back and takes, in Swift terms: keys are UTF-8 strings (every
// key Gregor writes is), values are raw bytes, revisions and lease ids are etcd's int64s.

/// One key as etcd stores it.
public struct EtcdKeyValue: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]
    /// The revision of the put that created the key (since its last delete).
    public var createRevision: Int64
    /// The revision of the last put to the key: what a compare-and-swap compares.
    public var modRevision: Int64
    /// How many puts since the key was created (1 after the first).
    public var version: Int64
    /// The lease the key is attached to, 0 for none.
    public var lease: Int64

    public init(key: String, value: [UInt8], createRevision: Int64, modRevision: Int64, version: Int64, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }
}

/// One condition of a transaction, always an equality (etcd's `EQUAL` result).
public enum EtcdCompare: Sendable, Hashable {
    /// The key's last put was at this revision; 0 means the key is absent.
    case modRevision(key: String, equals: Int64)
    /// The key was created at this revision; 0 means the key is absent (create-if-absent).
    case createRevision(key: String, equals: Int64)
    /// The key holds exactly these bytes (false when the key is absent).
    case value(key: String, equals: [UInt8])
    /// The key was put this many times since it was created; 0 means the key is absent.
    case version(key: String, equals: Int64)
}

/// One operation of a transaction branch.
public enum EtcdOp: Sendable, Hashable {
    case put(key: String, value: [UInt8], lease: Int64 = 0)
    case delete(key: String)
    /// Every key that starts with the prefix.
    case deletePrefix(String)
    case get(String)
    /// Every key that starts with the prefix, in key order, in one answer (no paging inside a transaction).
    case getPrefix(String)
}

/// What one operation of the branch that ran answered, in the order of the operations.
public enum EtcdOpResponse: Sendable, Hashable {
    case put
    case delete(deleted: Int64)
    case range([EtcdKeyValue])

    /// The keys a get answered, nil for a put or delete.
    public var kvs: [EtcdKeyValue]? {
        if case .range(let kvs) = self { return kvs }
        return nil
    }
}

/// The outcome of `EtcdClient.txn`.
public struct EtcdTxnResult: Sendable, Hashable {
    /// Whether every compare held, so the `then` branch ran (else the `else` branch did).
    public var succeeded: Bool
    /// The store revision after the transaction (unchanged if the branch that ran wrote nothing).
    public var revision: Int64
    public var responses: [EtcdOpResponse]

    public init(succeeded: Bool, revision: Int64, responses: [EtcdOpResponse]) {
        self.succeeded = succeeded
        self.revision = revision
        self.responses = responses
    }
}

/// One change a watch reports.
public struct EtcdEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case put
        case delete
    }

    public var kind: Kind
    /// For a put, the key as it now is; for a delete, only `key` and `modRevision` (the delete's revision) are set.
    public var kv: EtcdKeyValue

    public init(kind: Kind, kv: EtcdKeyValue) {
        self.kind = kind
        self.kv = kv
    }
}

/// The changes one watch message carried, in revision order.
public struct EtcdWatchBatch: Sendable, Hashable {
    /// Every change up to and including this revision has been delivered: the last event's
    /// revision, or for a batch without events (etcd's progress notification) the store revision.
    /// A watch resumed from `revision + 1` misses nothing. (etcd's header revision is not used
    /// for event batches: while a watcher catches up, etcd sends the current store revision with
    /// only the first thousand revisions' events.)
    public var revision: Int64
    public var events: [EtcdEvent]

    public init(revision: Int64, events: [EtcdEvent]) {
        self.revision = revision
        self.events = events
    }
}
